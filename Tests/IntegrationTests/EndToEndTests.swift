import Foundation
import Shared
import Testing

/// The main job with real processes: Tansu, the Dify test double, dify-producer and dify-worker.
@Suite(.serialized) struct EndToEndTests {
    @Test func scheduledJobYieldsConsecutiveResults() async throws {
        let cluster = try await SchedulerCluster.start(name: "e2e-every")
        defer { cluster.stop() }

        // Five fires: every 2 s from a whole second a little ahead, for 8 s.
        let startSecond = (Date().timeIntervalSince1970 + 8).rounded(.down)
        let start = Date(timeIntervalSince1970: startSecond)
        let end = start.addingTimeInterval(8)
        let config = try cluster.writeConfig("""
            jobs:
              - id: every-2s
                app: demo
                schedule:
                  every: 2s
                  start: "\(Timestamp.rfc3339(start))"
                  end: "\(Timestamp.rfc3339(end))"
                inputs: {topic: alpha, mode: plain}
              - id: failing
                app: demo
                schedule:
                  every: 1h
                  start: "\(Timestamp.rfc3339(start))"
                  end: "\(Timestamp.rfc3339(start))"
                inputs: {topic: beta, fail: "yes", mode: plain}
            """)
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "worker-1")
        let producer = try cluster.startProducer(config: config)
        try await worker.waitForLog("partition assigned")

        let results = try await cluster.waitForResults("5 results of every-2s and 1 of failing", timeout: .seconds(60)) { results in
            results.filter { $0.jobID == "every-2s" }.count >= 5 && results.contains { $0.jobID == "failing" }
        }

        let every = results.filter { $0.jobID == "every-2s" }.sorted { $0.scheduledAt! < $1.scheduledAt! }
        #expect(every.count == 5)
        let instants = every.compactMap(\.scheduledAt).map(\.timeIntervalSince1970)
        #expect(instants == (0..<5).map { startSecond + Double($0 * 2) })
        for result in every {
            #expect(result.status == .succeeded)
            #expect((result.nodes ?? []).count >= 4)
            #expect(result.workflowRunID != nil)
            #expect(result.outputs?["topic"] == .string("alpha"))
        }
        #expect(Set(every.map(\.triggerID)).count == 5)

        let failing = try #require(results.first { $0.jobID == "failing" })
        #expect(failing.status == .failed)
        #expect(failing.error?.code == "node_failed")
        #expect(failing.error?.nodeID == "http_main")
        #expect(failing.error?.message.contains("Reached maximum retries") == true)

        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }

    @Test func rejectedTriggersGoToDeadLetterTopic() async throws {
        let cluster = try await SchedulerCluster.start(name: "e2e-dlq")
        defer { cluster.stop() }
        let config = try cluster.writeConfig()
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "worker-dlq")
        try await worker.waitForLog("partition assigned")

        try await cluster.publishRaw(topic: cluster.topics.triggers, key: "demo", value: Array("{not json".utf8))
        var unknown = Trigger(id: "t-unknown-app", app: "no-such-app")
        unknown.jobID = "job-x"
        try await cluster.publishRaw(topic: cluster.topics.triggers, key: "no-such-app", value: Array(MessageCodec.encode(unknown)))

        let deadline = ContinuousClock.now + .seconds(30)
        var letters: [KafkaMessage] = []
        while letters.count < 2, ContinuousClock.now < deadline {
            letters = try await cluster.readAll(cluster.topics.deadLetter)
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(letters.count == 2)
        let reasons = letters.compactMap { $0.header("dlq.reason")?.stringValue }
        #expect(reasons.contains { $0.contains("not valid JSON") })
        #expect(reasons.contains { $0.contains("unknown app \"no-such-app\"") })

        // The trigger that named a job also gets a rejected result.
        let results = try await cluster.waitForResults("rejected result") { $0.contains { $0.triggerID == "t-unknown-app" } }
        #expect(results.first { $0.triggerID == "t-unknown-app" }?.status == .rejected)
        #expect(await worker.terminate() == 0)
    }
}
