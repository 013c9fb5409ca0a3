import Foundation

/// A message read from Kafka.
public struct KafkaMessage: Sendable, Hashable {
    public var topic: String
    public var partition: Int
    public var offset: Int64
    public var key: [UInt8]?
    /// The value bytes; nil for a tombstone (a record that deletes its key in a compacted topic).
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// The record timestamp in milliseconds since the Unix epoch, or nil when the broker gave none.
    public var timestampMilliseconds: Int64?

    public init(
        topic: String,
        partition: Int,
        offset: Int64,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [KafkaHeader] = [],
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }

    /// The key decoded as UTF-8, or nil when it is absent or not valid UTF-8.
    public var keyString: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }

    /// The record timestamp as a date.
    public var timestamp: Date? {
        timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    public var isTombstone: Bool { value == nil }

    /// Returns the first header named `name`.
    public func header(_ name: String) -> KafkaHeader? {
        headers.first { $0.name == name }
    }
}

/// The topic, partition and offset a produced message was written to.
public struct KafkaDeliveryReport: Sendable, Hashable {
    public var topic: String
    public var partition: Int
    public var offset: Int64

    public init(topic: String, partition: Int, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// A change of a group consumer's assignment, reported before librdkafka applies it.
public enum KafkaRebalanceEvent: Sendable, Hashable {
    /// These partitions are about to be assigned to this consumer.
    case assigned([KafkaTopicPartition])
    /// These partitions are about to be taken away; commit what was processed now.
    case revoked([KafkaTopicPartition])
}
