import Foundation

/// Reads partitions of a topic from a start offset up to the end, without joining a consumer
/// group, to rebuild state from compacted topics such as `scheduler.state` and `runs`.
///
/// "The end" is each partition's high watermark when the read starts: messages written during
/// the read are left for the caller's group consumer. Each read uses a fresh assign-based
/// librdkafka consumer, so reads may run side by side and commit nothing.
public struct KafkaPartitionReader: Sendable {
    public let configuration: KafkaConfiguration
    public let logger: Logger

    public init(configuration: KafkaConfiguration, logger: Logger = Logger(label: "kafka.reader")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The outcome of one read.
    public struct Summary: Sendable, Hashable {
        /// Messages passed to the handler.
        public var messageCount: Int
        /// Per partition, the high watermark the read stopped at; the next offset to read.
        public var endOffsets: [Int: Int64]
    }

    /// Reads `partitions` of `topic` (all of them when nil) and calls `handler` for each message
    /// in offset order per partition, blocking the calling thread.
    ///
    /// - Parameters:
    ///   - startOffsets: per partition, the first offset to read; partitions not listed start at
    ///     their low watermark (the oldest message still stored).
    ///   - timeout: the deadline for the whole read.
    /// - Important: blocks; from async code use ``readAll(topic:partitions:startOffsets:timeout:)``
    ///   or ``readLatestByKey(topic:partitions:timeout:)``.
    /// - Throws: ``KafkaError`` with code `timedOut` naming the partitions not read to the end,
    ///   `queryFailed` when the topic or a partition does not exist, or an error thrown by `handler`.
    public func readBlocking(
        topic: String,
        partitions: [Int]? = nil,
        startOffsets: [Int: Int64] = [:],
        timeout: Duration = .seconds(60),
        handler: (KafkaMessage) throws -> Void
    ) throws -> Summary {
        let deadline = ContinuousClock.now + timeout
        let properties = try configuration.properties(
            defaults: [
                "fetch.wait.max.ms": "10",
                // librdkafka pauses fetching for fetch.queue.backoff.ms (1 s by default) once
                // queued.min.messages are waiting locally, which would delay the end-of-partition
                // event of a large read by that second.
                "fetch.queue.backoff.ms": "10",
                "auto.offset.reset": "earliest",
            ],
            required: [
                // librdkafka 2.8 rejects rd_kafka_assign without a group id. The reader never
                // subscribes or commits, so the group is never joined and a fresh id is harmless.
                "group.id": "dify-scheduler.reader.\(UUID().uuidString)",
                "enable.auto.commit": "false",
                "enable.auto.offset.store": "false",
                "enable.partition.eof": "true",
            ],
            role: "partition reader"
        )
        let client = try RDKafkaClient(kind: .consumer, properties: properties, events: RDKafkaEvents(logger: logger))
        let timeoutMilliseconds = timeout.kafkaMilliseconds

        let partitionList: [Int]
        if let partitions {
            partitionList = partitions
        } else {
            guard let count = try client.partitionCounts(topic: topic, timeoutMilliseconds: timeoutMilliseconds)[topic] else {
                throw KafkaError(code: .queryFailed, reason: "topic \(topic) does not exist; create it before reading it")
            }
            partitionList = Array(0..<count)
        }

        // The end of each partition is fixed near the start, so later writes are not part of
        // this read. ListOffsets gives a first estimate. Tansu 0.6 returns one past the base
        // offset of the last record batch there, short of the real end, so the high watermark
        // of the first fetch response raises the estimate. Reaching the end of a partition
        // (librdkafka's partition EOF) also ends its read.
        var endOffsets: [Int: Int64] = [:]
        var assignments: [KafkaTopicPartitionOffset] = []
        for partition in partitionList {
            let watermarks = try client.queryWatermarks(topic: topic, partition: partition, timeoutMilliseconds: timeoutMilliseconds)
            endOffsets[partition] = watermarks.high
            if watermarks.high > watermarks.low {
                let start = max(startOffsets[partition] ?? watermarks.low, watermarks.low)
                assignments.append(KafkaTopicPartitionOffset(topic: topic, partition: partition, offset: start))
            }
        }

        var remaining = Set(assignments.map(\.partition))
        var endConfirmed: Set<Int> = []
        var messageCount = 0
        guard !remaining.isEmpty else {
            return Summary(messageCount: 0, endOffsets: endOffsets)
        }
        try client.assign(assignments)

        var topicNames = TopicNameCache()
        while !remaining.isEmpty {
            if ContinuousClock.now >= deadline {
                throw KafkaError(
                    code: .timedOut,
                    reason: "reading \(topic) partitions \(remaining.sorted()) to their end did not finish within \(timeout); check the brokers or raise the timeout",
                    isRetriable: true
                )
            }
            switch client.consumerPoll(timeoutMilliseconds: 100, topicNames: &topicNames) {
            case .message(let message):
                let partition = message.partition
                guard remaining.contains(partition) else { continue }
                if endConfirmed.insert(partition).inserted, let fetched = client.cachedWatermarks(topic: topic, partition: partition) {
                    endOffsets[partition] = max(endOffsets[partition] ?? 0, fetched.high)
                }
                let end = endOffsets[partition] ?? 0
                guard message.offset < end else {
                    remaining.remove(partition)
                    continue
                }
                try handler(message)
                messageCount += 1
                if message.offset >= end - 1 {
                    remaining.remove(partition)
                }
            case .partitionEnd(let partition, let offset):
                if remaining.remove(partition.partition) != nil {
                    endOffsets[partition.partition] = offset
                }
            case .error(let error):
                if let fatal = client.fatalError { throw fatal }
                if error.librdkafkaCode != nil, !error.isRetriable {
                    throw error
                }
                logger.warning("reading partitions failed, librdkafka retries", [LogKey.topic: topic, LogKey.error: error.description])
            case .timedOut:
                continue
            }
        }
        return Summary(messageCount: messageCount, endOffsets: endOffsets)
    }

    /// Reads partitions to their end on a Dispatch thread and returns every message, in offset
    /// order per partition.
    public func readAll(
        topic: String,
        partitions: [Int]? = nil,
        startOffsets: [Int: Int64] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> [KafkaMessage] {
        try await KafkaBlocking.run { [self] in
            var messages: [KafkaMessage] = []
            _ = try readBlocking(topic: topic, partitions: partitions, startOffsets: startOffsets, timeout: timeout) {
                messages.append($0)
            }
            return messages
        }
    }

    /// Reads partitions to their end and keeps the latest message per key, as compaction would:
    /// a tombstone removes its key, and messages without a key are skipped.
    ///
    /// Keys are decoded as UTF-8 (invalid bytes become U+FFFD). Use it to rebuild state from
    /// compacted topics, which the test broker (Tansu) never compacts.
    public func readLatestByKey(
        topic: String,
        partitions: [Int]? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> [String: KafkaMessage] {
        try await KafkaBlocking.run { [self] in
            var latest: [String: KafkaMessage] = [:]
            _ = try readBlocking(topic: topic, partitions: partitions, timeout: timeout) { message in
                guard let key = message.key else { return }
                let text = String(decoding: key, as: UTF8.self)
                if message.value == nil {
                    latest.removeValue(forKey: text)
                } else {
                    latest[text] = message
                }
            }
            return latest
        }
    }
}
