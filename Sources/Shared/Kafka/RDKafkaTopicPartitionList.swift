import CRdKafka

/// Owns an `rd_kafka_topic_partition_list_t` and frees it in `deinit`.
final class RDKafkaTopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int = 1) {
        pointer = rd_kafka_topic_partition_list_new(Int32(max(capacity, 1)))
    }

    convenience init(_ partitions: [KafkaTopicPartition]) {
        self.init(capacity: partitions.count)
        for partition in partitions {
            add(topic: partition.topic, partition: partition.partition, offset: nil)
        }
    }

    convenience init(_ offsets: [KafkaTopicPartitionOffset]) {
        self.init(capacity: offsets.count)
        for offset in offsets {
            add(topic: offset.topic, partition: offset.partition, offset: offset.offset)
        }
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(pointer)
    }

    /// Adds a partition; a nil offset leaves librdkafka's "invalid" marker, which means "use the
    /// committed offset or `auto.offset.reset`".
    func add(topic: String, partition: Int, offset: Int64?) {
        let element = rd_kafka_topic_partition_list_add(pointer, topic, Int32(partition))
        if let offset {
            element?.pointee.offset = offset
        }
    }

    var partitions: [KafkaTopicPartition] { Self.partitions(in: pointer) }

    /// The entries with their offsets; an offset below zero (no committed offset) becomes nil.
    var offsets: [KafkaTopicPartitionOffset] {
        elements.map {
            KafkaTopicPartitionOffset(
                topic: String(cString: $0.topic),
                partition: Int($0.partition),
                offset: $0.offset >= 0 ? $0.offset : nil
            )
        }
    }

    /// The first error set on an entry, as (partition, error code).
    var firstError: (KafkaTopicPartition, rd_kafka_resp_err_t)? {
        for element in elements where element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            return (KafkaTopicPartition(topic: String(cString: element.topic), partition: Int(element.partition)), element.err)
        }
        return nil
    }

    private var elements: UnsafeBufferPointer<rd_kafka_topic_partition_t> {
        UnsafeBufferPointer(start: pointer.pointee.elems, count: Int(pointer.pointee.cnt))
    }

    static func partitions(in list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaTopicPartition] {
        guard let list else { return [] }
        let elements = UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
        return elements.map { KafkaTopicPartition(topic: String(cString: $0.topic), partition: Int($0.partition)) }
    }
}
