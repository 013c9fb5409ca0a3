import Foundation
import Shared

/// Deletes records older than the retention window, one pass at start and then at a fixed
/// interval, in small batches so that ingest and queries never wait long.
///
/// With PostgreSQL every producer runs the passes. A row one producer deleted is gone for the
/// others, so the extra passes cost a few queries and change no result.
final class RecordRetentionService: Service {
    let name = "records-retention"

    private let store: RecordStore
    private let policy: RetentionPolicy
    private let interval: Duration
    private let metrics: RecordsMetrics
    private let logger: Logger
    private let stopSignal = FirstOutcome<Void>()

    init(store: RecordStore, policy: RetentionPolicy, interval: Duration, metrics: RecordsMetrics, logger: Logger) {
        self.store = store
        self.policy = policy
        self.interval = interval
        self.metrics = metrics
        self.logger = logger.with(["component": "records.retention"])
    }

    func shutdown() async {
        stopSignal.offer(())
    }

    func run() async throws {
        let passes = Task { [self] in
            while !Task.isCancelled {
                await pass()
                try? await Task.sleep(for: interval)
            }
        }
        await stopSignal.value()
        passes.cancel()
        await passes.value
    }

    private func pass() async {
        let started = ContinuousClock.now
        do {
            let metrics = self.metrics
            let counts = try await store.applyRetention(policy) { table, count in
                metrics.deleted.increment(by: Double(count), ["kind": table])
            }
            if counts.total > 0 {
                logger.info("old records deleted", [
                    "runs": "\(counts.runs)", "node_traces": "\(counts.nodeTraces)", "events": "\(counts.events)",
                    "alerts": "\(counts.alerts)", LogKey.durationMilliseconds: "\((ContinuousClock.now - started).milliseconds)",
                ])
            }
        } catch is CancellationError {
            return
        } catch {
            logger.error("retention pass failed, trying at the next interval", [LogKey.error: "\(error)"])
        }
    }
}
