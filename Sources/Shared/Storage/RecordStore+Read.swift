import Foundation

extension RecordStore {
    static let runSummaryColumns = """
        trigger_id, job_id, app, kind, status, source, workflow_run_id, sort_at, scheduled_at, emitted_at, \
        started_at, finished_at, queue_delay_ms, run_time_ms, total_tokens, total_price, currency, error_code, \
        error_message, attempt_count, node_count, worker_id, rerun_of
        """

    /// One page of runs matching `query`, newest first unless it asks for oldest first.
    ///
    /// - Throws: ``StoreError``.
    public func runs(_ query: RunQuery) async throws -> RecordPage<RunRecord> {
        var filter = SQLFilter()
        filter.any("app", query.apps)
        filter.any("job_id", query.jobIDs)
        filter.any("status", query.statuses)
        filter.any("source", query.sources)
        filter.range("sort_at", from: query.from, to: query.to)
        filter.equal("trigger_id", query.triggerID)
        filter.equal("workflow_run_id", query.workflowRunID)
        filter.equal("rerun_of", query.rerunOf)
        filter.contains("job_id", query.jobSearch)
        filter.after(query.cursor, time: "sort_at", id: "trigger_id", ascending: query.ascending)
        return try await page(
            select: "SELECT \(Self.runSummaryColumns) FROM runs", filter: filter, order: ("sort_at", "trigger_id"),
            limit: query.limit, ascending: query.ascending, map: Self.runSummary
        ) { RecordCursor(sortAt: SQLValue.milliseconds($0.sortAt), id: $0.triggerID) }
    }

    /// Most re-runs listed in one run's detail; list more with ``RunQuery/rerunOf``.
    static let maxReruns = 100

    /// One run with its detail, top-level nodes and recorded re-runs, or nil when the store has
    /// no run of that trigger id.
    public func run(triggerID: String) async throws -> RunRecord? {
        let runSQL = """
            SELECT \(Self.runSummaryColumns), task_id, total_steps, error_retryable, error_node_id, attempts, inputs, \
            outputs, answer, io_truncated, stopped_by, may_still_run, trace_id, parent_trigger_id, parent_job_id \
            FROM runs WHERE trigger_id = ?
            """
        let nodeSQL = Self.nodeSelect + " WHERE n.trigger_id = ? AND n.parent_node_id IS NULL ORDER BY n.seq"
        let rerunSQL = "SELECT trigger_id FROM runs WHERE rerun_of = ? ORDER BY sort_at, trigger_id LIMIT \(Self.maxReruns)"
        let childSQL = "SELECT trigger_id, job_id, status, sort_at FROM runs WHERE parent_trigger_id = ? ORDER BY sort_at, trigger_id LIMIT 100"
        let id = SQLValue.text(triggerID)
        let (runRows, nodeRows, rerunRows, childRows) = try await read { connection in
            (
                try connection.query(runSQL, [id]), try connection.query(nodeSQL, [id, id]), try connection.query(rerunSQL, [id]),
                try connection.query(childSQL, [id])
            )
        }
        guard let row = runRows.first else { return nil }

        var record = Self.runSummary(row)
        record.taskID = row["task_id"].string
        record.totalSteps = row["total_steps"].int64
        record.errorRetryable = row["error_retryable"].bool
        record.errorNodeID = row["error_node_id"].string
        record.attempts = row["attempts"].json
        record.inputs = row["inputs"].json
        record.outputs = row["outputs"].json
        record.answer = row["answer"].string
        record.ioTruncated = row["io_truncated"].bool
        record.stoppedBy = row["stopped_by"].string
        record.mayStillRun = row["may_still_run"].bool
        record.traceID = row["trace_id"].string
        record.parentTriggerID = row["parent_trigger_id"].string
        record.parentJobID = row["parent_job_id"].string
        record.children = childRows.map { child in
            RunLink(
                triggerID: child["trigger_id"].string ?? "", jobID: child["job_id"].string, status: child["status"].string ?? "",
                sortAt: child["sort_at"].date ?? Date(timeIntervalSince1970: 0))
        }
        record.nodes = nodeRows.map(Self.node)
        record.reruns = rerunRows.compactMap { $0["trigger_id"].string }
        return record
    }

    /// The nodes of one round of an iteration or loop, in the order Dify reported them.
    ///
    /// Iterations and loops nested inside the round come with their own round counts.
    public func nodes(triggerID: String, parentNodeID: String, parentIndex: Int) async throws -> [NodeRecord] {
        let sql = Self.nodeSelect + " WHERE n.trigger_id = ? AND n.parent_node_id = ? AND n.parent_index = ? ORDER BY n.seq"
        let id = SQLValue.text(triggerID)
        let rows = try await read { connection in
            try connection.query(sql, [id, id, .text(parentNodeID), .integer(Int64(parentIndex))])
        }
        return rows.map(Self.node)
    }

    /// Node columns, with the number of rounds recorded inside each iteration or loop.
    ///
    /// Takes the trigger id twice: for the round count, then for the filter that follows.
    static let nodeSelect = """
        SELECT n.seq, n.execution_id, n.node_id, n.node_type, n.title, n.status, n.elapsed_ms, n.total_tokens, \
        n.total_price, n.currency, n.error, n.inputs, n.outputs, n.truncated, n.parent_node_id, n.parent_kind, \
        n.parent_index, n.retries, n.started_at, n.finished_at, n.unfinished, r.rounds \
        FROM node_traces n LEFT JOIN (\
        SELECT parent_node_id, COUNT(DISTINCT parent_index) AS rounds FROM node_traces \
        WHERE trigger_id = ? AND parent_node_id IS NOT NULL GROUP BY parent_node_id) r \
        ON r.parent_node_id = n.node_id
        """

    /// One page of schedule events matching `query`.
    public func events(_ query: EventQuery) async throws -> RecordPage<EventRecord> {
        var filter = SQLFilter()
        filter.any("app", query.apps)
        filter.any("job_id", query.jobIDs)
        filter.any("type", query.types)
        filter.equal("trigger_id", query.triggerID)
        filter.range("time", from: query.from, to: query.to)
        filter.after(query.cursor, time: "time", id: "id", ascending: query.ascending)
        return try await page(
            select: "SELECT id, time, type, job_id, trigger_id, app, actor, detail FROM events", filter: filter,
            order: ("time", "id"), limit: query.limit, ascending: query.ascending
        ) { row in
            EventRecord(
                id: row["id"].string ?? "", time: row["time"].date ?? Date(timeIntervalSince1970: 0), type: row["type"].string ?? "",
                jobID: row["job_id"].string, triggerID: row["trigger_id"].string, app: row["app"].string,
                actor: row["actor"].string, detail: row["detail"].json)
        } cursor: { RecordCursor(sortAt: SQLValue.milliseconds($0.time), id: $0.id) }
    }

    /// One page of alerts matching `query`; its `types` are alert kinds.
    public func alerts(_ query: EventQuery) async throws -> RecordPage<AlertRecord> {
        var filter = SQLFilter()
        filter.any("app", query.apps)
        filter.any("job_id", query.jobIDs)
        filter.any("kind", query.types)
        filter.equal("trigger_id", query.triggerID)
        filter.range("time", from: query.from, to: query.to)
        filter.after(query.cursor, time: "time", id: "id", ascending: query.ascending)
        return try await page(
            select: "SELECT id, time, kind, severity, job_id, app, trigger_id, status, message, channels, detail FROM alerts",
            filter: filter, order: ("time", "id"), limit: query.limit, ascending: query.ascending
        ) { row in
            AlertRecord(
                id: row["id"].string ?? "", time: row["time"].date ?? Date(timeIntervalSince1970: 0), kind: row["kind"].string ?? "",
                severity: row["severity"].string ?? "", jobID: row["job_id"].string, app: row["app"].string,
                triggerID: row["trigger_id"].string, status: row["status"].string, message: row["message"].string ?? "",
                channels: row["channels"].json, detail: row["detail"].json)
        } cursor: { RecordCursor(sortAt: SQLValue.milliseconds($0.time), id: $0.id) }
    }

    /// Reads one page, fetching one row more than the limit to learn whether another page follows.
    private func page<Item: Sendable & Encodable>(
        select: String, filter: SQLFilter, order: (time: String, id: String), limit: Int, ascending: Bool,
        map: @escaping @Sendable (SQLRow) -> Item, cursor: (Item) -> RecordCursor
    ) async throws -> RecordPage<Item> {
        let limit = min(max(limit, 1), RunQuery.maxLimit)
        let direction = ascending ? "ASC" : "DESC"
        let sql = "\(select)\(filter.whereClause) ORDER BY \(order.time) \(direction), \(order.id) \(direction) LIMIT ?"
        let parameters = filter.parameters + [.integer(Int64(limit + 1))]
        let rows = try await read { connection in try connection.query(sql, parameters) }

        let items = rows.prefix(limit).map(map)
        let next = rows.count > limit ? items.last.map { cursor($0).token } : nil
        return RecordPage(items: Array(items), nextCursor: next)
    }

    /// Counts of stored rows by kind, for tests and the console's footer.
    public func counts() async throws -> [String: Int] {
        try await read { connection in
            var counts: [String: Int] = [:]
            for table in ["runs", "node_traces", "events", "alerts"] {
                counts[table] = Int(try connection.query("SELECT COUNT(*) AS n FROM \(table)", []).first?["n"].int64 ?? 0)
            }
            return counts
        }
    }

    static func runSummary(_ row: SQLRow) -> RunRecord {
        RunRecord(
            triggerID: row["trigger_id"].string ?? "", jobID: row["job_id"].string, app: row["app"].string ?? "",
            kind: row["kind"].string, status: row["status"].string ?? "", source: row["source"].string,
            workflowRunID: row["workflow_run_id"].string, sortAt: row["sort_at"].date ?? Date(timeIntervalSince1970: 0),
            scheduledAt: row["scheduled_at"].date, emittedAt: row["emitted_at"].date, startedAt: row["started_at"].date,
            finishedAt: row["finished_at"].date, queueDelayMilliseconds: row["queue_delay_ms"].int64,
            runTimeMilliseconds: row["run_time_ms"].int64, totalTokens: row["total_tokens"].int64,
            totalPrice: row["total_price"].double, currency: row["currency"].string, errorCode: row["error_code"].string,
            errorMessage: row["error_message"].string, attemptCount: Int(row["attempt_count"].int64 ?? 1),
            nodeCount: Int(row["node_count"].int64 ?? 0), workerID: row["worker_id"].string, rerunOf: row["rerun_of"].string)
    }

    static func node(_ row: SQLRow) -> NodeRecord {
        NodeRecord(
            sequence: Int(row["seq"].int64 ?? 0), executionID: row["execution_id"].string ?? "", nodeID: row["node_id"].string ?? "",
            nodeType: row["node_type"].string ?? "", title: row["title"].string ?? "", status: row["status"].string ?? "",
            elapsedMilliseconds: row["elapsed_ms"].int64, totalTokens: row["total_tokens"].int64,
            totalPrice: row["total_price"].double, currency: row["currency"].string, error: row["error"].string,
            inputs: row["inputs"].json, outputs: row["outputs"].json, truncated: row["truncated"].bool ?? false,
            parentNodeID: row["parent_node_id"].string, parentKind: row["parent_kind"].string,
            parentIndex: row["parent_index"].int64.map(Int.init), retries: row["retries"].int64.map(Int.init),
            startedAt: row["started_at"].date, finishedAt: row["finished_at"].date, unfinished: row["unfinished"].bool,
            rounds: row["rounds"].int64.map(Int.init))
    }
}
