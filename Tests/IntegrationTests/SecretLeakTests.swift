import Foundation
import Shared
import Testing

/// A whole deployment runs jobs that succeed, fail at a node, fail on a wrong API key, time out,
/// are triggered through the API and are rejected; afterwards no topic, log or file contains an API
/// key or an API token in clear.
@Suite(.serialized) struct SecretLeakTests {
    @Test func noSecretInTopicsLogsOrFiles() async throws {
        let cluster = try await SchedulerCluster.start(name: "secret-leak")
        defer { cluster.stop() }
        let wrongKey = "app-wrong-\(UUID().uuidString.prefix(12))"
        let store = cluster.directory.appendingPathComponent("records.db").path
        let startSecond = (Date().timeIntervalSince1970 + 6).rounded(.down)
        let start = Timestamp.rfc3339(Date(timeIntervalSince1970: startSecond))
        let config = try cluster.writeConfig("""
            jobs:
              - {id: ok-job, app: demo, schedule: {every: 2s, start: "\(start)"}, inputs: {topic: alpha, mode: plain}}
              - {id: node-fails, app: demo, schedule: {every: 1h, start: "\(start)"}, inputs: {topic: beta, fail: "yes", mode: plain}}
              - {id: slow-job, app: demo, schedule: {every: 1h, start: "\(start)"}, timeout: 1s, retry: {max_attempts: 1}, inputs: {topic: gamma, sleep: 5, mode: plain}}
              - {id: wrong-key, app: locked, schedule: {every: 1h, start: "\(start)"}, retry: {max_attempts: 1}, inputs: {topic: delta, mode: plain}}
            """, partitions: 2, extraApps: """
              locked:
                base_url: \(cluster.doubleBaseURL)
                api_key_env: TEST_WRONG_KEY
                mode: workflow
            """, producerSettings: "store: sqlite:\(store)")
        // Triggers are signed, so the signing key is one more secret to look for.
        let signingKey = "sign-\(UUID().uuidString)"
        let signedConfig = try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "kafka:\n", with: "kafka:\n  trigger_signing: {key_env: TEST_TRIGGER_KEY}\n")
        try signedConfig.write(toFile: config, atomically: true, encoding: .utf8)
        let environment = ["TEST_WRONG_KEY": wrongKey, "TEST_TRIGGER_KEY": signingKey]
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "leak-worker", environment: environment)
        let producer = try cluster.startProducer(config: config, environment: environment)
        try await worker.waitForLog("partition assigned", timeout: .seconds(30))
        let api = ControlClient(port: try await producer.controlPort())
        try await api.waitUntilReady()

        // A manual trigger through the API, and a trigger that names a job but the wrong kind.
        let manual = try await api.send("POST", "/v1/jobs/ok-job/trigger", body: ["inputs": ["topic": "manual"]], actor: "alice")
        #expect(manual.status == 202)
        var rejected = Trigger(id: "t-leak-rejected", app: "demo")
        rejected.jobID = "ok-job"
        rejected.kind = .completion
        try await cluster.publishRaw(topic: cluster.topics.triggers, key: "demo", value: Array(MessageCodec.encode(rejected)))

        let results = try await cluster.waitForResults("every kind of outcome", timeout: .seconds(90)) { results in
            results.filter { $0.jobID == "ok-job" && $0.status == .succeeded }.count >= 3
                && results.contains { $0.jobID == "node-fails" && $0.status == .failed }
                && results.contains { $0.jobID == "wrong-key" && $0.status == .failed }
                && results.contains { $0.jobID == "slow-job" && $0.status == .timedOut }
                && results.contains { $0.triggerID == "t-leak-rejected" && $0.status == .rejected }
        }
        #expect(results.contains { $0.jobID == "wrong-key" && $0.error?.code == "unauthorized" }, "\(results.filter { $0.jobID == "wrong-key" }.map { $0.error?.code ?? "-" })")
        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)

        let secrets = [cluster.apiKey, wrongKey, signingKey] + TestTokens.admins.map(TestTokens.token(for:))
            + AccessRole.allCases.map { TestTokens.token(for: TestTokens.name(of: $0)) }
        var places: [(name: String, bytes: [UInt8])] = []

        // Every message of every topic: key, value and headers.
        var messageCount = 0
        for topic in cluster.topics.all {
            for message in try await cluster.readAll(topic.name) {
                messageCount += 1
                let place = "\(topic.name)[\(message.partition)]@\(message.offset)"
                places.append((place + " key", message.key ?? []))
                places.append((place + " value", message.value ?? []))
                for header in message.headers {
                    places.append((place + " header \(header.name)", header.value ?? []))
                }
            }
        }
        #expect(messageCount > 20, "the scenario wrote only \(messageCount) messages")

        // The log of every process and every file the deployment wrote.
        for process in [producer, worker, cluster.double] {
            places.append((process.logFile.path, Array(process.log.utf8)))
        }
        let files = FileManager.default.enumerator(at: cluster.directory, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? []
        for file in files where !file.lastPathComponent.hasSuffix(".yaml") {
            places.append((file.path, Array((try? Data(contentsOf: file)) ?? Data())))
        }

        // The search finds a key wherever it sits in a place.
        #expect(Self.contains(Array("prefix \(cluster.apiKey)".utf8), Array(cluster.apiKey.utf8)))
        var leaks: [String] = []
        for place in places {
            for secret in secrets where Self.contains(place.bytes, Array(secret.utf8)) {
                leaks.append("\(place.name) contains \(secret.prefix(8))…")
            }
        }
        #expect(leaks.isEmpty, "\(leaks.count) leaks:\n\(leaks.joined(separator: "\n"))")
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first, Array(haystack[index..<index + needle.count]) == needle { return true }
            index += 1
        }
        return false
    }
}
