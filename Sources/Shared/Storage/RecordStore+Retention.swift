import Foundation

/// How long the store keeps each kind of record.
public struct RetentionPolicy: Sendable, Hashable {
    public var runs: Duration
    public var nodeTraces: Duration
    /// Schedule events and alerts.
    public var events: Duration

    public init(runs: Duration, nodeTraces: Duration, events: Duration) {
        self.runs = runs
        self.nodeTraces = nodeTraces
        self.events = events
    }

    public init(all: Duration) {
        self.init(runs: all, nodeTraces: all, events: all)
    }

    /// The oldest instant still kept of any kind, for leaving out older records at ingest.
    public func oldestKept(now: Date) -> Date {
        now.addingTimeInterval(-max(runs, nodeTraces, events).seconds)
    }
}

/// Rows removed by one retention pass, by kind.
public struct RetentionCounts: Sendable, Hashable {
    public var runs = 0
    public var nodeTraces = 0
    public var events = 0
    public var alerts = 0

    public var total: Int { runs + nodeTraces + events + alerts }
}

extension RecordStore {
    /// Deletes records older than the policy keeps them, in small batches with a pause
    /// between, so that neither writers nor readers wait long for a lock.
    ///
    /// Node traces go no later than their run: their window is the shorter of the two.
    /// - Parameters:
    ///   - batchSize: rows per `DELETE` statement, each its own transaction.
    ///   - pause: wait between batches.
    ///   - onBatch: called after each batch with the table and the rows deleted.
    public func applyRetention(
        _ policy: RetentionPolicy, now: Date = Date(), batchSize: Int = 1000, pause: Duration = .milliseconds(50),
        onBatch: (@Sendable (String, Int) -> Void)? = nil
    ) async throws -> RetentionCounts {
        let nodeWindow = min(policy.nodeTraces, policy.runs)
        var counts = RetentionCounts()
        counts.nodeTraces = try await deleteBatches(
            table: "node_traces", key: "trigger_id, seq", time: "sort_at", before: now.addingTimeInterval(-nodeWindow.seconds),
            batchSize: batchSize, pause: pause, onBatch: onBatch)
        counts.runs = try await deleteBatches(
            table: "runs", key: "trigger_id", time: "sort_at", before: now.addingTimeInterval(-policy.runs.seconds),
            batchSize: batchSize, pause: pause, onBatch: onBatch)
        counts.events = try await deleteBatches(
            table: "events", key: "id", time: "time", before: now.addingTimeInterval(-policy.events.seconds),
            batchSize: batchSize, pause: pause, onBatch: onBatch)
        counts.alerts = try await deleteBatches(
            table: "alerts", key: "id", time: "time", before: now.addingTimeInterval(-policy.events.seconds),
            batchSize: batchSize, pause: pause, onBatch: onBatch)
        return counts
    }

    private func deleteBatches(
        table: String, key: String, time: String, before cutoff: Date, batchSize: Int, pause: Duration,
        onBatch: (@Sendable (String, Int) -> Void)?
    ) async throws -> Int {
        // The subquery picks a bounded set of old rows through the time index; the outer
        // statement deletes them by key. Both dialects accept a row value in IN for the
        // two-column key of node traces.
        let sql = "DELETE FROM \(table) WHERE (\(key)) IN (SELECT \(key) FROM \(table) WHERE \(time) < ? LIMIT ?)"
        let parameters: [SQLValue] = [SQLValue(cutoff), .integer(Int64(max(batchSize, 1)))]
        var total = 0
        while true {
            try Task.checkCancellation()
            let deleted = try await writer.run { connection in try connection.execute(sql, parameters) }
            total += deleted
            if deleted > 0 { onBatch?(table, deleted) }
            if deleted < batchSize { return total }
            try await Task.sleep(for: pause)
        }
    }
}
