import Foundation
import Shared
import TestSupport
import Testing

/// What the command lines of both binaries print for help, job files given alone, an
/// unreachable broker and jobs without a schedule.
@Suite struct ProducerCommandLineTests {
    func command(_ binary: String = "dify-producer", _ arguments: [String], name: String, timeout: Duration = .seconds(60)) async throws -> (status: Int32?, output: String) {
        let process = try ManagedProcess(binary: binary, arguments: arguments, environment: [:], logName: name)
        guard await process.waitForExit(timeout: timeout) else {
            process.kill9()
            throw ProcessError(reason: "\(binary) \(arguments.joined(separator: " ")) did not exit:\n\(process.log)")
        }
        return (await process.terminate(timeout: .seconds(1)), process.log)
    }

    func writeFile(_ text: String, name: String) throws -> String {
        let directory = ManagedProcess.outputDirectory.appendingPathComponent("command-line-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func validateWarnsOnLoneJobFile() async throws {
        let jobs = try writeFile("""
            jobs:
              - id: lone
                app: nope
                schedule: {every: 1m}
                deliver: {channels: [nohook], content: answer}
            """, name: "jobs.yaml")
        let (status, output) = try await command("dify-producer", ["validate", jobs], name: "validate-lone")
        #expect(status == 0)
        #expect(output.contains("warning: apps not checked (nope): \(jobs) defines no apps:; pass the configuration file too"))
        #expect(output.contains("warning: channels not checked (nohook)"))
    }

    @Test func kafkaCommandsFailFastWithoutBroker() async throws {
        let closed = "127.0.0.1:\(try FreePort.next())"
        let config = try writeFile("kafka: {bootstrap_servers: \"\(closed)\"}\n", name: "kafka.yaml")
        let jobs = try writeFile("jobs:\n  - id: a\n    app: demo\n    schedule: {every: 1m}\n", name: "jobs.yaml")
        for arguments in [["apply", jobs, "--config", config, "--dry-run", "--skip-inputs"], ["topics", "list", "--config", config], ["tail", "results", "--config", config]] {
            // The waits allow for a slow machine; a hung command fails the test, not a slow one.
            let (status, output) = try await command("dify-producer", arguments, name: "no-broker-\(arguments[0])", timeout: .seconds(40))
            #expect(status == 1, "\(arguments): \(output)")
            #expect(output.contains("cannot reach Kafka at \(closed) (from \(config)"), "\(arguments): \(output)")
            #expect(output.contains("pass --config FILE whose kafka: section names yours"))
        }
    }

    @Test func helpPrintsUsageEverywhere() async throws {
        let producerCommands = [
            ["--help"], ["-h"], ["help"], ["run", "--help"], ["apply", "--help"], ["validate", "-h"], ["app", "--help"],
            ["app", "inspect", "--help"], ["next", "--help"], ["explain", "--help"], ["topics", "--help"],
            ["topics", "create", "--help"], ["tail", "--help"], ["tail", "results", "-h"], ["hash-token", "--help"],
            ["bench-kafka", "--help"], ["bench-producer", "--help"], ["bench-schedule", "--help"],
            ["bench-triggers", "--help"], ["bench-records", "--help"],
        ]
        for arguments in producerCommands {
            let (status, output) = try await command("dify-producer", arguments, name: "help-producer")
            #expect(status == 0, "dify-producer \(arguments.joined(separator: " ")): \(output)")
            #expect(output.contains("usage: dify-producer"), "dify-producer \(arguments.joined(separator: " ")): \(output)")
        }
        for arguments in [["--help"], ["-h"], ["help"], ["run", "--help"]] {
            let (status, output) = try await command("dify-worker", arguments, name: "help-worker")
            #expect(status == 0, "dify-worker \(arguments.joined(separator: " ")): \(output)")
            #expect(output.contains("usage: dify-worker run --config FILE"))
        }
        let (status, output) = try await command("dify-worker", ["start"], name: "help-worker-unknown")
        #expect(status == 2)
        #expect(output.contains("dify-worker: unknown command \"start\"") && output.contains("usage: dify-worker"))
    }

    @Test func nextExplainsChainOnlyJob() async throws {
        let jobs = try writeFile("""
            jobs:
              - {id: parent, app: demo, schedule: {every: 1h}, on_success: [child], on_failure: [child]}
              - {id: child, app: demo, schedule: {}}
              - {id: orphan, app: demo, schedule: {}}
            """, name: "jobs.yaml")
        let (status, output) = try await command("dify-producer", ["next", "--config", jobs, "--job", "child", "--render"], name: "next-child")
        #expect(status == 0)
        #expect(output.contains("job \"child\" has no schedule of its own: it runs only when a parent job lists it in on_success or on_failure: started by parent (on_success), parent (on_failure)"))
        let orphan = try await command("dify-producer", ["next", "--config", jobs, "--job", "orphan"], name: "next-orphan")
        #expect(orphan.status == 0)
        #expect(orphan.output.contains("no job in \(jobs) does"))
    }
}
