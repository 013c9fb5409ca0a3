/// A partition of a topic.
public struct KafkaTopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int

    public init(topic: String, partition: Int) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (lhs: KafkaTopicPartition, rhs: KafkaTopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// A partition with an offset, in Kafka's committed-offset sense: the offset of the next
/// message to read, one past the last message processed.
public struct KafkaTopicPartitionOffset: Sendable, Hashable, CustomStringConvertible {
    public var topicPartition: KafkaTopicPartition
    /// The next offset to read; nil when the partition has no committed offset.
    public var offset: Int64?

    public init(topic: String, partition: Int, offset: Int64?) {
        self.topicPartition = KafkaTopicPartition(topic: topic, partition: partition)
        self.offset = offset
    }

    public var topic: String { topicPartition.topic }
    public var partition: Int { topicPartition.partition }

    public var description: String { "\(topicPartition)@\(offset.map(String.init) ?? "none")" }
}

/// The low and high watermarks of a partition.
///
/// `low` is the offset of the first message still stored; `high` is the offset the next
/// produced message will get. `high - committed` is a consumer group's lag.
public struct KafkaWatermarks: Sendable, Hashable {
    public var low: Int64
    public var high: Int64

    public init(low: Int64, high: Int64) {
        self.low = low
        self.high = high
    }

    /// The number of messages between the two watermarks; deleted or compacted messages inside
    /// that range are counted too.
    public var count: Int64 { high - low }
}
