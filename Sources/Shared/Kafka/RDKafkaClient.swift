import CRdKafka

/// Owns one `rd_kafka_t` and destroys it in `deinit`.
///
/// The public clients (``KafkaProducer``, ``KafkaConsumer``, ``KafkaPartitionReader``,
/// ``KafkaAdmin``) reach librdkafka only through this type and its extensions.
///
/// `@unchecked Sendable` is safe because librdkafka's `rd_kafka_t` is thread-safe for every
/// call made here, and the only stored properties are immutable.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer
        case consumer
    }

    let handle: OpaquePointer
    let kind: Kind
    /// Kept alive until after `rd_kafka_destroy`, because librdkafka calls back into it.
    let events: RDKafkaEvents

    /// Creates a client from librdkafka properties.
    ///
    /// - Throws: ``KafkaError`` with code `invalidConfiguration` naming a rejected property, or
    ///   `clientCreationFailed` with librdkafka's text.
    init(kind: Kind, properties: [(String, String)], events: RDKafkaEvents) throws {
        try KafkaLibrary.checkVersion()
        let config = try RDKafkaConfig(properties: properties)
        events.install(on: config.pointer)

        var message = [CChar](repeating: 0, count: 512)
        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let handle = rd_kafka_new(type, config.pointer, &message, message.count) else {
            throw KafkaError(
                code: .clientCreationFailed,
                reason: "creating the Kafka client failed: \(errorText(message)); check the Kafka settings"
            )
        }
        _ = config.release()
        self.handle = handle
        self.kind = kind
        self.events = events
    }

    deinit {
        // After a fatal error the consumer has lost its group membership, and leaving the group
        // again can spin inside librdkafka 2.8, so the consumer close step is skipped.
        if kind == .consumer && fatalError != nil {
            rd_kafka_destroy_flags(handle, Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE))
        } else {
            rd_kafka_destroy(handle)
        }
    }

    /// The fatal error librdkafka raised on this instance, if any.
    ///
    /// Asks librdkafka directly when the error callback has not run yet, because a consumer can
    /// see the fatal state in `rd_kafka_consumer_poll` before any callback is served.
    var fatalError: KafkaError? {
        if let recorded = events.fatalError { return recorded }
        var buffer = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(handle, &buffer, buffer.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let error = KafkaError.librdkafka(
            code,
            code: .consumeFailed,
            reason: "librdkafka raised a fatal error: \(errorText(buffer)); close this client and create a new one",
            fatal: true
        )
        events.recordFatal(error)
        return error
    }

    /// Serves queued callbacks (delivery reports, errors); blocks up to `timeoutMilliseconds`.
    @discardableResult
    func poll(timeoutMilliseconds: Int32) -> Int32 {
        rd_kafka_poll(handle, timeoutMilliseconds)
    }

    /// The number of messages and requests still waiting in librdkafka's queues.
    var outQueueLength: Int32 { rd_kafka_outq_len(handle) }

    /// Waits until every produced message is delivered or failed.
    ///
    /// - Throws: ``KafkaError`` with code `flushTimedOut` when messages remain after the timeout.
    func flush(timeoutMilliseconds: Int32) throws {
        let result = rd_kafka_flush(handle, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(
                result,
                code: .flushTimedOut,
                reason: "\(outQueueLength) messages were still waiting for delivery after \(timeoutMilliseconds) ms; check that the brokers are reachable"
            )
        }
    }

    /// Raises a fabricated fatal error with `rd_kafka_test_fatal_error`, for tests of the
    /// fatal-error paths.
    func raiseTestFatalError() {
        rd_kafka_test_fatal_error(handle, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "raised by a test")
    }

    /// Fails every message still queued in librdkafka with `_PURGE_QUEUE`.
    func purgeQueuedMessages() {
        rd_kafka_purge(handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
    }

    /// Outcome of enqueuing one message.
    enum ProduceResult {
        case enqueued
        case queueFull
        case failed(KafkaError)
    }

    /// Enqueues one message; librdkafka copies the key, value and headers.
    ///
    /// `messageOpaque` comes back in the delivery callback.
    func produce(
        topic: String,
        partition: Int?,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        headers: [KafkaHeader],
        messageOpaque: UnsafeMutableRawPointer?
    ) -> ProduceResult {
        let fixedCount = 6
        let count = fixedCount + headers.count
        let headerBytes = headers.reduce(0) { $0 + $1.name.utf8.count + 1 + ($1.value?.count ?? 0) }

        let result = topic.withCString { topicName in
            withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: count) { items in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(headerBytes, 1)) { storage in
                    func item(_ index: Int, _ type: rd_kafka_vtype_t) -> UnsafeMutablePointer<rd_kafka_vu_t> {
                        let pointer = items.baseAddress! + index
                        pointer.initialize(to: rd_kafka_vu_t())
                        pointer.pointee.vtype = type
                        return pointer
                    }

                    item(0, RD_KAFKA_VTYPE_TOPIC).pointee.u.cstr = topicName
                    item(1, RD_KAFKA_VTYPE_PARTITION).pointee.u.i32 = partition.map { Int32($0) } ?? RD_KAFKA_PARTITION_UA
                    item(2, RD_KAFKA_VTYPE_MSGFLAGS).pointee.u.i = RD_KAFKA_MSG_F_COPY
                    let keyItem = item(3, RD_KAFKA_VTYPE_KEY)
                    keyItem.pointee.u.mem.ptr = key.flatMap { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
                    keyItem.pointee.u.mem.size = key?.count ?? 0
                    let valueItem = item(4, RD_KAFKA_VTYPE_VALUE)
                    valueItem.pointee.u.mem.ptr = value.flatMap { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
                    valueItem.pointee.u.mem.size = value?.count ?? 0
                    item(5, RD_KAFKA_VTYPE_OPAQUE).pointee.u.ptr = messageOpaque

                    // Header names need NUL-terminated copies; they and the values go into one buffer.
                    var cursor = storage.baseAddress!
                    for (index, header) in headers.enumerated() {
                        let headerItem = item(fixedCount + index, RD_KAFKA_VTYPE_HEADER)
                        let nameStart = cursor
                        for byte in header.name.utf8 {
                            cursor.pointee = byte
                            cursor += 1
                        }
                        cursor.pointee = 0
                        cursor += 1
                        headerItem.pointee.u.header.name = UnsafeRawPointer(nameStart).assumingMemoryBound(to: CChar.self)
                        if let bytes = header.value {
                            let valueStart = cursor
                            bytes.withUnsafeBufferPointer { buffer in
                                if let base = buffer.baseAddress {
                                    cursor.update(from: base, count: buffer.count)
                                }
                            }
                            cursor += bytes.count
                            headerItem.pointee.u.header.val = UnsafeRawPointer(valueStart)
                            headerItem.pointee.u.header.size = bytes.count
                        } else {
                            headerItem.pointee.u.header.val = nil
                            headerItem.pointee.u.header.size = -1
                        }
                    }

                    let error = rd_kafka_produceva(handle, items.baseAddress, count)
                    defer { rd_kafka_error_destroy(error) }
                    guard let error else { return (RD_KAFKA_RESP_ERR_NO_ERROR, false) }
                    return (rd_kafka_error_code(error), rd_kafka_error_is_fatal(error) != 0)
                }
            }
        }

        switch result.0 {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            return .enqueued
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            return .queueFull
        default:
            let reason = result.1
                ? "enqueuing a message to topic \(topic) failed because the producer failed fatally; close it and create a new one"
                : "enqueuing a message to topic \(topic) failed"
            return .failed(.librdkafka(result.0, code: .deliveryFailed, reason: reason, fatal: result.1))
        }
    }

    /// Returns the text of an `rd_kafka_error_t` and frees it; nil for no error.
    static func takeErrorText(_ error: OpaquePointer?) -> String? {
        guard let error else { return nil }
        defer { rd_kafka_error_destroy(error) }
        return String(cString: rd_kafka_error_string(error))
    }
}

extension KafkaError {
    /// Makes an error from a librdkafka code, with `rd_kafka_err2str`'s text and a
    /// retriability judged from the code.
    static func librdkafka(_ error: rd_kafka_resp_err_t, code: Code, reason: String, fatal: Bool = false) -> KafkaError {
        KafkaError(
            code: code,
            reason: reason,
            librdkafkaCode: error.rawValue,
            librdkafkaText: String(cString: rd_kafka_err2str(error)),
            isRetriable: !fatal && retriableCodes.contains(error),
            isFatal: fatal || error == RD_KAFKA_RESP_ERR__FATAL
        )
    }

    /// Codes for conditions that pass without any change on the client side.
    private static let retriableCodes: Set<rd_kafka_resp_err_t> = [
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TIMED_OUT,
        RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__WAIT_COORD,
        RD_KAFKA_RESP_ERR__IN_PROGRESS, RD_KAFKA_RESP_ERR__RESOLVE, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE,
        RD_KAFKA_RESP_ERR__PARTITION_EOF, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
        RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
        RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
        RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR,
        RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND, RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT,
    ]
}
