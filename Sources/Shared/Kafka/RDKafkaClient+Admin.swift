import CRdKafka

extension RDKafkaClient {
    /// The per-topic outcome of an admin request: nil on success, else the error code and text.
    typealias TopicResults = [String: (rd_kafka_resp_err_t, String)?]

    /// Creates topics and waits for the broker's response.
    func createTopics(_ topics: [KafkaTopicSpecification], timeoutMilliseconds: Int32) throws -> TopicResults {
        var newTopics: [OpaquePointer?] = []
        defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }

        for topic in topics {
            var message = [CChar](repeating: 0, count: 512)
            guard let newTopic = rd_kafka_NewTopic_new(topic.name, Int32(topic.partitions), Int32(topic.replicationFactor), &message, message.count) else {
                throw KafkaError(
                    code: .invalidArgument,
                    reason: "topic \(topic.name) with \(topic.partitions) partitions and replication factor \(topic.replicationFactor) is invalid: \(errorText(message))"
                )
            }
            newTopics.append(newTopic)
            for (key, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
                let result = rd_kafka_NewTopic_set_config(newTopic, key, value)
                guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError.librdkafka(result, code: .invalidArgument, reason: "topic config \(key)=\(value) for \(topic.name) is invalid")
                }
            }
        }

        return try runAdmin(RD_KAFKA_ADMIN_OP_CREATETOPICS, timeoutMilliseconds: timeoutMilliseconds, what: "creating topics") { options, queue in
            newTopics.withUnsafeMutableBufferPointer {
                rd_kafka_CreateTopics(handle, $0.baseAddress, $0.count, options, queue)
            }
        } results: { event in
            var count = 0
            let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
            return Self.topicResults(results, count: count)
        }
    }

    /// Deletes topics and waits for the broker's response.
    func deleteTopics(_ names: [String], timeoutMilliseconds: Int32) throws -> TopicResults {
        var deletions: [OpaquePointer?] = names.map { rd_kafka_DeleteTopic_new($0) }
        defer { deletions.forEach { rd_kafka_DeleteTopic_destroy($0) } }

        return try runAdmin(RD_KAFKA_ADMIN_OP_DELETETOPICS, timeoutMilliseconds: timeoutMilliseconds, what: "deleting topics") { options, queue in
            deletions.withUnsafeMutableBufferPointer {
                rd_kafka_DeleteTopics(handle, $0.baseAddress, $0.count, options, queue)
            }
        } results: { event in
            var count = 0
            let results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count)
            return Self.topicResults(results, count: count)
        }
    }

    /// Reads the partition count of every topic, or of `topic` alone, from cluster metadata.
    ///
    /// A topic the broker does not know is left out of the result.
    func partitionCounts(topic: String?, timeoutMilliseconds: Int32) throws -> [String: Int] {
        var topicHandle: OpaquePointer?
        if let topic {
            topicHandle = rd_kafka_topic_new(handle, topic, nil)
        }
        defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }

        var metadata: UnsafePointer<rd_kafka_metadata_t>?
        let result = rd_kafka_metadata(handle, topicHandle == nil ? 1 : 0, topicHandle, &metadata, timeoutMilliseconds)
        defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError.librdkafka(result, code: .queryFailed, reason: "reading cluster metadata failed; check that the brokers are reachable")
        }

        var counts: [String: Int] = [:]
        let topics = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        for entry in topics where entry.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            counts[String(cString: entry.topic)] = Int(entry.partition_cnt)
        }
        return counts
    }

    private func runAdmin(
        _ operation: rd_kafka_admin_op_t,
        timeoutMilliseconds: Int32,
        what: String,
        start: (OpaquePointer?, OpaquePointer?) -> Void,
        results: (OpaquePointer?) -> TopicResults
    ) throws -> TopicResults {
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, operation)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var message = [CChar](repeating: 0, count: 512)
        rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMilliseconds, &message, message.count)
        rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &message, message.count)

        start(options, queue)

        // The request times out inside librdkafka; the extra second lets that response arrive.
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1000) else {
            throw KafkaError(code: .adminFailed, reason: "\(what) timed out after \(timeoutMilliseconds) ms; check that the brokers are reachable", isRetriable: true)
        }
        defer { rd_kafka_event_destroy(event) }
        let error = rd_kafka_event_error(event)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let detail = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            throw KafkaError.librdkafka(error, code: .adminFailed, reason: "\(what) failed: \(detail)")
        }
        return results(event)
    }

    private static func topicResults(_ results: UnsafeMutablePointer<OpaquePointer?>?, count: Int) -> TopicResults {
        var outcome: TopicResults = [:]
        for index in 0..<count {
            guard let result = results?[index] else { continue }
            let name = String(cString: rd_kafka_topic_result_name(result))
            let error = rd_kafka_topic_result_error(result)
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                outcome[name] = .some(nil)
            } else {
                let text = rd_kafka_topic_result_error_string(result).map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(error))
                outcome[name] = (error, text)
            }
        }
        return outcome
    }
}

extension KafkaError {
    static func adminResult(_ failure: (rd_kafka_resp_err_t, String), topic: String, action: String) -> KafkaError {
        .librdkafka(failure.0, code: .adminFailed, reason: "\(action) topic \(topic) failed: \(failure.1)")
    }

    /// The librdkafka name of the code (such as `TOPIC_ALREADY_EXISTS`), from `rd_kafka_err2name`.
    public var librdkafkaName: String? {
        librdkafkaCode.map { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t($0))) }
    }
}
