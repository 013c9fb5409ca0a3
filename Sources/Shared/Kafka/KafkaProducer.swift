import Synchronization

/// An idempotent Kafka producer whose sends return when the broker has acknowledged the message.
///
/// librdkafka is configured with `enable.idempotence=true`, `acks=all` and
/// `partitioner=murmur2_random`, and these cannot be overridden. murmur2 is the Java client's
/// key hashing, so every writer puts a key on the same partition. Any number of ``send(topic:key:value:headers:partition:)``
/// calls may be in flight at once: librdkafka batches them and keeps their order per partition.
///
/// ```swift
/// let producer = try KafkaProducer(configuration: configuration, logger: logger)
/// let report = try await producer.send(topic: "dify.triggers", key: trigger.app, value: json)
/// logger.debug("trigger sent", [LogKey.partition: "\(report.partition)", LogKey.offset: "\(report.offset)"])
/// try await producer.close()
/// ```
///
/// - Important: a dedicated thread calls `rd_kafka_poll`, which runs the delivery callbacks that
///   resume waiting senders. Call ``close(timeout:)`` before dropping the last reference, or
///   messages still queued are lost.
public final class KafkaProducer: Sendable {
    fileprivate struct State {
        var closed = false
        /// Bumped after every poll, so a sender that saw a full queue can tell whether space may
        /// have been freed since.
        var pollGeneration: UInt64 = 0
        var queueSpaceWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let client: RDKafkaClient
    /// Shared with the polling thread, which must not keep the producer itself alive.
    private let state: LockedState
    private let pollThread = KafkaThread()
    private let logger: Logger

    /// Creates the producer and starts its polling thread.
    ///
    /// - Throws: ``KafkaError`` with code `invalidConfiguration` naming a rejected or
    ///   conflicting setting, `unsupportedLibraryVersion` or `clientCreationFailed`.
    public init(configuration: KafkaConfiguration, logger: Logger = Logger(label: "kafka.producer")) throws {
        let state = LockedState()
        let events = RDKafkaEvents(logger: logger, onDelivery: { messageOpaque, result in
            guard let messageOpaque else { return }
            let pending = Unmanaged<PendingDelivery>.fromOpaque(messageOpaque).takeRetainedValue()
            switch result {
            case .success(let placement):
                let report = KafkaDeliveryReport(topic: pending.topic, partition: placement.partition, offset: placement.offset)
                pending.continuation.resume(returning: .delivered(report))
            case .failure(let error):
                pending.continuation.resume(throwing: error)
            }
        })
        let properties = try configuration.properties(
            defaults: [
                "linger.ms": "5",
                // A topic created by its first write gets the broker's default partition count
                // (4 on Tansu 0.6), which breaks co-partitioning, so topics must be created first.
                "allow.auto.create.topics": "false",
            ],
            required: [
                "enable.idempotence": "true",
                "acks": "all",
                "partitioner": "murmur2_random",
                // Each send waits for its delivery report, so successes must be reported too.
                "delivery.report.only.error": "false",
            ],
            role: "producer"
        )
        let client = try RDKafkaClient(kind: .producer, properties: properties, events: events)
        self.client = client
        self.state = state
        self.logger = logger
        startPolling()
    }

    deinit {
        pollThread.requestStop()
    }

    // MARK: - Sending

    /// Sends a message and returns where it was written once the broker acknowledged it.
    ///
    /// - Parameters:
    ///   - key: the key bytes; nil sends a message without a key.
    ///   - value: the value bytes; nil sends a tombstone, which deletes `key` from a compacted topic.
    ///   - partition: the partition to write to; nil lets the murmur2 partitioner choose from the key.
    /// - Throws: ``KafkaError`` with code `deliveryFailed` (check `isRetriable`), or `closed`.
    ///   A full local queue is not an error: the call waits for space.
    /// - Important: cancelling the calling task does not withdraw an enqueued message; the call
    ///   still returns its delivery outcome.
    public func send(
        topic: String,
        key: [UInt8]? = nil,
        value: [UInt8]?,
        headers: [KafkaHeader] = [],
        partition: Int? = nil
    ) async throws -> KafkaDeliveryReport {
        if let partition, partition < 0 {
            throw KafkaError(code: .invalidArgument, reason: "partition \(partition) for topic \(topic) is negative; pass nil to let the partitioner choose")
        }

        while true {
            let generation = try state.mutex.withLock { state in
                if state.closed { throw KafkaError.closed("send to topic \(topic)") }
                return state.pollGeneration
            }
            if let fatal = client.fatalError { throw fatal }

            let outcome = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<SendOutcome, any Error>) in
                let pending = Unmanaged.passRetained(PendingDelivery(topic: topic, continuation: continuation))
                let result = withOptionalBytes(key) { keyBytes in
                    withOptionalBytes(value) { valueBytes in
                        client.produce(
                            topic: topic,
                            partition: partition,
                            key: keyBytes,
                            value: valueBytes,
                            headers: headers,
                            messageOpaque: pending.toOpaque()
                        )
                    }
                }
                switch result {
                case .enqueued:
                    break
                case .queueFull:
                    pending.release()
                    continuation.resume(returning: .queueFull)
                case .failed(let error):
                    pending.release()
                    continuation.resume(throwing: error)
                }
            }

            switch outcome {
            case .delivered(let report):
                return report
            case .queueFull:
                await waitForQueueSpace(after: generation)
            }
        }
    }

    /// Sends a message with a UTF-8 string key.
    public func send(
        topic: String,
        key: String,
        value: [UInt8]?,
        headers: [KafkaHeader] = [],
        partition: Int? = nil
    ) async throws -> KafkaDeliveryReport {
        try await send(topic: topic, key: Array(key.utf8), value: value, headers: headers, partition: partition)
    }

    /// The number of messages waiting in librdkafka's queues for delivery.
    public var queuedMessageCount: Int { Int(client.outQueueLength) }

    // MARK: - Flushing and closing

    /// Waits until every message sent so far is delivered or failed.
    ///
    /// Runs on a Dispatch thread, not on Swift's cooperative pool.
    /// - Throws: ``KafkaError`` with code `flushTimedOut` when messages remain after `timeout`.
    public func flush(timeout: Duration) async throws {
        try await KafkaBlocking.run { [client] in
            try client.flush(timeoutMilliseconds: timeout.kafkaMilliseconds)
        }
    }

    /// Flushes, then stops the polling thread; later sends fail with code `closed`.
    ///
    /// Messages that are still undelivered after `timeout` fail with `deliveryFailed`, so no
    /// sender waits forever. Calling it again does nothing.
    /// - Throws: ``KafkaError`` with code `flushTimedOut` when messages had to be dropped.
    public func close(timeout: Duration = .seconds(30)) async throws {
        let alreadyClosed = state.mutex.withLock { state in
            defer { state.closed = true }
            return state.closed
        }
        guard !alreadyClosed else { return }

        var flushError: (any Error)?
        do {
            try await flush(timeout: timeout)
        } catch {
            flushError = error
            logger.error("closing the Kafka producer dropped undelivered messages", [LogKey.error: "\(error)"])
        }
        await pollThread.stop()

        // Fails what is left, and serves those delivery reports here because the thread is gone.
        client.purgeQueuedMessages()
        _ = await KafkaBlocking.run { [client] in
            client.poll(timeoutMilliseconds: 0)
        }
        wakeQueueSpaceWaiters()
        if let flushError { throw flushError }
    }

    // MARK: - Polling

    private func startPolling() {
        pollThread.start(name: "kafka-producer-poll") { [client, state, pollThread] in
            while !pollThread.isStopRequested {
                client.poll(timeoutMilliseconds: 100)
                let waiters = state.mutex.withLock { state in
                    state.pollGeneration &+= 1
                    return state.queueSpaceWaiters.isEmpty ? [] : state.queueSpaceWaiters.removeAllAndReturn()
                }
                for waiter in waiters {
                    waiter.resume()
                }
            }
        }
    }

    /// Waits until the polling thread has served delivery reports since `generation`, because
    /// that frees queue space. Returns at once when that already happened or the producer closed.
    private func waitForQueueSpace(after generation: UInt64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.mutex.withLock { state in
                if state.closed || state.pollGeneration != generation {
                    return true
                }
                state.queueSpaceWaiters.append(continuation)
                return false
            }
            if resumeNow {
                continuation.resume()
            }
        }
    }

    private func wakeQueueSpaceWaiters() {
        let waiters = state.mutex.withLock { $0.queueSpaceWaiters.removeAllAndReturn() }
        for waiter in waiters {
            waiter.resume()
        }
    }
}

/// The producer's state in a class, so the polling thread's closure can capture it.
private final class LockedState: Sendable {
    let mutex = Mutex(KafkaProducer.State())
}

/// The result of one attempt to enqueue a message.
enum SendOutcome: Sendable {
    case delivered(KafkaDeliveryReport)
    case queueFull
}

/// The continuation of one in-flight send, passed through librdkafka as the message opaque.
///
/// Retained when the message is enqueued and released by the delivery callback. librdkafka
/// documents one delivery report per enqueued message, purged ones included, and ``KafkaProducer/close(timeout:)``
/// purges and polls once more so that no report is left unserved.
final class PendingDelivery: Sendable {
    /// The topic the caller gave, reused for the report instead of copying librdkafka's name.
    let topic: String
    let continuation: CheckedContinuation<SendOutcome, any Error>

    init(topic: String, continuation: CheckedContinuation<SendOutcome, any Error>) {
        self.topic = topic
        self.continuation = continuation
    }
}

/// A zero-length byte kept so that an empty key or value is passed as a non-null pointer,
/// which librdkafka keeps apart from a null (absent) one.
private let emptyBytes: [UInt8] = [0]

private func withOptionalBytes<Result>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> Result) -> Result {
    guard let bytes else { return body(nil) }
    if bytes.isEmpty {
        return emptyBytes.withUnsafeBytes { body(UnsafeRawBufferPointer(start: $0.baseAddress, count: 0)) }
    }
    return bytes.withUnsafeBytes { body($0) }
}

extension Array {
    /// Empties the array and returns what it contained.
    mutating func removeAllAndReturn() -> [Element] {
        let elements = self
        self = []
        return elements
    }
}
