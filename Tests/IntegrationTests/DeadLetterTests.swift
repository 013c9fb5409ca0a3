import Foundation
import Shared
import Testing

/// Every kind of bad message on the trigger topic, as another team's system might write it:
/// each lands in the dead-letter topic unchanged with its reason, and one that names a job and
/// a trigger id also gets a `rejected` result.
@Suite(.serialized) struct DeadLetterTests {
    /// One bad message; `key` identifies it in the dead-letter topic.
    struct BadTrigger: Sendable {
        var key: String
        var value: [UInt8]
        /// Text the `dlq.reason` header must contain.
        var reason: String
        /// Trigger id of the `rejected` result, when the message names a job.
        var resultTriggerID: String?
    }

    static func text(_ json: String) -> [UInt8] { Array(json.utf8) }

    static let badTriggers: [BadTrigger] = [
        BadTrigger(key: "bad-json", value: text("{not json"), reason: "not valid JSON"),
        BadTrigger(key: "too-deep", value: text(String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)), reason: "not valid JSON"),
        BadTrigger(key: "not-object", value: text("[1, 2, 3]"), reason: "expected a JSON object"),
        BadTrigger(key: "empty", value: [], reason: "no value"),
        BadTrigger(key: "missing-field", value: text(#"{"v":1,"id":"t-missing","job_id":"job-missing"}"#), reason: "app", resultTriggerID: "t-missing"),
        BadTrigger(key: "wrong-types", value: text(#"{"v":1,"id":"t-types","job_id":"job-types","app":"demo","attempt":"two"}"#),
                   reason: "attempt", resultTriggerID: "t-types"),
        BadTrigger(key: "unknown-app", value: text(#"{"v":1,"id":"t-unknown","job_id":"job-unknown","app":"no-such-app"}"#),
                   reason: "unknown app \"no-such-app\"", resultTriggerID: "t-unknown"),
        BadTrigger(key: "no-job", value: text(#"{"v":1,"id":"t-nojob","app":"demo","inputs":{"topic":"x"}}"#), reason: "does not accept ad-hoc triggers"),
        BadTrigger(key: "newer-version", value: text(#"{"v":99,"id":"t-newer","job_id":"job-newer","app":"demo"}"#),
                   reason: "version 99 is newer", resultTriggerID: "t-newer"),
        BadTrigger(key: "wrong-kind", value: text(#"{"v":1,"id":"t-kind","job_id":"job-kind","app":"demo","kind":"chatflow","policy":{"query":"hi"}}"#),
                   reason: "does not match app \"demo\"", resultTriggerID: "t-kind"),
        BadTrigger(key: "bad-cancel", value: text(#"{"v":1,"id":"t-cancel","type":"cancel","app":"demo","job_id":"job-cancel"}"#),
                   reason: "target_trigger_id", resultTriggerID: "t-cancel"),
        BadTrigger(key: "bad-job-id", value: text(#"{"v":1,"id":"t-badid","job_id":"no spaces allowed","app":"demo"}"#),
                   reason: "not a valid job id", resultTriggerID: "t-badid"),
        BadTrigger(key: "large-inputs", value: text(#"{"v":1,"id":"t-large","job_id":"job-large","app":"demo","inputs":{"blob":""# + String(repeating: "x", count: 600_000) + #""}}"#),
                   reason: "inputs are larger than", resultTriggerID: "t-large"),
        // Inputs that do not fit the demo app's parameters (GET /parameters of the test double).
        BadTrigger(key: "missing-input", value: text(#"{"v":1,"id":"t-noinput","job_id":"job-noinput","app":"demo","inputs":{"mode":"plain"}}"#),
                   reason: "inputs.topic: missing required input \"topic\"", resultTriggerID: "t-noinput"),
        BadTrigger(key: "bad-option", value: text(#"{"v":1,"id":"t-option","job_id":"job-option","app":"demo","inputs":{"topic":"x","mode":"fancy"}}"#),
                   reason: "\"fancy\" is not an option of select \"mode\"", resultTriggerID: "t-option"),
        BadTrigger(key: "bad-number", value: text(#"{"v":1,"id":"t-number","job_id":"job-number","app":"demo","inputs":{"topic":"x","sleep":"soon"}}"#),
                   reason: "does not fit number input \"sleep\"", resultTriggerID: "t-number"),
        BadTrigger(key: "too-long-input", value: text(#"{"v":1,"id":"t-toolong","job_id":"job-toolong","app":"demo","inputs":{"topic":""# + String(repeating: "z", count: 300) + #""}}"#),
                   reason: "longer than the max length 256 of input \"topic\"", resultTriggerID: "t-toolong"),
        BadTrigger(key: "oversize", value: text(#"{"v":1,"id":"t-huge","job_id":"job-huge","app":"demo","inputs":{"blob":""# + String(repeating: "y", count: 1_100_000) + #""}}"#),
                   reason: "above the limit"),
    ]

    @Test func eachBadTriggerIsDeadLettered() async throws {
        let cluster = try await SchedulerCluster.start(name: "dead-letters")
        defer { cluster.stop() }
        let config = try cluster.writeConfig(partitions: 1)
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "worker-dlq")
        try await worker.waitForLog("partition assigned", timeout: .seconds(30))
        #expect(worker.log.contains("app parameters read"))

        // Larger than librdkafka's default message.max.bytes, as a misconfigured writer may send.
        let writer = try KafkaProducer(configuration: KafkaConfiguration(
            bootstrapServers: cluster.broker.bootstrapServers, settings: ["message.max.bytes": "4000000"]))
        for bad in Self.badTriggers {
            _ = try await writer.send(topic: cluster.topics.triggers, key: Array(bad.key.utf8), value: bad.value)
        }
        try await writer.close()

        let deadline = ContinuousClock.now + .seconds(60)
        var letters: [KafkaMessage] = []
        while letters.count < Self.badTriggers.count, ContinuousClock.now < deadline {
            letters = try await cluster.readAll(cluster.topics.deadLetter)
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(letters.count == Self.badTriggers.count)

        for bad in Self.badTriggers {
            let letter = letters.first { $0.key.map { String(decoding: $0, as: UTF8.self) } == bad.key }
            #expect(letter != nil, "\(bad.key) is not in the dead-letter topic")
            guard let letter else { continue }
            let reason = letter.header("dlq.reason")?.stringValue ?? ""
            #expect(reason.contains(bad.reason), "\(bad.key): reason \"\(reason)\" lacks \"\(bad.reason)\"")
            #expect(letter.header("dlq.source")?.stringValue?.hasPrefix(cluster.topics.triggers) == true, "\(bad.key) names no source")
            #expect(letter.header("dlq.worker")?.stringValue == "worker-dlq")
            if bad.value.count > TopicPublisher.maxDeadLetterValueBytes {
                #expect(letter.value == Array(bad.value.prefix(TopicPublisher.truncatedDeadLetterValueBytes)), "\(bad.key) keeps its first bytes")
                #expect(letter.header("dlq.truncated")?.stringValue?.hasPrefix("\(bad.value.count) bytes") == true)
            } else {
                #expect(letter.value ?? [] == bad.value, "\(bad.key) is dead-lettered unchanged")
            }
        }

        let expected = Set(Self.badTriggers.compactMap(\.resultTriggerID))
        let results = try await cluster.waitForResults("rejected results") { results in
            expected.isSubset(of: Set(results.map(\.triggerID)))
        }
        for bad in Self.badTriggers {
            guard let triggerID = bad.resultTriggerID else { continue }
            let result = results.first { $0.triggerID == triggerID }
            #expect(result?.status == .rejected, "\(bad.key)")
            #expect(result?.error?.code == "rejected", "\(bad.key)")
            #expect(result?.error?.message.contains(bad.reason) == true, "\(bad.key): \(result?.error?.message ?? "no error")")
        }
        // No bad trigger ran: every result is a rejection.
        #expect(results.allSatisfy { $0.status == .rejected })
        #expect(await worker.terminate() == 0)
    }
}
