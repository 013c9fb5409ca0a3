import Foundation
import Shared
import Synchronization

/// Reads `results`, `events` and `alerts` into the records store.
///
/// A thread of its own polls Kafka and writes batches of up to ``maxBatch`` messages, or what
/// arrived within ``batchWindow``, in one transaction each. The poll and the database calls
/// both block, so they run on that thread and never on Swift's cooperative pool. An offset is stored only after
/// its batch is written and offsets are committed about once a second and on every revoke,
/// so a crash re-reads a little and never drops. Upserts by record id make re-reading
/// harmless. A batch that fails to write is tried again with backoff until it succeeds or
/// the service stops; it is never skipped.
final class RecordIngestService: Service {
    let name = "records-ingest"
    static let maxBatch = 2000
    static let batchWindow: Duration = .milliseconds(200)

    private let store: RecordStore
    private let kafka: KafkaConfiguration
    private let topics: TopicNames
    private let retention: RetentionPolicy
    private let metrics: RecordsMetrics
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)
    private let stopSignal = FirstOutcome<Void>()

    init(store: RecordStore, kafka: KafkaConfiguration, topics: TopicNames, retention: RetentionPolicy, metrics: RecordsMetrics, logger: Logger) {
        self.store = store
        self.kafka = kafka
        self.topics = topics
        self.retention = retention
        self.metrics = metrics
        self.logger = logger.with(["component": "records.ingest"])
    }

    func shutdown() async {
        stopRequested.store(true, ordering: .releasing)
        stopSignal.offer(())
    }

    func run() async throws {
        let groupID = RecordsSettings.groupID(prefix: topics.prefix, store: store)
        let logger = self.logger
        let consumer = try KafkaConsumer(configuration: kafka, groupID: groupID, logger: logger) { event, consumer in
            // Runs on the ingest thread between batches, so every stored offset is written.
            if case .revoked = event {
                do {
                    try consumer.commitBlocking()
                } catch {
                    logger.warning("commit on revoke failed; the next owner re-reads a little", [LogKey.error: "\(error)"])
                }
            }
        }
        try consumer.subscribe(topics: [topics.results, topics.events, topics.alerts])
        logger.notice("records ingest started", ["kafka.group": groupID, "store": store.location.description])

        let lag = Task { await reportLag(consumer) }
        let outcome: Result<Void, any Error> = await withCheckedContinuation { continuation in
            let thread = Thread { [self] in
                continuation.resume(returning: Result { try ingestLoop(consumer) })
            }
            thread.name = "records-ingest"
            thread.start()
        }
        lag.cancel()
        await lag.value

        do {
            try await consumer.commit()
        } catch {
            logger.warning("final commit failed; the next start re-reads a little", [LogKey.error: "\(error)"])
        }
        try? await consumer.close()
        logger.notice("records ingest stopped")
        try outcome.get()
    }

    // MARK: - The ingest thread

    private func ingestLoop(_ consumer: KafkaConsumer) throws {
        var lastCommit = ContinuousClock.now
        var invalidLogged = 0

        while !stopRequested.load(ordering: .acquiring) {
            var batch = RecordBatch()
            var positions: [KafkaTopicPartition: Int64] = [:]
            let deadline = ContinuousClock.now + Self.batchWindow

            while batch.count < Self.maxBatch, !stopRequested.load(ordering: .acquiring) {
                let wait: Duration = positions.isEmpty ? .milliseconds(100) : .milliseconds(20)
                guard let message = try consumer.poll(timeout: wait) else {
                    if positions.isEmpty { continue }
                    if ContinuousClock.now >= deadline { break }
                    continue
                }
                positions[message.topicPartition] = max(positions[message.topicPartition] ?? -1, message.offset)
                do {
                    try add(message, to: &batch)
                } catch {
                    metrics.skipped.increment(by: 1, ["reason": "invalid"])
                    // Rate-limited: a topic full of bad messages must not flood the log.
                    if invalidLogged < 100 {
                        invalidLogged += 1
                        logger.warning("message not stored: invalid", [
                            LogKey.topic: message.topic, LogKey.partition: "\(message.partition)", LogKey.offset: "\(message.offset)",
                            LogKey.error: "\(error)",
                        ])
                    }
                }
                if ContinuousClock.now >= deadline { break }
            }
            if positions.isEmpty { continue }

            guard writeUntilStored(batch) else { return }
            for (partition, offset) in positions {
                // Fails only for a partition revoked meanwhile; its next owner re-reads it.
                try? consumer.storeOffset(topic: partition.topic, partition: partition.partition, offset: offset)
            }
            if ContinuousClock.now - lastCommit >= .seconds(1) {
                do {
                    try consumer.commitBlocking()
                } catch {
                    logger.debug("commit failed, trying with the next batch", [LogKey.error: "\(error)"])
                }
                lastCommit = ContinuousClock.now
            }
        }
    }

    private func add(_ message: KafkaMessage, to batch: inout RecordBatch) throws {
        guard let value = message.value else { return }
        let data = Data(value)
        switch message.topic {
        case topics.results: batch.results.append(try MessageCodec.decode(RunResult.self, from: data, maxVersion: RunResult.currentVersion))
        case topics.events: batch.events.append(try MessageCodec.decode(ScheduleEvent.self, from: data, maxVersion: ScheduleEvent.currentVersion))
        case topics.alerts: batch.alerts.append(try MessageCodec.decode(Alert.self, from: data, maxVersion: Alert.currentVersion))
        default: break
        }
    }

    /// Writes `batch`, trying again with backoff; returns false when asked to stop first.
    private func writeUntilStored(_ batch: RecordBatch) -> Bool {
        var backoff: Duration = .milliseconds(200)
        while true {
            let started = ContinuousClock.now
            do {
                let counts = try store.writeBlocking(batch, skipBefore: retention.oldestKept(now: Date()))
                metrics.batchDuration.observe((ContinuousClock.now - started).seconds)
                metrics.ingested.increment(by: Double(counts.runs), ["kind": "runs"])
                metrics.ingested.increment(by: Double(counts.nodeTraces), ["kind": "node_traces"])
                metrics.ingested.increment(by: Double(counts.events), ["kind": "events"])
                metrics.ingested.increment(by: Double(counts.alerts), ["kind": "alerts"])
                if counts.expired > 0 { metrics.skipped.increment(by: Double(counts.expired), ["reason": "expired"]) }
                return true
            } catch {
                metrics.writeFailures.increment()
                logger.error("records batch not written, trying again", [
                    LogKey.error: "\(error)", "records": "\(batch.count)", "retry_in_ms": "\(backoff.milliseconds)",
                ])
            }
            let until = ContinuousClock.now + backoff
            while ContinuousClock.now < until {
                if stopRequested.load(ordering: .acquiring) { return false }
                Thread.sleep(forTimeInterval: 0.05)
            }
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    // MARK: - Lag

    /// Sets the lag gauge of each assigned partition every 15 s: the high watermark minus the
    /// committed offset.
    private func reportLag(_ consumer: KafkaConsumer) async {
        var reported: Set<KafkaTopicPartition> = []
        while !Task.isCancelled {
            do {
                let assigned = try consumer.assignment()
                let committed = try await consumer.committed(assigned)
                var current: Set<KafkaTopicPartition> = []
                for entry in committed {
                    let partition = entry.topicPartition
                    let marks = try await consumer.watermarks(topic: partition.topic, partition: partition.partition)
                    let position = entry.offset ?? marks.low
                    metrics.consumerLag.set(Double(max(0, marks.high - position)), ["topic": partition.topic, "partition": "\(partition.partition)"])
                    current.insert(partition)
                }
                for revoked in reported.subtracting(current) {
                    metrics.consumerLag.remove(["topic": revoked.topic, "partition": "\(revoked.partition)"])
                }
                reported = current
            } catch {
                logger.debug("lag not measured", [LogKey.error: "\(error)"])
            }
            try? await Task.sleep(for: .seconds(15))
        }
    }
}
