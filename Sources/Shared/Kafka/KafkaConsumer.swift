import Dispatch
import Synchronization

/// A consumer-group member that reads messages and commits offsets only when the application requests it.
///
/// librdkafka runs with `enable.auto.commit=false` and `enable.auto.offset.store=false`, which
/// cannot be overridden: an offset is stored by ``storeOffset(topic:partition:offset:)`` after
/// the message is processed and committed by ``commit()``, so a crash re-delivers rather than
/// drops. `auto.offset.reset` defaults to `earliest`; it, `session.timeout.ms` and any other
/// consumer property can be set in ``KafkaConfiguration/settings``. Assignment is eager
/// (`range,roundrobin`) unless the settings pick `cooperative-sticky`, which is handled too.
///
/// Read either with ``messages(bufferCapacity:)`` from async code, or with ``poll(timeout:)``
/// from a thread of your own, but not both.
///
/// ```swift
/// let consumer = try KafkaConsumer(configuration: configuration, groupID: "dify-workers") { event, consumer in
///     if case .revoked = event { try? consumer.commitBlocking() }
/// }
/// try consumer.subscribe(topics: ["dify.triggers"])
/// for try await message in consumer.messages() {
///     try await handle(message)
///     try consumer.storeOffset(for: message)
/// }
/// ```
///
/// Commit stored offsets from a periodic task with ``commit()``, and call ``close()`` on shutdown.
///
/// - Important: rebalance events reach the handler given to the initializer synchronously, on
///   the thread that polls, before librdkafka changes the assignment. On `.revoked` the handler
///   can call ``commitBlocking()`` to commit what was processed. Call ``close()`` to leave the
///   group cleanly.
public final class KafkaConsumer: Sendable {
    /// Called for each rebalance on the polling thread, before the assignment changes.
    public typealias RebalanceHandler = @Sendable (KafkaRebalanceEvent, KafkaConsumer) -> Void

    let client: RDKafkaClient
    let shared: ConsumerShared
    let logger: Logger
    public let groupID: String

    /// Creates a group consumer; it joins the group when it subscribes and polls.
    ///
    /// - Throws: ``KafkaError`` with code `invalidConfiguration` naming a rejected or
    ///   conflicting setting, `unsupportedLibraryVersion` or `clientCreationFailed`.
    public init(
        configuration: KafkaConfiguration,
        groupID: String,
        logger: Logger = Logger(label: "kafka.consumer"),
        onRebalance: RebalanceHandler? = nil
    ) throws {
        guard !groupID.isEmpty else {
            throw KafkaError(code: .invalidArgument, reason: "the consumer group id is empty; give each consumer group a name")
        }
        let shared = ConsumerShared()
        let consumerLogger = logger.with(["kafka.group": groupID])

        let events = RDKafkaEvents(logger: consumerLogger, onRebalance: { [shared] event in
            if case .revoked(let partitions) = event {
                shared.dropBuffered(of: partitions)
            }
            consumerLogger.debug("rebalance", ["kafka.rebalance": "\(event)"])
            if let onRebalance, let consumer = shared.consumer {
                onRebalance(event, consumer)
            }
        })
        let properties = try configuration.properties(
            defaults: [
                "auto.offset.reset": "earliest",
                "partition.assignment.strategy": "range,roundrobin",
                "enable.partition.eof": "false",
                // Tansu 0.6 does not respond to a waiting fetch when records arrive, as Apache
                // Kafka does, so delivery latency grows with this wait. Measured against Tansu on a
                // 2-core VM: median 115 ms with librdkafka's 500 ms default, 16 ms with 50 ms.
                "fetch.wait.max.ms": "50",
            ],
            required: [
                "group.id": groupID,
                "enable.auto.commit": "false",
                "enable.auto.offset.store": "false",
            ],
            role: "consumer"
        )
        client = try RDKafkaClient(kind: .consumer, properties: properties, events: events)
        client.redirectMainQueueToConsumer()
        self.shared = shared
        self.logger = consumerLogger
        self.groupID = groupID
        shared.setConsumer(self)
    }

    deinit {
        shared.pollThread.requestStop()
    }

    // MARK: - Subscribing and reading

    /// Subscribes to `topics`, replacing any earlier subscription; the group assigns
    /// partitions at the next poll.
    ///
    /// - Throws: ``KafkaError`` with code `assignmentFailed`, or `closed`.
    public func subscribe(topics: [String]) throws {
        try checkOpen("subscribe")
        guard !topics.isEmpty else {
            throw KafkaError(code: .invalidArgument, reason: "the topic list to subscribe to is empty; name at least one topic")
        }
        try client.subscribe(topics: topics)
    }

    /// Polls for the next message, blocking the calling thread up to `timeout`.
    ///
    /// Returns nil when no message arrived in time. Rebalance handlers run inside this call.
    /// Errors librdkafka recovers from (a broker restart, a topic not created yet) are logged,
    /// not thrown.
    /// - Important: blocks; call it from a thread of your own, never from Swift's cooperative pool.
    /// - Throws: ``KafkaError`` when librdkafka raised a fatal error, `invalidArgument` after
    ///   ``messages(bufferCapacity:)`` started its polling thread, or `closed`.
    public func poll(timeout: Duration) throws -> KafkaMessage? {
        try checkOpen("poll")
        if shared.mutex.withLock({ $0.loopStarted }) {
            throw KafkaError(code: .invalidArgument, reason: "poll(timeout:) was called on a consumer read through messages(); use one of the two")
        }
        var topicNames = TopicNameCache()
        switch client.consumerPoll(timeoutMilliseconds: timeout.kafkaMilliseconds, topicNames: &topicNames) {
        case .message(let message):
            return message
        case .timedOut, .partitionEnd:
            return nil
        case .error(let error):
            try handlePollError(error)
            return nil
        }
    }

    /// Logs a recoverable poll error; throws a fatal one.
    func handlePollError(_ error: KafkaError) throws {
        if let fatal = client.fatalError { throw fatal }
        if error.isFatal { throw error }
        logger.warning("consuming failed, librdkafka retries", [LogKey.error: error.description])
    }

    // MARK: - Offsets

    /// Stores the position after a processed message, for the next ``commit()``.
    ///
    /// `offset` is the offset of the message that was processed; the stored offset is
    /// `offset + 1`, the next message to read, which is what Kafka commits. Storing a lower
    /// offset than before moves the position back.
    /// - Throws: ``KafkaError`` with code `commitFailed` when the partition is not assigned to
    ///   this consumer (for example after it was revoked).
    public func storeOffset(topic: String, partition: Int, offset: Int64) throws {
        try checkOpen("store an offset")
        try client.storeOffsets([KafkaTopicPartitionOffset(topic: topic, partition: partition, offset: offset + 1)])
    }

    /// Stores the position after `message`; see ``storeOffset(topic:partition:offset:)``.
    public func storeOffset(for message: KafkaMessage) throws {
        try storeOffset(topic: message.topic, partition: message.partition, offset: message.offset)
    }

    /// Commits every stored offset and waits for the group coordinator to confirm.
    ///
    /// Runs on a Dispatch thread, not on Swift's cooperative pool. Nothing stored is success.
    /// - Throws: ``KafkaError`` with code `commitFailed` (check `isRetriable`), or `closed`.
    public func commit() async throws {
        try checkOpen("commit")
        try await KafkaBlocking.run { [client] in try client.commitSync(nil) }
    }

    /// Commits explicit offsets, each the next offset to read (one past the last processed
    /// message), and waits for the group coordinator to confirm.
    public func commit(offsets: [KafkaTopicPartitionOffset]) async throws {
        try checkOpen("commit")
        guard !offsets.isEmpty else { return }
        if let missing = offsets.first(where: { $0.offset == nil }) {
            throw KafkaError(code: .invalidArgument, reason: "offset to commit for \(missing.topicPartition) is missing; give the next offset to read")
        }
        try await KafkaBlocking.run { [client] in try client.commitSync(offsets) }
    }

    /// Commits every stored offset, blocking the calling thread.
    ///
    /// - Important: for the rebalance handler, which runs on the polling thread; from async
    ///   code use ``commit()``.
    public func commitBlocking() throws {
        try checkOpen("commit")
        try client.commitSync(nil)
    }

    /// Reads the group's committed offsets (the next offset to read) for `partitions`; nil where
    /// the group has committed nothing.
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartitionOffset] {
        try checkOpen("read committed offsets")
        return try await KafkaBlocking.run { [client] in
            try client.committed(partitions, timeoutMilliseconds: timeout.kafkaMilliseconds)
        }
    }

    /// Requests the low and high watermarks of a partition from its leader; with
    /// ``committed(_:timeout:)`` they give the group's lag.
    ///
    /// NOTE: Tansu 0.6 returns one past the base offset of the last record batch as the high
    /// watermark, so lag computed against Tansu can be too low by up to one batch.
    public func watermarks(topic: String, partition: Int, timeout: Duration = .seconds(10)) async throws -> KafkaWatermarks {
        try checkOpen("read watermarks")
        return try await KafkaBlocking.run { [client] in
            try client.queryWatermarks(topic: topic, partition: partition, timeoutMilliseconds: timeout.kafkaMilliseconds)
        }
    }

    /// Computes the group's lag on each partition assigned to this consumer: the high watermark
    /// minus the committed offset, or minus the low watermark where nothing is committed.
    ///
    /// NOTE: against Tansu 0.6 the high watermark can be short by up to one record batch.
    public func lag(timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartition: Int64] {
        let partitions = try assignment()
        guard !partitions.isEmpty else { return [:] }
        let committedOffsets = try await committed(partitions, timeout: timeout)

        var lag: [KafkaTopicPartition: Int64] = [:]
        for entry in committedOffsets {
            let watermarks = try await self.watermarks(topic: entry.topic, partition: entry.partition, timeout: timeout)
            let position = entry.offset ?? watermarks.low
            lag[entry.topicPartition] = max(watermarks.high - position, 0)
        }
        return lag
    }

    // MARK: - Assignment

    /// Returns the partitions currently assigned to this consumer, sorted.
    public func assignment() throws -> [KafkaTopicPartition] {
        try checkOpen("read the assignment")
        return try client.assignment()
    }

    /// Moves the fetch position of assigned partitions to the given offsets.
    ///
    /// Messages fetched before the seek may still be in the buffer of
    /// ``messages(bufferCapacity:)``: a caller that seeks skips offsets it has already handled.
    public func seek(_ offsets: [KafkaTopicPartitionOffset], timeout: Duration = .seconds(10)) async throws {
        try checkOpen("seek partitions")
        try await KafkaBlocking.run { [client] in
            try client.seek(offsets, timeoutMilliseconds: timeout.kafkaMilliseconds)
        }
    }

    /// Stops fetching from `partitions` until ``resume(_:)``; the assignment is kept.
    ///
    /// Messages already handed to ``messages(bufferCapacity:)``'s buffer are still returned.
    public func pause(_ partitions: [KafkaTopicPartition]) throws {
        try checkOpen("pause partitions")
        try client.setPaused(true, partitions)
    }

    /// Resumes fetching from paused partitions at the position after the last message returned.
    public func resume(_ partitions: [KafkaTopicPartition]) throws {
        try checkOpen("resume partitions")
        try client.setPaused(false, partitions)
    }

    // MARK: - Closing

    /// Leaves the group: stops the message loop, revokes the assignment (the rebalance
    /// handler runs, on a Dispatch thread, so it can commit) and closes the client.
    ///
    /// Messages buffered but not yet returned are dropped; the next owner of their partitions
    /// reads them again from the committed offsets. Calling it again does nothing.
    public func close() async throws {
        guard shared.beginClosing() else { return }
        await shared.pollThread.stop()
        defer { shared.finish(error: nil, closed: true) }

        // A consumer that failed fatally is no longer a group member, so there is nothing to leave.
        if client.fatalError != nil { return }
        try await KafkaBlocking.run { [client] in try client.consumerClose() }
    }

    func checkOpen(_ operation: String) throws {
        if shared.isClosed { throw KafkaError.closed(operation) }
    }
}
