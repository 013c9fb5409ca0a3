import Foundation
import Shared
import Synchronization
import TestSupport
import Testing

/// The Kafka client against a real Tansu broker, one broker per test.
@Suite("Kafka client against Tansu")
struct KafkaTansuTests {
    /// Tansu makes a group join wait for half of `session.timeout.ms`, so it is kept low.
    static func configuration(_ broker: TansuBroker) -> KafkaConfiguration {
        KafkaConfiguration(
            bootstrapServers: broker.bootstrapServers,
            clientID: "tansu-tests",
            settings: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
        )
    }

    @Test func adminCreatesListsAndDeletesTopics() async throws {
        try await TansuBroker.run { broker in
            let admin = try KafkaAdmin(configuration: Self.configuration(broker))
            let topics = [
                KafkaTopicSpecification.compacted("dify.jobs", partitions: 3),
                KafkaTopicSpecification(name: "dify.triggers", partitions: 4),
            ]

            let created = try await admin.createTopics(topics)
            #expect(created.sorted() == ["dify.jobs", "dify.triggers"])
            let again = try await admin.createTopics(topics)
            #expect(again.isEmpty)

            let listed = try await admin.topics()
            #expect(listed["dify.jobs"] == 3)
            #expect(listed["dify.triggers"] == 4)
            #expect(try await admin.partitionCount(topic: "dify.missing") == nil)

            try await admin.deleteTopics(["dify.triggers"])
            try await waitUntilAsync("topic deleted") { try await admin.partitionCount(topic: "dify.triggers") == nil }
        }
    }

    @Test func invalidTopicIsRejectedWithItsName() async throws {
        try await TansuBroker.run { broker in
            let admin = try KafkaAdmin(configuration: Self.configuration(broker))

            let error = await #expect(throws: KafkaError.self) {
                try await admin.createTopics([KafkaTopicSpecification(name: "zero", partitions: 0)])
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.reason.contains("zero") == true)
        }
    }

    @Test func sendToMissingTopicFailsWithoutCreatingIt() async throws {
        try await TansuBroker.run { broker in
            var configuration = Self.configuration(broker)
            configuration.settings["topic.metadata.propagation.max.ms"] = "1000"
            let producer = try KafkaProducer(configuration: configuration)

            let error = await #expect(throws: KafkaError.self) {
                _ = try await producer.send(topic: "never-created", value: [1])
            }
            #expect(error?.code == .deliveryFailed)
            #expect(error?.librdkafkaName == "UNKNOWN_TOPIC_OR_PART")
            let topics = try await KafkaAdmin(configuration: configuration).topics()
            #expect(topics["never-created"] == nil)
            try await producer.close()
        }
    }

    @Test func messagesRoundTripThroughGroup() async throws {
        try await TansuBroker.run { broker in
            let configuration = Self.configuration(broker)
            try await KafkaAdmin(configuration: configuration).createTopics([.init(name: "round-trip", partitions: 2)])

            let producer = try KafkaProducer(configuration: configuration)
            var reports: [KafkaDeliveryReport] = []
            for index in 0..<20 {
                let report = try await producer.send(
                    topic: "round-trip",
                    key: "job-\(index % 5)",
                    value: Array("value-\(index)".utf8),
                    headers: [KafkaHeader(name: "index", value: "\(index)")]
                )
                reports.append(report)
            }
            let tombstone = try await producer.send(topic: "round-trip", key: "job-0", value: nil)
            try await producer.close()

            let consumer = try KafkaConsumer(configuration: configuration, groupID: "round-trip-group")
            try consumer.subscribe(topics: ["round-trip"])
            let messages = try await collect(from: consumer, count: 21)

            #expect(Set(messages.map { "\($0.partition)/\($0.offset)" }) == Set((reports + [tombstone]).map { "\($0.partition)/\($0.offset)" }))
            let first = try #require(messages.first { $0.header("index")?.stringValue == "7" })
            #expect(first.value == Array("value-7".utf8))
            #expect(first.keyString == "job-2")
            let tombstoneMessage = try #require(messages.first { $0.isTombstone })
            #expect(tombstoneMessage.keyString == "job-0")
            try await consumer.close()
        }
    }

    @Test func secondConsumerResumesAfterCommit() async throws {
        try await TansuBroker.run { broker in
            let configuration = Self.configuration(broker)
            try await KafkaAdmin(configuration: configuration).createTopics([.init(name: "resume", partitions: 1)])
            let producer = try KafkaProducer(configuration: configuration)
            for index in 0..<10 {
                _ = try await producer.send(topic: "resume", key: "k", value: Array("m\(index)".utf8))
            }
            try await producer.close()

            let first = try KafkaConsumer(configuration: configuration, groupID: "resume-group")
            try first.subscribe(topics: ["resume"])
            let batch = try await collect(from: first, count: 6)
            try first.storeOffset(for: batch[5])
            try await first.commit()
            let committed = try await first.committed([KafkaTopicPartition(topic: "resume", partition: 0)])
            #expect(committed.first?.offset == 6)
            let watermarks = try await first.watermarks(topic: "resume", partition: 0)
            #expect(watermarks.high == 10)
            try await first.close()

            let second = try KafkaConsumer(configuration: configuration, groupID: "resume-group")
            try second.subscribe(topics: ["resume"])
            let rest = try await collect(from: second, count: 4)
            #expect(rest.map(\.offset) == [6, 7, 8, 9])
            #expect(rest.first?.value == Array("m6".utf8))
            try await second.close()
        }
    }

    @Test func twoConsumersSplitPartitions() async throws {
        try await TansuBroker.run { broker in
            let configuration = Self.configuration(broker)
            try await KafkaAdmin(configuration: configuration).createTopics([.init(name: "split", partitions: 4)])
            let all = (0..<4).map { KafkaTopicPartition(topic: "split", partition: $0) }

            let firstEvents = Recorder<KafkaRebalanceEvent>()
            let first = try KafkaConsumer(configuration: configuration, groupID: "split-group") { event, consumer in
                firstEvents.append(event)
                if case .revoked = event { try? consumer.commitBlocking() }
            }
            try first.subscribe(topics: ["split"])
            _ = first.messages()
            try await waitUntil("first consumer owns every partition", timeout: .seconds(30)) { try first.assignment() == all }

            let secondEvents = Recorder<KafkaRebalanceEvent>()
            let second = try KafkaConsumer(configuration: configuration, groupID: "split-group") { event, _ in
                secondEvents.append(event)
            }
            try second.subscribe(topics: ["split"])
            _ = second.messages()
            try await waitUntil("partitions split between both consumers", timeout: .seconds(30)) {
                let firstOwned = try first.assignment()
                let secondOwned = try second.assignment()
                return !firstOwned.isEmpty && !secondOwned.isEmpty && (firstOwned + secondOwned).sorted() == all
            }

            #expect(firstEvents.all.first == .assigned(all))
            #expect(firstEvents.all.contains(.revoked(all)))
            #expect(secondEvents.all.contains { if case .assigned(let partitions) = $0 { !partitions.isEmpty } else { false } })

            try await second.close()
            try await waitUntil("first consumer owns every partition again", timeout: .seconds(30)) { try first.assignment() == all }
            try await first.close()
        }
    }

    @Test func partitionReaderReadsToEnd() async throws {
        try await TansuBroker.run { broker in
            let configuration = Self.configuration(broker)
            try await KafkaAdmin(configuration: configuration).createTopics([.compacted("state", partitions: 3)])

            let producer = try KafkaProducer(configuration: configuration)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<600 {
                    group.addTask {
                        _ = try await producer.send(topic: "state", key: "job-\(index % 50)", value: Array("\(index)".utf8))
                    }
                }
                try await group.waitForAll()
            }
            for index in 0..<10 {
                _ = try await producer.send(topic: "state", key: "job-\(index)", value: nil)
            }
            try await producer.close()

            let reader = KafkaPartitionReader(configuration: configuration)
            let messages = try await reader.readAll(topic: "state")
            #expect(messages.count == 610)

            let latest = try await reader.readLatestByKey(topic: "state")
            #expect(latest.count == 40)
            #expect(latest["job-0"] == nil)
            #expect(latest["job-49"] != nil)

            let partitionZero = messages.filter { $0.partition == 0 }
            let fromOffset = try await reader.readAll(topic: "state", partitions: [0], startOffsets: [0: 5])
            #expect(fromOffset.count == partitionZero.count - 5)
            #expect(fromOffset.first?.offset == 5)
        }
    }

    /// Tansu returns, for ListOffsets, one past the last batch's base offset, so a final batch
    /// of many records must still be read whole.
    @Test func partitionReaderReadsWholeLastBatch() async throws {
        try await TansuBroker.run { broker in
            let configuration = Self.configuration(broker)
            try await KafkaAdmin(configuration: configuration).createTopics([.init(name: "one-batch", partitions: 1)])
            let producer = try KafkaProducer(configuration: configuration)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask { _ = try await producer.send(topic: "one-batch", key: "k\(index)", value: [1]) }
                }
                try await group.waitForAll()
            }
            try await producer.close()

            let reader = KafkaPartitionReader(configuration: configuration)
            let messages = try await reader.readAll(topic: "one-batch", timeout: .seconds(10))
            #expect(messages.map(\.offset) == Array(0..<50))
        }
    }

    @Test func partitionReaderOfEmptyTopicReturnsAtOnce() async throws {
        try await TansuBroker.run { broker in
            let configuration = Self.configuration(broker)
            try await KafkaAdmin(configuration: configuration).createTopics([.init(name: "empty", partitions: 2)])

            let messages = try await KafkaPartitionReader(configuration: configuration).readAll(topic: "empty", timeout: .seconds(5))
            #expect(messages.isEmpty)
        }
    }

    @Test func partitionReaderRejectsMissingTopic() async throws {
        try await TansuBroker.run { broker in
            let reader = KafkaPartitionReader(configuration: Self.configuration(broker))

            let error = await #expect(throws: KafkaError.self) {
                _ = try await reader.readAll(topic: "never-created", timeout: .seconds(5))
            }
            #expect(error?.reason.contains("never-created") == true)
        }
    }
}
