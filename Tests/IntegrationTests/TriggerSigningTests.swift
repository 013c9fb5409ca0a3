import Foundation
import Shared
import Testing

/// Producer-signed triggers with `kafka.trigger_signing` set on both processes: signed
/// scheduled runs and worker retries run, while unsigned or wrongly signed triggers of apps
/// without `accept_external` and unsigned cancel messages go to the dead-letter topic.
@Suite(.serialized) struct TriggerSigningTests {
    static let key = String(repeating: "5e", count: 32)

    @Test func onlySignedTriggersRunForAppsWithoutAcceptExternal() async throws {
        let cluster = try await SchedulerCluster.start(name: "trigger-signing")
        defer { cluster.stop() }
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 6).rounded(.down))
        let path = try cluster.writeConfig("""
            jobs:
              - id: signed
                app: demo
                schedule: {every: 1h, start: "\(Timestamp.rfc3339(start))", max_runs: 1}
                inputs: {topic: signed, mode: plain}
                retry: {max_attempts: 3, initial_backoff: 100ms, max_backoff: 200ms}
            """, partitions: 1, extraApps: """
              open:
                base_url: \(cluster.doubleBaseURL)
                api_key_env: TEST_DIFY_KEY
                mode: workflow
                accept_external: true
            """)
        // The signing key goes at the top of the kafka section, read by producer and worker.
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "kafka:\n", with: "kafka:\n  trigger_signing: {key_env: TEST_TRIGGER_KEY}\n")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let environment = ["TEST_TRIGGER_KEY": Self.key]
        try await cluster.createTopics(config: path)
        let worker = try cluster.startWorker(config: path, id: "worker-signing", environment: environment)
        try await worker.waitForLog("partition assigned", timeout: .seconds(30))
        #expect(!worker.log.contains("triggers are not authenticated"))

        // The first call is throttled, so the run needs a retry, which the worker signs.
        _ = try await cluster.double("POST", "/_double/config", body: ["status": 429, "count": 1])
        let producer = try cluster.startProducer(config: path, environment: environment)
        let scheduled = try await cluster.waitForResults("the signed job's result", timeout: .seconds(60)) { results in
            results.contains { $0.jobID == "signed" }
        }
        let signed = try #require(scheduled.first { $0.jobID == "signed" })
        #expect(signed.status == .succeeded)
        #expect(signed.attempts?.count == 2)

        // What another system might write: a made-up job unsigned, one signed with another
        // key, an unsigned cancel, and an unsigned trigger of the app that accepts them.
        let madeUp = cluster.trigger("t-unsigned", job: "made-up")
        let forged = cluster.trigger("t-forged", job: "made-up-too")
        var cancel = Trigger(id: "t-cancel", app: "open")
        cancel.type = .cancel
        cancel.targetJobID = "signed"
        var external = cluster.trigger("t-external", job: "external")
        external.app = "open"

        let writer = try KafkaProducer(configuration: cluster.kafka)
        let forgedValue = Array(MessageCodec.encode(forged))
        let wrongKey = TriggerSigner(key: Array(String(repeating: "0f", count: 32).utf8))
        _ = try await writer.send(topic: cluster.topics.triggers, key: "unsigned", value: Array(MessageCodec.encode(madeUp)))
        _ = try await writer.send(topic: cluster.topics.triggers, key: "forged", value: forgedValue, headers: [wrongKey.header(for: forgedValue)])
        _ = try await writer.send(topic: cluster.topics.triggers, key: "cancel", value: Array(MessageCodec.encode(cancel)))
        _ = try await writer.send(topic: cluster.topics.triggers, key: "external", value: Array(MessageCodec.encode(external)))
        try await writer.close()

        let deadline = ContinuousClock.now + .seconds(60)
        var letters: [KafkaMessage] = []
        while letters.count < 3, ContinuousClock.now < deadline {
            letters = try await cluster.readAll(cluster.topics.deadLetter)
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(letters.count == 3)
        let expected: [(key: String, code: String, reason: String)] = [
            ("unsigned", "unsigned", "has no dify.signature header"),
            ("forged", "bad_signature", "does not match its value"),
            ("cancel", "unsigned", "only producers and workers of this deployment may cancel runs"),
        ]
        for (key, code, reason) in expected {
            let letter = letters.first { $0.key.map { String(decoding: $0, as: UTF8.self) } == key }
            #expect(letter?.header("dlq.code")?.stringValue == code, "\(key)")
            #expect(letter?.header("dlq.reason")?.stringValue?.contains(reason) == true, "\(key): \(letter?.header("dlq.reason")?.stringValue ?? "no letter")")
        }

        let results = try await cluster.waitForResults("the external run and two rejections", timeout: .seconds(60)) { results in
            Set(["t-external", "t-unsigned", "t-forged"]).isSubset(of: Set(results.map(\.triggerID)))
        }
        #expect(results.first { $0.triggerID == "t-external" }?.status == .succeeded)
        #expect(results.first { $0.triggerID == "t-unsigned" }?.status == .rejected)
        #expect(results.first { $0.triggerID == "t-forged" }?.status == .rejected)
        #expect(results.filter { $0.jobID == "signed" }.count == 1)
        // No Dify call for the made-up jobs: the double saw the signed run's two calls and the external one.
        let calls = try await cluster.doubleRequests().filter { $0["path"]?.stringValue?.hasSuffix("/workflows/run") == true }
        #expect(calls.count == 3)

        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
        // The key never reaches a log.
        #expect(!worker.log.contains(Self.key))
        #expect(!producer.log.contains(Self.key))
    }

    @Test func workerWithoutAKeyWarnsThatTriggersAreNotAuthenticated() async throws {
        let cluster = try await SchedulerCluster.start(name: "trigger-signing-off")
        defer { cluster.stop() }
        let path = try cluster.writeConfig(partitions: 1)
        try await cluster.createTopics(config: path)
        let worker = try cluster.startWorker(config: path, id: "worker-unsigned")
        try await worker.waitForLog("triggers are not authenticated", timeout: .seconds(30))
        #expect(await worker.terminate() == 0)
    }

    @Test func shortKeyStopsTheWorkerWithTheFix() async throws {
        let cluster = try await SchedulerCluster.start(name: "trigger-signing-short")
        defer { cluster.stop() }
        let path = try cluster.writeConfig(partitions: 1)
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "kafka:\n", with: "kafka:\n  trigger_signing: {key_env: TEST_TRIGGER_KEY}\n")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let worker = try cluster.startWorker(config: path, id: "worker-short", environment: ["TEST_TRIGGER_KEY": "short-key"])
        #expect(await worker.waitForExit(timeout: .seconds(30)))
        #expect(worker.log.contains("openssl rand -hex 32"))
        #expect(!worker.log.contains("short-key"))
    }
}
