import Foundation

/// A batch of messages to write in one transaction.
public struct RecordBatch: Sendable {
    public var results: [RunResult] = []
    public var events: [ScheduleEvent] = []
    public var alerts: [Alert] = []
    /// When each result was read, used to sort a result that carries no instant of its own.
    public var receivedAt = Date()

    public init(results: [RunResult] = [], events: [ScheduleEvent] = [], alerts: [Alert] = []) {
        self.results = results
        self.events = events
        self.alerts = alerts
    }

    public var isEmpty: Bool { results.isEmpty && events.isEmpty && alerts.isEmpty }
    public var count: Int { results.count + events.count + alerts.count }
}

/// Rows written by one batch, by kind.
public struct RecordWriteCounts: Sendable, Hashable {
    public var runs = 0
    public var nodeTraces = 0
    public var events = 0
    public var alerts = 0
    /// Records left out because they were older than the retention window.
    public var expired = 0
}

extension RecordStore {
    /// Writes a batch in one transaction, replacing rows with the same id.
    ///
    /// A run replaces the stored run of its trigger id and all its node traces; an event or
    /// alert replaces the one with its id. Writing the same batch twice leaves the same rows.
    /// Records older than `skipBefore` (the retention cut-off) are left out, so re-reading a
    /// topic from the start does not bring back rows retention deleted.
    /// - Throws: ``StoreError``; nothing of the batch is written then.
    @discardableResult
    public func write(_ batch: RecordBatch, skipBefore: Date? = nil) async throws -> RecordWriteCounts {
        let rows = RecordRows(batch: batch, limits: limits, skipBefore: skipBefore)
        return try await writer.run { connection in try rows.write(on: connection) }
    }

    /// Blocking form of ``write(_:skipBefore:)`` for threads of their own.
    @discardableResult
    public func writeBlocking(_ batch: RecordBatch, skipBefore: Date? = nil) throws -> RecordWriteCounts {
        let rows = RecordRows(batch: batch, limits: limits, skipBefore: skipBefore)
        return try writer.runBlocking { connection in try rows.write(on: connection) }
    }
}

/// A batch turned into column values, ready for multi-row statements.
struct RecordRows: Sendable {
    static let runColumns = [
        "trigger_id", "job_id", "app", "kind", "status", "source", "workflow_run_id", "task_id", "sort_at",
        "scheduled_at", "emitted_at", "started_at", "finished_at", "queue_delay_ms", "run_time_ms",
        "total_tokens", "total_price", "currency", "total_steps", "error_code", "error_message",
        "error_retryable", "error_node_id", "attempt_count", "attempts", "inputs", "outputs", "answer",
        "io_truncated", "node_count", "worker_id", "stopped_by", "may_still_run", "trace_id", "recorded_at",
        "rerun_of",
        "parent_trigger_id", "parent_job_id",
    ]
    static let nodeColumns = [
        "trigger_id", "seq", "sort_at", "execution_id", "node_id", "node_type", "title", "status",
        "elapsed_ms", "total_tokens", "total_price", "currency", "error", "inputs", "outputs", "truncated",
        "parent_node_id", "parent_kind", "parent_index", "retries", "started_at", "finished_at", "unfinished",
    ]
    static let eventColumns = ["id", "time", "type", "job_id", "trigger_id", "app", "actor", "detail", "recorded_at"]
    static let alertColumns = [
        "id", "time", "kind", "severity", "job_id", "app", "trigger_id", "status", "message", "channels",
        "detail", "recorded_at",
    ]

    var runs: [[SQLValue]] = []
    var nodes: [[SQLValue]] = []
    var events: [[SQLValue]] = []
    var alerts: [[SQLValue]] = []
    var expired = 0

    init(batch: RecordBatch, limits: RecordLimits, skipBefore: Date?) {
        let now = SQLValue(Date())
        let cutoff = skipBefore.map(SQLValue.milliseconds)

        // The last message for an id wins, as it would row by row; PostgreSQL rejects a
        // statement that updates one row twice, so duplicates are dropped here.
        var seenRuns: [String: Int] = [:]
        for result in batch.results {
            let sortAt = result.scheduledAt ?? result.emittedAt ?? result.startedAt ?? result.finishedAt ?? batch.receivedAt
            let sortMilliseconds = SQLValue.milliseconds(sortAt)
            if let cutoff, sortMilliseconds < cutoff {
                expired += 1
                continue
            }
            let row = Self.runRow(result, sortAt: sortMilliseconds, limits: limits, recordedAt: now)
            if let index = seenRuns[result.triggerID] {
                runs[index] = row
            } else {
                seenRuns[result.triggerID] = runs.count
                runs.append(row)
            }
        }
        var latest: [String: RunResult] = [:]
        for result in batch.results where seenRuns[result.triggerID] != nil {
            latest[result.triggerID] = result
        }
        for (triggerID, result) in latest.sorted(by: { $0.key < $1.key }) {
            let sortAt = runs[seenRuns[triggerID]!][8]
            for (sequence, node) in (result.nodes ?? []).enumerated() {
                nodes.append(Self.nodeRow(node, triggerID: triggerID, sequence: sequence, sortAt: sortAt, limits: limits))
            }
        }

        var seenEvents: [String: Int] = [:]
        for event in batch.events {
            if let cutoff, SQLValue.milliseconds(event.time) < cutoff {
                expired += 1
                continue
            }
            let row: [SQLValue] = [
                .text(event.id), SQLValue(event.time), .text(event.type.rawValue), SQLValue(event.jobID),
                SQLValue(event.triggerID), SQLValue(event.app), SQLValue(event.actor),
                SQLValue(event.detail.map { Self.cappedJSON(.object($0), limits.runIOBytes).text }), now,
            ]
            if let index = seenEvents[event.id] { events[index] = row } else {
                seenEvents[event.id] = events.count
                events.append(row)
            }
        }

        var seenAlerts: [String: Int] = [:]
        for alert in batch.alerts {
            if let cutoff, SQLValue.milliseconds(alert.time) < cutoff {
                expired += 1
                continue
            }
            let row: [SQLValue] = [
                .text(alert.id), SQLValue(alert.time), .text(alert.kind.rawValue), .text(alert.severity.rawValue),
                SQLValue(alert.jobID), SQLValue(alert.app), SQLValue(alert.triggerID), SQLValue(alert.status?.rawValue),
                .text(alert.message.prefix(maxBytes: limits.textBytes)),
                SQLValue(alert.channels.map { JSONValue.array($0.map(JSONValue.string)).compactText() }),
                SQLValue(alert.detail.map { Self.cappedJSON(.object($0), limits.runIOBytes).text }), now,
            ]
            if let index = seenAlerts[alert.id] { alerts[index] = row } else {
                seenAlerts[alert.id] = alerts.count
                alerts.append(row)
            }
        }
    }

    private static func runRow(_ result: RunResult, sortAt: Int64, limits: RecordLimits, recordedAt: SQLValue) -> [SQLValue] {
        var truncated = result.ioTruncated ?? false
        let inputs = result.inputs.map { cappedJSON(.object($0), limits.runIOBytes) }
        let outputs = result.outputs.map { cappedJSON($0, limits.runIOBytes) }
        truncated = truncated || (inputs?.truncated ?? false) || (outputs?.truncated ?? false)
        var answer = result.answer
        if let text = answer, text.utf8.count > limits.runIOBytes {
            answer = text.prefix(maxBytes: limits.runIOBytes)
            truncated = true
        }
        let attempts = result.attempts.map { String(decoding: MessageCodec.encode($0), as: UTF8.self) }
        let attemptCount = max(result.attempts?.count ?? 0, 1)

        return [
            .text(result.triggerID), SQLValue(result.jobID), .text(result.app), SQLValue(result.kind?.rawValue),
            .text(result.status.rawValue), SQLValue(result.source?.rawValue), SQLValue(result.workflowRunID),
            SQLValue(result.taskID), .integer(sortAt), SQLValue(result.scheduledAt), SQLValue(result.emittedAt),
            SQLValue(result.startedAt), SQLValue(result.finishedAt), SQLValue(result.queueDelayMilliseconds),
            SQLValue(result.runTimeMilliseconds), SQLValue(result.totalTokens), SQLValue(result.totalPrice),
            SQLValue(result.currency), SQLValue(result.totalSteps), SQLValue(result.error?.code),
            SQLValue(result.error?.message.prefix(maxBytes: limits.textBytes)), SQLValue(result.error?.retryable),
            SQLValue(result.error?.nodeID), .integer(Int64(attemptCount)), SQLValue(attempts),
            SQLValue(inputs?.text), SQLValue(outputs?.text), SQLValue(answer), SQLValue(truncated),
            .integer(Int64(result.nodes?.count ?? 0)), SQLValue(result.workerID), SQLValue(result.stoppedBy),
            SQLValue(result.mayStillRun), SQLValue(result.traceID), recordedAt, SQLValue(result.rerunOf),
            SQLValue(result.parentTriggerID), SQLValue(result.parentJobID),
        ]
    }

    private static func nodeRow(_ node: NodeTrace, triggerID: String, sequence: Int, sortAt: SQLValue, limits: RecordLimits) -> [SQLValue] {
        let inputs = node.inputs.map { cappedJSON($0, limits.nodeIOBytes) }
        let outputs = node.outputs.map { cappedJSON($0, limits.nodeIOBytes) }
        let truncated = (node.truncated ?? false) || (inputs?.truncated ?? false) || (outputs?.truncated ?? false)
        return [
            .text(triggerID), .integer(Int64(sequence)), sortAt, .text(node.executionID), .text(node.nodeID),
            .text(node.nodeType), .text(node.title.prefix(maxBytes: limits.textBytes)), .text(node.status),
            SQLValue(node.elapsedMilliseconds), SQLValue(node.totalTokens), SQLValue(node.totalPrice),
            SQLValue(node.currency), SQLValue(node.error?.prefix(maxBytes: limits.textBytes)), SQLValue(inputs?.text),
            SQLValue(outputs?.text), SQLValue(truncated), SQLValue(node.parentNodeID), SQLValue(node.parentKind),
            SQLValue(node.parentIndex), SQLValue(node.retries), SQLValue(node.startedAt.map { $0 * 1000 }),
            SQLValue(node.finishedAt.map { $0 * 1000 }), SQLValue(node.unfinished),
        ]
    }

    private static func cappedJSON(_ value: JSONValue, _ maxBytes: Int) -> (text: String, truncated: Bool) {
        let (capped, truncated) = value.capped(maxBytes: maxBytes)
        return (capped.compactText(), truncated)
    }

    /// Writes every row in one transaction and returns the counts.
    func write(on connection: any SQLConnection) throws -> RecordWriteCounts {
        var counts = RecordWriteCounts()
        counts.expired = expired
        guard !(runs.isEmpty && events.isEmpty && alerts.isEmpty) else { return counts }

        try connection.transaction {
            if !runs.isEmpty {
                try Self.upsert(runs, into: "runs", columns: Self.runColumns, key: ["trigger_id"], on: connection)
                // A run's node traces are replaced as a whole: the new trace may have fewer nodes.
                for chunk in Self.chunks(runs.map { $0[0] }, size: 500) {
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                    try connection.execute("DELETE FROM node_traces WHERE trigger_id IN (\(marks))", Array(chunk))
                }
                if !nodes.isEmpty {
                    try Self.upsert(nodes, into: "node_traces", columns: Self.nodeColumns, key: ["trigger_id", "seq"], on: connection)
                }
            }
            if !events.isEmpty {
                try Self.upsert(events, into: "events", columns: Self.eventColumns, key: ["id"], on: connection)
            }
            if !alerts.isEmpty {
                try Self.upsert(alerts, into: "alerts", columns: Self.alertColumns, key: ["id"], on: connection)
            }
        }
        counts.runs = runs.count
        counts.nodeTraces = nodes.count
        counts.events = events.count
        counts.alerts = alerts.count
        return counts
    }

    /// Inserts `rows` with multi-row statements, replacing rows with the same key.
    private static func upsert(_ rows: [[SQLValue]], into table: String, columns: [String], key: [String], on connection: any SQLConnection) throws {
        // SQLite accepts 32,766 parameters per statement and PostgreSQL 65,535.
        let rowsPerStatement = max(1, 30_000 / columns.count)
        let updates = columns.filter { !key.contains($0) }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        let rowMarks = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        for chunk in chunks(rows, size: rowsPerStatement) {
            let sql = """
                INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(Array(repeating: rowMarks, count: chunk.count).joined(separator: ","))
                ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET \(updates)
                """
            try connection.execute(sql, chunk.flatMap { $0 })
        }
    }

    private static func chunks<Element>(_ items: [Element], size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: items.count, by: size).map { items[$0..<min($0 + size, items.count)] }
    }
}
