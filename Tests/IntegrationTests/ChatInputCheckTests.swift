import Foundation
import Shared
import TestSupport
import Testing

/// `dify-producer app inspect` and the input checks of `dify-producer validate`, run as
/// processes against the Dify test double, whose app has the inputs `topic` (text, required,
/// max length 256), `fail` (select no/yes), `sleep` (number) and `mode` (select plain/iterate).
@Suite struct ChatInputCheckTests {
    /// Runs `dify-producer` with `arguments` until it exits; returns its status and output.
    func producer(_ arguments: [String], environment: [String: String], name: String) async throws -> (status: Int32?, output: String) {
        let process = try ManagedProcess(binary: "dify-producer", arguments: arguments, environment: environment, logName: name)
        guard await process.waitForExit(timeout: .seconds(60)) else {
            process.kill9()
            throw ProcessError(reason: "dify-producer \(arguments.joined(separator: " ")) did not exit:\n\(process.log)")
        }
        return (await process.terminate(timeout: .seconds(1)), process.log)
    }

    func writeFile(_ text: String, name: String) throws -> String {
        let directory = ManagedProcess.outputDirectory.appendingPathComponent("input-check-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func validateReportsEachMismatch() async throws {
        let double = try DifyDoubleProcess()
        defer { double.stop() }
        let closedPort = try FreePort.next()
        let config = try writeFile("""
            apps:
              demo:
                base_url: http://127.0.0.1:\(double.port)/v1
                api_key_env: INPUT_CHECK_KEY
              gone:
                base_url: http://127.0.0.1:\(closedPort)/v1
                api_key_env: INPUT_CHECK_KEY
            jobs:
              - id: fine
                app: demo
                schedule: {cron: "0 9 * * *"}
                inputs: {topic: daily, fail: "no", sleep: 2, mode: plain}
              - id: missing-topic
                app: demo
                schedule: {cron: "0 9 * * *"}
                inputs: {mode: plain}
              - id: unknown-name
                app: demo
                schedule: {cron: "0 9 * * *"}
                inputs: {topic: daily, tpoic: daily}
              - id: bad-option
                app: demo
                schedule: {cron: "0 9 * * *"}
                inputs: {topic: daily, mode: fancy}
              - id: bad-number
                app: demo
                schedule: {cron: "0 9 * * *"}
                inputs: {topic: daily, sleep: soon}
              - id: too-long
                app: demo
                schedule: {cron: "0 9 * * *"}
                inputs: {topic: "\(String(repeating: "x", count: 300))"}
              - id: unreachable
                app: gone
                schedule: {cron: "0 9 * * *"}
                inputs: {anything: 1}
            """, name: "jobs.yaml")
        let environment = ["INPUT_CHECK_KEY": DifyDoubleProcess.apiKey]

        let (status, output) = try await producer(["validate", config], environment: environment, name: "validate-inputs")
        #expect(status == 1)
        let lines = output.split(separator: "\n").map(String.init)
        func line(_ text: String) -> String? { lines.first { $0.contains(text) } }

        #expect(line("\(config):13: jobs[1].inputs.topic: missing required input \"topic\" (text-input) of app \"demo\"") != nil)
        #expect(line("\(config):17: jobs[2].inputs.tpoic: unknown input \"tpoic\": app \"demo\" has the inputs topic, fail, sleep, mode") != nil)
        #expect(line("\(config):21: jobs[3].inputs.mode: \"fancy\" is not an option of select \"mode\" of app \"demo\": use one of plain, iterate") != nil)
        #expect(line("\(config):25: jobs[4].inputs.sleep: text \"soon\" does not fit number input \"sleep\"") != nil)
        #expect(line("\(config):29: jobs[5].inputs.topic: text of 300 characters is longer than the max length 256") != nil)
        // An unreachable app is a warning, and its jobs go unchecked.
        #expect(line("warning: inputs of app \"gone\" not checked") != nil)
        #expect(line("jobs[6]") == nil)
        #expect(line("jobs[0]") == nil)
        #expect(line("5 problems found") != nil)

        // --skip-inputs leaves the apps alone.
        let skipped = try await producer(["validate", config, "--skip-inputs"], environment: environment, name: "validate-skip")
        #expect(skipped.status == 0)
        #expect(skipped.output.contains("valid: 7 jobs"))
    }

    @Test func inspectPrintsInputVariables() async throws {
        let double = try DifyDoubleProcess()
        defer { double.stop() }
        let config = try writeFile("""
            apps:
              demo:
                base_url: http://127.0.0.1:\(double.port)/v1
                api_key_env: INPUT_CHECK_KEY
            """, name: "apps.yaml")
        let environment = ["INPUT_CHECK_KEY": DifyDoubleProcess.apiKey]

        let table = try await producer(["app", "inspect", "demo", "--config", config], environment: environment, name: "inspect-table")
        #expect(table.status == 0)
        let lines = table.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("mode workflow: 4 input variables") == true)
        #expect(lines.contains { $0.hasPrefix("NAME") && $0.contains("MAX LENGTH") })
        let topic = try #require(lines.first { $0.hasPrefix("topic ") })
        #expect(topic.split(separator: " ", omittingEmptySubsequences: true).prefix(3) == ["topic", "text-input", "yes"])
        #expect(topic.contains("256"))
        #expect(lines.contains { $0.hasPrefix("mode ") && $0.contains("plain,iterate") })

        let json = try await producer(["app", "inspect", "demo", "--config", config, "--json"], environment: environment, name: "inspect-json")
        #expect(json.status == 0)
        let value = try JSONValue.parse(Data(json.output.utf8))
        let inputs = value["inputs"]?.arrayValue ?? []
        #expect(inputs.compactMap { $0["name"]?.stringValue } == ["topic", "fail", "sleep", "mode"])
        #expect(inputs.first?["max_length"] == .int(256))
        #expect(inputs.first?["required"] == .bool(true))
        #expect(inputs[1]["options"] == ["no", "yes"])

        let unknown = try await producer(["app", "inspect", "nope", "--config", config], environment: environment, name: "inspect-unknown")
        #expect(unknown.status == 1)
        #expect(unknown.output.contains("app \"nope\" is not under apps: in this configuration (configured: demo)"))
    }
}
