import Foundation
import Shared
import Testing

@testable import Worker

@Suite struct WorkerReloadTests {
    func configuration(_ text: String) throws -> Configuration {
        try ConfigurationLoader(environment: [:]).load(text: text, file: "worker.yaml")
    }

    @Test func restartOnlyChangesNamed() throws {
        let old = try configuration("kafka: {bootstrap_servers: 127.0.0.1:9092}\nworker: {shutdown_grace: 30s}\n")
        let sameAgain = try configuration("kafka: {bootstrap_servers: 127.0.0.1:9092}\nworker: {shutdown_grace: 30s}\nlogging: {level: debug}\n")
        #expect(WorkerReload.restartOnlyChanges(new: sameAgain, old: old).isEmpty)

        let moved = try configuration("kafka: {bootstrap_servers: 127.0.0.1:9093}\nworker: {shutdown_grace: 10s}\n")
        let problems = WorkerReload.restartOnlyChanges(new: moved, old: old)
        #expect(problems.map(\.path) == ["kafka", "worker"])
        #expect(problems.first?.message.contains("restart the worker") == true)
    }
}
