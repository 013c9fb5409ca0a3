import Foundation
import Shared
import TestSupport
import Testing

@Suite("KafkaConsumer against the mock cluster")
struct KafkaConsumerTests {
    let cluster: KafkaMockCluster
    let configuration: KafkaConfiguration

    init() throws {
        cluster = try KafkaMockCluster()
        configuration = KafkaConfiguration(
            bootstrapServers: cluster.bootstrapServers,
            clientID: "consumer-tests",
            settings: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
        )
    }

    @Test func consumedMessageCarriesKeyValueAndHeaders() async throws {
        try cluster.createTopic("shapes", partitions: 1)
        let producer = try KafkaProducer(configuration: configuration)
        let headers = [KafkaHeader(name: "trigger-id", value: "t-1"), KafkaHeader(name: "empty", value: nil as [UInt8]?)]
        let report = try await producer.send(topic: "shapes", key: "job-1", value: bytes("{\"v\":1}"), headers: headers)
        try await producer.close()

        let consumer = try KafkaConsumer(configuration: configuration, groupID: "shapes-group")
        try consumer.subscribe(topics: ["shapes"])
        let message = try #require(try await collectMessages(from: consumer, count: 1).first)

        #expect(message.topic == "shapes")
        #expect(message.partition == report.partition)
        #expect(message.offset == report.offset)
        #expect(message.keyString == "job-1")
        #expect(message.value == bytes("{\"v\":1}"))
        #expect(message.header("trigger-id")?.stringValue == "t-1")
        #expect(message.header("empty") != nil)
        #expect(message.header("empty")?.value == nil)
        #expect(message.timestampMilliseconds != nil)
        try await consumer.close()
    }

    @Test func tombstoneAndEmptyValueStayApart() async throws {
        try cluster.createTopic("tombstones", partitions: 1)
        let producer = try KafkaProducer(configuration: configuration)
        _ = try await producer.send(topic: "tombstones", key: "deleted", value: nil)
        _ = try await producer.send(topic: "tombstones", key: "empty", value: [])
        _ = try await producer.send(topic: "tombstones", value: bytes("no key"))
        try await producer.close()

        let consumer = try KafkaConsumer(configuration: configuration, groupID: "tombstones-group")
        try consumer.subscribe(topics: ["tombstones"])
        let messages = try await collectMessages(from: consumer, count: 3)

        #expect(messages[0].isTombstone)
        #expect(messages[0].value == nil)
        #expect(messages[1].value == [])
        #expect(!messages[1].isTombstone)
        #expect(messages[2].key == nil)
        try await consumer.close()
    }

    @Test func explicitPartitionIsReadBack() async throws {
        try cluster.createTopic("runs-like", partitions: 4)
        let producer = try KafkaProducer(configuration: configuration)
        _ = try await producer.send(topic: "runs-like", key: "trigger-a", value: [1], partition: 3)
        try await producer.close()

        let consumer = try KafkaConsumer(configuration: configuration, groupID: "runs-like-group")
        try consumer.subscribe(topics: ["runs-like"])
        let message = try #require(try await collectMessages(from: consumer, count: 1).first)
        #expect(message.partition == 3)
        try await consumer.close()
    }

    @Test func committedOffsetIsWhereSecondConsumerResumes() async throws {
        try cluster.createTopic("resume", partitions: 1)
        let producer = try KafkaProducer(configuration: configuration)
        for index in 0..<10 {
            _ = try await producer.send(topic: "resume", key: "k", value: bytes("m\(index)"))
        }
        try await producer.close()

        let first = try KafkaConsumer(configuration: configuration, groupID: "resume-group")
        try first.subscribe(topics: ["resume"])
        let firstBatch = try await collectMessages(from: first, count: 4)
        try first.storeOffset(for: firstBatch[3])
        try await first.commit()
        let committed = try await first.committed([KafkaTopicPartition(topic: "resume", partition: 0)])
        #expect(committed.first?.offset == 4)
        try await first.close()

        let second = try KafkaConsumer(configuration: configuration, groupID: "resume-group")
        try second.subscribe(topics: ["resume"])
        let next = try #require(try await collectMessages(from: second, count: 1).first)
        #expect(next.offset == 4)
        #expect(next.value == bytes("m4"))
        try await second.close()
    }

    @Test func explicitCommitOffsetsAreStored() async throws {
        try cluster.createTopic("explicit-commit", partitions: 2)
        let producer = try KafkaProducer(configuration: configuration)
        for partition in 0..<2 {
            _ = try await producer.send(topic: "explicit-commit", value: [1], partition: partition)
        }
        try await producer.close()

        let consumer = try KafkaConsumer(configuration: configuration, groupID: "explicit-commit-group")
        try consumer.subscribe(topics: ["explicit-commit"])
        _ = try await collectMessages(from: consumer, count: 2)
        try await consumer.commit(offsets: [
            KafkaTopicPartitionOffset(topic: "explicit-commit", partition: 0, offset: 1),
            KafkaTopicPartitionOffset(topic: "explicit-commit", partition: 1, offset: 1),
        ])

        let committed = try await consumer.committed([
            KafkaTopicPartition(topic: "explicit-commit", partition: 0),
            KafkaTopicPartition(topic: "explicit-commit", partition: 1),
        ])
        #expect(committed.map(\.offset) == [1, 1])
        try await consumer.close()
    }

    @Test func storingOffsetOfUnassignedPartitionFails() async throws {
        try cluster.createTopic("unassigned", partitions: 1)
        let consumer = try KafkaConsumer(configuration: configuration, groupID: "unassigned-group")

        let error = #expect(throws: KafkaError.self) {
            try consumer.storeOffset(topic: "unassigned", partition: 0, offset: 0)
        }
        #expect(error?.code == .commitFailed)
        try await consumer.close()
    }

    @Test func rebalanceReportsAssignmentAndRevocation() async throws {
        try cluster.createTopic("rebalance", partitions: 3)
        let events = Recorder<KafkaRebalanceEvent>()
        let consumer = try KafkaConsumer(configuration: configuration, groupID: "rebalance-group") { event, consumer in
            events.append(event)
            if case .revoked = event {
                try? consumer.commitBlocking()
            }
        }
        try consumer.subscribe(topics: ["rebalance"])
        _ = consumer.messages()

        try await waitUntil("assignment") { try consumer.assignment().count == 3 }
        try await consumer.close()

        let expected = (0..<3).map { KafkaTopicPartition(topic: "rebalance", partition: $0) }
        #expect(events.all.first == .assigned(expected))
        #expect(events.all.last == .revoked(expected))
    }

    @Test func pausedPartitionDeliversNothingUntilResumed() async throws {
        try cluster.createTopic("pausing", partitions: 1)
        let producer = try KafkaProducer(configuration: configuration)
        _ = try await producer.send(topic: "pausing", value: bytes("first"))

        let consumer = try KafkaConsumer(configuration: configuration, groupID: "pausing-group")
        try consumer.subscribe(topics: ["pausing"])
        _ = try await collectMessages(from: consumer, count: 1)

        let partition = KafkaTopicPartition(topic: "pausing", partition: 0)
        try consumer.pause([partition])
        _ = try await producer.send(topic: "pausing", value: bytes("second"))
        await #expect(throws: TestTimeout.self) {
            _ = try await collectMessages(from: consumer, count: 1, timeout: .seconds(1))
        }

        try consumer.resume([partition])
        let resumed = try await collectMessages(from: consumer, count: 1)
        #expect(resumed.first?.value == bytes("second"))
        try await producer.close()
        try await consumer.close()
    }

    @Test func watermarksCountProducedMessages() async throws {
        try cluster.createTopic("watermarks", partitions: 1)
        let producer = try KafkaProducer(configuration: configuration)
        for _ in 0..<7 {
            _ = try await producer.send(topic: "watermarks", value: [1])
        }
        try await producer.close()

        let consumer = try KafkaConsumer(configuration: configuration, groupID: "watermarks-group")
        let watermarks = try await consumer.watermarks(topic: "watermarks", partition: 0)
        #expect(watermarks.low == 0)
        #expect(watermarks.high == 7)
        try await consumer.close()
    }

    @Test func lagFollowsCommits() async throws {
        try cluster.createTopic("lag", partitions: 1)
        let producer = try KafkaProducer(configuration: configuration)
        for _ in 0..<6 {
            _ = try await producer.send(topic: "lag", value: [1])
        }
        try await producer.close()

        let consumer = try KafkaConsumer(configuration: configuration, groupID: "lag-group")
        try consumer.subscribe(topics: ["lag"])
        let messages = try await collectMessages(from: consumer, count: 6)
        let partition = KafkaTopicPartition(topic: "lag", partition: 0)
        #expect(try await consumer.lag()[partition] == 6)

        try consumer.storeOffset(for: messages[3])
        try await consumer.commit()
        #expect(try await consumer.lag()[partition] == 2)
        try await consumer.close()
    }

    @Test func blockingPollReturnsMessages() async throws {
        try cluster.createTopic("blocking-poll", partitions: 1)
        let producer = try KafkaProducer(configuration: configuration)
        _ = try await producer.send(topic: "blocking-poll", key: "k", value: bytes("polled"))
        try await producer.close()

        let consumer = try KafkaConsumer(configuration: configuration, groupID: "blocking-poll-group")
        try consumer.subscribe(topics: ["blocking-poll"])
        let message = try await onOwnThread { () throws -> KafkaMessage? in
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                if let message = try consumer.poll(timeout: .milliseconds(200)) { return message }
            }
            return nil
        }
        #expect(message?.value == bytes("polled"))
        try await consumer.close()
    }

    @Test func operationsAfterCloseFail() async throws {
        let consumer = try KafkaConsumer(configuration: configuration, groupID: "closed-group")
        try await consumer.close()

        let error = #expect(throws: KafkaError.self) { try consumer.subscribe(topics: ["any"]) }
        #expect(error?.code == .closed)
    }

    @Test func conflictingAutoCommitIsRejected() throws {
        var settings = configuration
        settings.settings["enable.auto.commit"] = "true"

        let error = #expect(throws: KafkaError.self) { try KafkaConsumer(configuration: settings, groupID: "g") }
        #expect(error?.reason.contains("enable.auto.commit") == true)
    }
}

@Suite("KafkaConsumer message sequence")
struct KafkaConsumerMessagesTests {
    let cluster: KafkaMockCluster
    let configuration: KafkaConfiguration

    init() throws {
        cluster = try KafkaMockCluster()
        configuration = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, clientID: "messages-tests")
    }

    @Test func smallBufferDeliversEveryMessageInOrder() async throws {
        try cluster.createTopic("backpressure", partitions: 1)
        let producer = try KafkaProducer(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<500 {
                group.addTask { _ = try await producer.send(topic: "backpressure", key: "k\(index)", value: [1]) }
            }
            try await group.waitForAll()
        }
        try await producer.close()

        let consumer = try KafkaConsumer(configuration: configuration, groupID: "backpressure-group")
        try consumer.subscribe(topics: ["backpressure"])
        let sequence = consumer.messages(bufferCapacity: 4)
        let offsets = try await withDeadline(.seconds(30), activity: "reading 500 messages") {
            var offsets: [Int64] = []
            for try await message in sequence {
                offsets.append(message.offset)
                if offsets.count == 500 { break }
            }
            return offsets
        }
        #expect(offsets == Array(0..<500))
        try await consumer.close()
    }

    @Test func cancellingWaitingIteratorThrows() async throws {
        try cluster.createTopic("idle", partitions: 1)
        let consumer = try KafkaConsumer(configuration: configuration, groupID: "idle-group")
        try consumer.subscribe(topics: ["idle"])
        let sequence = consumer.messages()

        let waiting = Task {
            var iterator = sequence.makeAsyncIterator()
            return try await iterator.next()
        }
        try await Task.sleep(for: .milliseconds(300))
        waiting.cancel()

        await #expect(throws: CancellationError.self) { _ = try await waiting.value }
        try await consumer.close()
    }

    @Test func closeEndsTheSequence() async throws {
        try cluster.createTopic("ending", partitions: 1)
        let consumer = try KafkaConsumer(configuration: configuration, groupID: "ending-group")
        try consumer.subscribe(topics: ["ending"])
        let sequence = consumer.messages()

        let waiting = Task {
            var iterator = sequence.makeAsyncIterator()
            return try await iterator.next()
        }
        try await Task.sleep(for: .milliseconds(300))
        try await consumer.close()

        let next = try await waiting.value
        #expect(next == nil)
    }
}
