import CRdKafka
import Glibc

extension RDKafkaClient {
    /// Outcome of one `rd_kafka_consumer_poll`.
    enum PollResult {
        case message(KafkaMessage)
        /// The consumer reached the end of a partition; `offset` is the next offset to read.
        case partitionEnd(KafkaTopicPartition, offset: Int64)
        case error(KafkaError)
        case timedOut
    }

    /// Sends the main queue's events (rebalances, errors) to `rd_kafka_consumer_poll`.
    func redirectMainQueueToConsumer() {
        rd_kafka_poll_set_consumer(handle)
    }

    func subscribe(topics: [String]) throws {
        let list = RDKafkaTopicPartitionList(capacity: topics.count)
        for topic in topics {
            list.add(topic: topic, partition: Int(RD_KAFKA_PARTITION_UA), offset: nil)
        }
        let result = rd_kafka_subscribe(handle, list.pointer)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(result, code: .assignmentFailed, reason: "subscribing to topics \(topics.joined(separator: ", ")) failed")
        }
    }

    /// Polls for one message or event; blocks up to `timeoutMilliseconds`.
    ///
    /// `topicNames` caches the topic name of the last topic handle, so a run of messages from
    /// one topic converts its name once.
    func consumerPoll(timeoutMilliseconds: Int32, topicNames: inout TopicNameCache) -> PollResult {
        guard let message = rd_kafka_consumer_poll(handle, timeoutMilliseconds) else {
            return .timedOut
        }
        defer { rd_kafka_message_destroy(message) }
        let record = message.pointee
        let topic = topicNames.name(of: record.rkt)

        switch record.err {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            break
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            return .partitionEnd(KafkaTopicPartition(topic: topic, partition: Int(record.partition)), offset: record.offset)
        default:
            let detail = record.payload.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? ""
            let place = topic.isEmpty ? "" : " on \(topic)[\(record.partition)]"
            return .error(.librdkafka(record.err, code: .consumeFailed, reason: "consuming\(place) failed: \(detail)"))
        }

        var headers: [KafkaHeader] = []
        var headerList: OpaquePointer?
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: bytes))
                index += 1
            }
        }

        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)

        return .message(KafkaMessage(
            topic: topic,
            partition: Int(record.partition),
            offset: record.offset,
            key: record.key.map { Array(UnsafeRawBufferPointer(start: $0, count: record.key_len)) },
            value: record.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: record.len)) },
            headers: headers,
            timestampMilliseconds: timestamp >= 0 ? timestamp : nil
        ))
    }

    /// Replaces the assignment; nil offsets start from the committed offset or
    /// `auto.offset.reset`.
    func assign(_ offsets: [KafkaTopicPartitionOffset]) throws {
        let list = RDKafkaTopicPartitionList(offsets)
        let result = rd_kafka_assign(handle, list.pointer)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(result, code: .assignmentFailed, reason: "assigning partitions \(offsets) failed")
        }
    }

    /// Moves the fetch position of assigned partitions; blocks until the fetchers took the new
    /// positions or the timeout passes.
    func seek(_ offsets: [KafkaTopicPartitionOffset], timeoutMilliseconds: Int32) throws {
        let list = RDKafkaTopicPartitionList(offsets)
        let error = rd_kafka_seek_partitions(handle, list.pointer, timeoutMilliseconds)
        if let error {
            let code = rd_kafka_error_code(error)
            let text = Self.takeErrorText(error) ?? ""
            throw KafkaError.librdkafka(code, code: .assignmentFailed, reason: "seeking \(offsets) failed: \(text)")
        }
        if let (partition, error) = list.firstError {
            throw KafkaError.librdkafka(error, code: .assignmentFailed, reason: "seeking \(partition) failed; is it assigned to this consumer?")
        }
    }

    func assignment() throws -> [KafkaTopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let result = rd_kafka_assignment(handle, &list)
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(result, code: .assignmentFailed, reason: "reading the assignment failed")
        }
        return RDKafkaTopicPartitionList.partitions(in: list).sorted()
    }

    /// Pauses (`pause` true) or resumes fetching from partitions.
    func setPaused(_ pause: Bool, _ partitions: [KafkaTopicPartition]) throws {
        let list = RDKafkaTopicPartitionList(partitions)
        let result = pause ? rd_kafka_pause_partitions(handle, list.pointer) : rd_kafka_resume_partitions(handle, list.pointer)
        let verb = pause ? "pausing" : "resuming"
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(result, code: .assignmentFailed, reason: "\(verb) partitions \(partitions) failed")
        }
        if let (partition, error) = list.firstError {
            throw KafkaError.librdkafka(error, code: .assignmentFailed, reason: "\(verb) partition \(partition) failed; is it assigned to this consumer?")
        }
    }

    /// Stores offsets (next offset to read) for the next commit.
    func storeOffsets(_ offsets: [KafkaTopicPartitionOffset]) throws {
        let list = RDKafkaTopicPartitionList(offsets)
        let result = rd_kafka_offsets_store(handle, list.pointer)
        if let (partition, error) = list.firstError {
            throw KafkaError.librdkafka(
                error,
                code: .commitFailed,
                reason: "storing the offset of \(partition) failed; an offset can only be stored for a partition assigned to this consumer"
            )
        }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(result, code: .commitFailed, reason: "storing offsets \(offsets) failed")
        }
    }

    /// Commits `offsets`, or every stored offset when nil; blocks until the broker responds.
    ///
    /// Having nothing to commit is success.
    func commitSync(_ offsets: [KafkaTopicPartitionOffset]?) throws {
        let list = offsets.map { RDKafkaTopicPartitionList($0) }
        let result = rd_kafka_commit(handle, list?.pointer, 0)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR || result == RD_KAFKA_RESP_ERR__NO_OFFSET else {
            let what = offsets.map { "offsets \($0)" } ?? "stored offsets"
            throw KafkaError.librdkafka(result, code: .commitFailed, reason: "committing \(what) failed")
        }
        if let list, let (partition, error) = list.firstError {
            throw KafkaError.librdkafka(error, code: .commitFailed, reason: "committing the offset of \(partition) failed")
        }
    }

    /// Reads the group's committed offsets; blocks until the broker responds or the timeout passes.
    func committed(_ partitions: [KafkaTopicPartition], timeoutMilliseconds: Int32) throws -> [KafkaTopicPartitionOffset] {
        let list = RDKafkaTopicPartitionList(partitions)
        let result = rd_kafka_committed(handle, list.pointer, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(result, code: .queryFailed, reason: "reading committed offsets of \(partitions) failed")
        }
        if let (partition, error) = list.firstError {
            throw KafkaError.librdkafka(error, code: .queryFailed, reason: "reading the committed offset of \(partition) failed")
        }
        return list.offsets
    }

    /// Asks the partition leader for the low and high watermarks.
    func queryWatermarks(topic: String, partition: Int, timeoutMilliseconds: Int32) throws -> KafkaWatermarks {
        var low: Int64 = 0
        var high: Int64 = 0
        let result = rd_kafka_query_watermark_offsets(handle, topic, Int32(partition), &low, &high, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(result, code: .queryFailed, reason: "reading the watermarks of \(topic)[\(partition)] failed")
        }
        return KafkaWatermarks(low: low, high: high)
    }

    /// Returns the watermarks librdkafka last saw in a fetch response for the partition, without asking
    /// the broker; nil before the first fetch.
    func cachedWatermarks(topic: String, partition: Int) -> KafkaWatermarks? {
        var low: Int64 = -1
        var high: Int64 = -1
        let result = rd_kafka_get_watermark_offsets(handle, topic, Int32(partition), &low, &high)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return KafkaWatermarks(low: max(low, 0), high: high)
    }

    /// Leaves the group: revokes the assignment (serving the rebalance callback on this thread)
    /// and commits nothing by itself.
    func consumerClose() throws {
        let result = rd_kafka_consumer_close(handle)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(result, code: .assignmentFailed, reason: "leaving the consumer group failed")
        }
    }
}

/// Remembers the name of the last topic handle seen, so consecutive messages of one topic
/// convert the C string once.
struct TopicNameCache {
    private var lastHandle: OpaquePointer?
    private var lastCString: [CChar] = [0]
    private var lastName = ""

    mutating func name(of topicHandle: OpaquePointer?) -> String {
        guard let topicHandle else { return "" }
        let current = rd_kafka_topic_name(topicHandle)!
        // A freed handle's address can be reused by another topic, so the name is compared too.
        if topicHandle != lastHandle || strcmp(current, lastCString) != 0 {
            lastHandle = topicHandle
            lastName = String(cString: current)
            lastCString = Array(lastName.utf8CString)
        }
        return lastName
    }
}
