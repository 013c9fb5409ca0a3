import Foundation
import Shared
import Testing

@Suite("KafkaProducer against the mock cluster")
struct KafkaProducerTests {
    let cluster: KafkaMockCluster
    let configuration: KafkaConfiguration

    init() throws {
        cluster = try KafkaMockCluster()
        configuration = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, clientID: "producer-tests")
    }

    @Test func deliveryReportsCarryIncreasingOffsets() async throws {
        try cluster.createTopic("offsets", partitions: 1)
        let producer = try KafkaProducer(configuration: configuration)

        var offsets: [Int64] = []
        for index in 0..<5 {
            let report = try await producer.send(topic: "offsets", key: "job-\(index)", value: Array("v\(index)".utf8))
            #expect(report.topic == "offsets")
            #expect(report.partition == 0)
            offsets.append(report.offset)
        }
        #expect(offsets == [0, 1, 2, 3, 4])
        try await producer.close()
    }

    @Test func explicitPartitionIsHonoured() async throws {
        try cluster.createTopic("explicit", partitions: 4)
        let producer = try KafkaProducer(configuration: configuration)

        for partition in 0..<4 {
            let report = try await producer.send(topic: "explicit", key: "same-key", value: [1], partition: partition)
            #expect(report.partition == partition)
        }
        try await producer.close()
    }

    @Test func sameKeyLandsOnSamePartition() async throws {
        try cluster.createTopic("keyed", partitions: 6)
        let producer = try KafkaProducer(configuration: configuration)

        let first = try await producer.send(topic: "keyed", key: "report-bot", value: [1])
        let second = try await producer.send(topic: "keyed", key: "report-bot", value: [2])
        #expect(first.partition == second.partition)
        try await producer.close()
    }

    /// Expected partitions come from the Java client's `Utils.murmur2` (ported to Python):
    /// `(murmur2(key) & 0x7fffffff) % 12`.
    @Test func keysHashLikeJavaClient() async throws {
        try cluster.createTopic("java-hash", partitions: 12)
        let producer = try KafkaProducer(configuration: configuration)
        let expected = ["report-bot": 8, "daily-report": 4, "job-1": 8, "a": 4, "trigger-0001": 4]

        for (key, partition) in expected {
            let report = try await producer.send(topic: "java-hash", key: key, value: [1])
            #expect(report.partition == partition, "key \(key)")
        }
        try await producer.close()
    }

    @Test func concurrentSendsAllComplete() async throws {
        try cluster.createTopic("concurrent", partitions: 3)
        let producer = try KafkaProducer(configuration: configuration)

        let reports = try await withThrowingTaskGroup(of: KafkaDeliveryReport.self) { group in
            for index in 0..<2000 {
                group.addTask { try await producer.send(topic: "concurrent", key: "k\(index % 17)", value: Array(repeating: 7, count: 64)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.count == 2000)
        let distinct = Set(reports.map { "\($0.partition)/\($0.offset)" })
        #expect(distinct.count == 2000)
        try await producer.close()
    }

    @Test func queueFullWaitsInsteadOfFailing() async throws {
        try cluster.createTopic("small-queue", partitions: 1)
        var settings = configuration
        settings.settings["queue.buffering.max.messages"] = "10"
        let producer = try KafkaProducer(configuration: settings)

        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<500 {
                group.addTask { _ = try await producer.send(topic: "small-queue", key: "k\(index)", value: [1]); return 1 }
            }
            return try await group.reduce(0, +)
        }
        #expect(count == 500)
        try await producer.close()
    }

    @Test func missingPartitionFailsDelivery() async throws {
        try cluster.createTopic("two-partitions", partitions: 2)
        let producer = try KafkaProducer(configuration: configuration)

        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.send(topic: "two-partitions", value: [1], partition: 7)
        }
        #expect(error?.code == .deliveryFailed)
        #expect(error?.librdkafkaText != nil)
        try await producer.close()
    }

    @Test func negativePartitionIsRejected() async throws {
        let producer = try KafkaProducer(configuration: configuration)

        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.send(topic: "any", value: [1], partition: -1)
        }
        #expect(error?.code == .invalidArgument)
        try await producer.close()
    }

    @Test func sendAfterCloseFails() async throws {
        let producer = try KafkaProducer(configuration: configuration)
        try await producer.close()

        await #expect(throws: KafkaError.self) {
            _ = try await producer.send(topic: "closed", value: [1])
        }
    }

    @Test func conflictingRequiredSettingIsRejected() throws {
        var settings = configuration
        settings.settings["acks"] = "1"

        let error = #expect(throws: KafkaError.self) { try KafkaProducer(configuration: settings) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.reason.contains("acks") == true)
    }

    @Test func unknownSettingIsNamed() throws {
        var settings = configuration
        settings.settings["linger.mss"] = "5"

        let error = #expect(throws: KafkaError.self) { try KafkaProducer(configuration: settings) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.reason.contains("linger.mss") == true)
    }

    @Test func invalidSettingValueIsNamed() throws {
        var settings = configuration
        settings.settings["linger.ms"] = "soon"

        let error = #expect(throws: KafkaError.self) { try KafkaProducer(configuration: settings) }
        #expect(error?.reason.contains("linger.ms=soon") == true)
    }
}
