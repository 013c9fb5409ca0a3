import Dispatch
import Foundation
import Shared
import Synchronization

extension NotifierService {
    // MARK: - Takeover

    /// Handles a rebalance on the consumer's polling thread: commits before partitions go, and
    /// rebuilds state from history before new ones are read.
    func rebalance(_ event: KafkaRebalanceEvent, consumer: KafkaConsumer, kafka: KafkaConfiguration) {
        switch event {
        case .revoked(let partitions):
            try? consumer.commitBlocking()
            state.withLock { state in
                state.progress.drop(partitions: partitions.filter { $0.topic == topics.alerts }.map(\.partition))
                state.resultProgress.drop(partitions: partitions.filter { $0.topic == topics.results }.map(\.partition))
                state.assigned.subtract(partitions)
                if partitions.contains(KafkaTopicPartition(topic: topics.alerts, partition: 0)) {
                    state.ownsAppRules = false
                    state.appRules = nil
                }
            }
        case .assigned(let partitions):
            rebuild(partitions, consumer: consumer, kafka: kafka)
            state.withLock { state in
                state.assigned.formUnion(partitions)
                if partitions.contains(KafkaTopicPartition(topic: topics.alerts, partition: 0)) { state.ownsAppRules = true }
            }
        }
    }

    /// Replays what came before the committed offsets of `partitions`, results first, so the
    /// streaks, silences and handled alert ids are those the previous owner had.
    ///
    /// Blocks the polling thread, which is its own thread, for as long as the reads take.
    func rebuild(_ partitions: [KafkaTopicPartition], consumer: KafkaConsumer, kafka: KafkaConfiguration) {
        let committed: [KafkaTopicPartitionOffset]
        do {
            committed = try Self.waitFor { try await consumer.committed(partitions) }
        } catch {
            logger.warning("committed offsets not read, history not rebuilt", [LogKey.error: "\(error)"])
            return
        }
        let limit = Int64(configuration.alerts.effectiveHistoryLimit)
        let oldest = Date().addingTimeInterval(-Double(configuration.alerts.effectiveHistoryMilliseconds) / 1000)
        let reader = KafkaPartitionReader(configuration: kafka, logger: logger)
        var replayed = 0
        for topic in [topics.results, topics.alerts] {
            for entry in committed where entry.topic == topic {
                guard let end = entry.offset, end > 0, limit > 0 else { continue }
                do {
                    _ = try reader.readBlocking(topic: topic, partitions: [entry.partition], startOffsets: [entry.partition: max(Int64(0), end - limit)]) { message in
                        guard message.offset < end, let value = message.value else { return }
                        if topic == topics.results {
                            guard let result = try? MessageCodec.decode(RunResult.self, from: Data(value)),
                                (result.finishedAt ?? .distantFuture) >= oldest else { return }
                            replay(result)
                        } else {
                            guard let alert = try? MessageCodec.decode(Alert.self, from: Data(value)), alert.time >= oldest else { return }
                            replay(alert)
                        }
                        replayed += 1
                    }
                } catch {
                    logger.warning("history not read", [LogKey.topic: topic, LogKey.partition: "\(entry.partition)", LogKey.error: "\(error)"])
                }
            }
        }
        let delivered = rebuildDeliveries(partitions, consumer: consumer, reader: reader)
        logger.info("notifier took over partitions", ["partitions": partitions.map(\.description).joined(separator: ","), "replayed": "\(replayed)", "deliveries": "\(delivered)"])
    }

    private func replay(_ result: RunResult) {
        let (policy, job) = policy(jobID: result.jobID, app: result.app)
        state.withLock { state in
            state.noteScheduled(result)
            if result.status.outcome == .success, let jobID = result.jobID {
                state.suppressor.observeSuccess(jobID: jobID, at: result.finishedAt ?? Date())
            }
            _ = state.engine.observe(result, policy: policy, workerPolicy: job?.alerts, replaying: true)
        }
    }

    private func replay(_ alert: Alert) {
        let (policy, _) = policy(jobID: alert.jobID, app: alert.app)
        let silence = alert.kind.isAppLevel ? nil : policy?.silence.flatMap { try? DurationText.milliseconds($0) }
        state.withLock { _ = $0.suppressor.decide(alert, silenceMilliseconds: silence, now: alert.time) }
    }

    /// Runs `body` on the cooperative pool and waits for it on this thread.
    ///
    /// - Important: only for threads of our own (the consumer's polling thread), never for
    ///   a thread of the cooperative pool.
    static func waitFor<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<T, any Error>?>(nil)
        Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            semaphore.signal()
        }
        semaphore.wait()
        return try outcome.withLock { $0! }.get()
    }

    // MARK: - App-level rules

    /// While this producer owns alerts partition 0, reads new results of every partition and
    /// judges the app-level rules.
    func appRuleLoop(kafka: KafkaConfiguration, publisher: TopicPublisher) async {
        let rules = configuration.alerts.rules ?? []
        let reader = KafkaPartitionReader(configuration: kafka, logger: logger)
        let lookBack = 2 * (rules.map { Double($0.windowMilliseconds) / 1000 }.max() ?? 3600) + 120
        while !Task.isCancelled {
            try? await Task.sleep(for: appRuleInterval)
            let (owns, offsets, isNew) = state.withLock { ($0.ownsAppRules, $0.appRuleOffsets, $0.appRules == nil) }
            guard owns else { continue }
            let now = Date()
            let start = isNew ? [:] : offsets
            let read: (messages: [KafkaMessage], ends: [Int: Int64])
            do {
                read = try await Self.readOnThread(reader, topic: topics.results, startOffsets: start)
            } catch {
                logger.warning("results not read for app rules", [LogKey.error: "\(error)"])
                continue
            }
            let results = read.messages.compactMap { message in message.value.flatMap { try? MessageCodec.decode(RunResult.self, from: Data($0)) } }
            let alerts = state.withLock { state -> [Alert] in
                if state.appRules == nil {
                    let oldest = results.compactMap(\.finishedAt).min() ?? now
                    // Counts are complete from the oldest result read, or from two windows back
                    // when the topic holds more than that.
                    state.appRules = AppRuleEvaluator(rules: rules, coveredSince: max(oldest, now.addingTimeInterval(-lookBack)))
                }
                for result in results where (result.finishedAt ?? now) >= now.addingTimeInterval(-lookBack) {
                    state.appRules?.record(result)
                }
                state.appRuleOffsets = read.ends
                return state.appRules?.evaluate(now: now) ?? []
            }
            for alert in alerts {
                logger.info("app rule raised", ["alert_id": alert.id, LogKey.app: alert.app ?? "-", "kind": alert.kind.rawValue])
                do {
                    try await publisher.publish(alert: alert)
                } catch {
                    logger.warning("app rule alert not published", [LogKey.error: "\(error)"])
                }
            }
        }
    }

    static func readOnThread(_ reader: KafkaPartitionReader, topic: String, startOffsets: [Int: Int64]) async throws -> ([KafkaMessage], [Int: Int64]) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    var messages: [KafkaMessage] = []
                    let summary = try reader.readBlocking(topic: topic, startOffsets: startOffsets, timeout: .seconds(60)) { messages.append($0) }
                    return (messages, summary.endOffsets)
                })
            }
        }
    }
}
