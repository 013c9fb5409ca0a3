import Foundation
import Shared

/// Deletes Dify's workflow runs older than a retention age, with their node executions,
/// offloaded node data rows, app logs and chatflow messages, in batches with a pause between
/// them; or counts them in a dry run.
///
/// Runs are taken oldest first, `batchSize` at a time, by a keyset on `(created_at, id)`, so
/// each batch is one short transaction and a run left in place is never selected again. A run
/// is left in place, and listed in the report, when it has stored files this cleanup cannot
/// account for: offloaded node data or a message file whose `upload_files` row is missing, or
/// a pause whose engine state is in storage. `upload_files` rows themselves are never deleted;
/// the keys of those that lost their last reference here are reported instead.
struct DifyCleanup: Sendable {
    struct Settings: Sendable {
        var cutoff: Date
        var batchSize: Int
        var pause: Duration
        /// Dify app ids; empty means every app.
        var apps: [String]
        var dryRun: Bool
    }

    let connection: DifyDatabaseConnection
    let schema: DifyCleanupSchema
    let settings: Settings
    let logger: Logger
    /// Checked between batches; true ends the run early with what was done so far.
    let shouldStop: @Sendable () -> Bool

    /// Runs the cleanup to the end, or until `shouldStop` returns true between batches.
    ///
    /// - Throws: ``CleanupError`` when a statement fails; the batch in progress is rolled
    ///   back, earlier batches stay deleted.
    func run(database: String) async throws -> CleanupReport {
        let started = ContinuousClock.now
        var report = CleanupReport(database: database, dryRun: settings.dryRun, cutoff: settings.cutoff, apps: settings.apps)
        var cursor: (createdAt: String, id: String)?

        while true {
            if shouldStop() {
                report.interrupted = true
                break
            }
            let runs = try await nextRuns(after: cursor)
            guard let last = runs.last else { break }
            cursor = last
            report.batches += 1

            let ids = runs.map(\.id)
            if settings.dryRun {
                try await process(ids, report: &report)
            } else {
                try await connection.execute("BEGIN")
                do {
                    try await process(ids, report: &report)
                    try await connection.execute("COMMIT")
                } catch {
                    _ = try? await connection.execute("ROLLBACK")
                    throw error
                }
            }
            logger.info("cleanup batch done", [
                "batch": "\(report.batches)", "runs": "\(ids.count)", "dry_run": "\(settings.dryRun)",
                "runs_total": "\(report.rows["workflow_runs"] ?? 0)", "skipped_total": "\(report.skippedCount)",
            ])

            guard runs.count == settings.batchSize else { break }
            do {
                try await Task.sleep(for: settings.pause)
            } catch {
                report.interrupted = true
                break
            }
        }
        report.elapsedMilliseconds = (ContinuousClock.now - started).milliseconds
        return report
    }

    // MARK: - One batch

    /// Selects the next runs older than the cutoff after `cursor`, oldest first.
    private func nextRuns(after cursor: (createdAt: String, id: String)?) async throws -> [(createdAt: String, id: String)] {
        var sql = "SELECT id::text, created_at::text FROM workflow_runs WHERE created_at < ($1::timestamptz AT TIME ZONE 'UTC')"
        var parameters: [String?] = [Timestamp.rfc3339(settings.cutoff)]
        if !settings.apps.isEmpty {
            parameters.append(postgresArray(settings.apps))
            sql += " AND app_id = ANY($\(parameters.count)::uuid[])"
        }
        if let cursor {
            parameters += [cursor.createdAt, cursor.id]
            sql += " AND (created_at, id) > ($\(parameters.count - 1)::timestamp, $\(parameters.count)::uuid)"
        }
        parameters.append(String(settings.batchSize))
        sql += " ORDER BY created_at, id LIMIT $\(parameters.count)::int"
        return try await connection.query(sql, parameters).compactMap { row in
            guard let id = row[0], let createdAt = row[1] else { return nil }
            return (createdAt, id)
        }
    }

    /// Leaves out the runs with unaccounted stored files, then deletes (or counts) the rest
    /// with their dependent rows, dependents first.
    private func process(_ ids: [String], report: inout CleanupReport) async throws {
        let batch = postgresArray(ids)
        var skipped: [String: String] = [:]
        for (runID, reason) in try await unaccountedRuns(batch) where skipped[runID] == nil {
            skipped[runID] = reason
        }
        for runID in ids where skipped[runID] != nil {
            report.skip(runID, reason: skipped[runID]!)
        }
        let kept = ids.filter { skipped[$0] == nil }
        guard !kept.isEmpty else { return }
        let runs = postgresArray(kept)

        report.release(keys: try await releasedFileKeys(runs))
        for table in CleanupReport.tableOrder {
            guard let condition = condition(for: table) else { continue }
            if settings.dryRun {
                let rows = try await connection.query("SELECT count(*) FROM \(table) WHERE \(condition)", [runs])
                let count = rows.first.flatMap { $0.first ?? nil }.flatMap { Int64($0) }
                report.add(table, count ?? 0)
            } else {
                report.add(table, try await connection.execute("DELETE FROM \(table) WHERE \(condition)", [runs]))
            }
        }
    }

    /// Returns the `WHERE` condition that selects a table's rows of the runs in `$1`, or nil
    /// for a table this database lacks.
    private func condition(for table: String) -> String? {
        let messages = "message_id IN (SELECT id FROM messages WHERE workflow_run_id = ANY($1::uuid[]))"
        switch table {
        case "message_feedbacks", "message_files", "message_agent_thoughts", "message_chains":
            return messages
        case "messages", "workflow_app_logs", "workflow_node_executions":
            return "workflow_run_id = ANY($1::uuid[])"
        case "workflow_node_execution_offload":
            return schema.hasOffload ? "node_execution_id IN (SELECT id FROM workflow_node_executions WHERE workflow_run_id = ANY($1::uuid[]))" : nil
        case "workflow_runs":
            return "id = ANY($1::uuid[])"
        default:
            return nil
        }
    }

    /// Runs of the batch in `$1` with stored files this cleanup cannot account for, and why.
    private func unaccountedRuns(_ batch: String) async throws -> [(String, String)] {
        var found: [(String, String)] = []
        if schema.hasOffload {
            let rows = try await connection.query("""
                SELECT e.workflow_run_id::text, count(*) FROM workflow_node_execution_offload o
                JOIN workflow_node_executions e ON e.id = o.node_execution_id
                LEFT JOIN upload_files u ON u.id = o.file_id
                WHERE e.workflow_run_id = ANY($1::uuid[]) AND u.id IS NULL GROUP BY 1
                """, [batch])
            found += rows.compactMap { row in
                row[0].map { ($0, "\(row[1] ?? "some") offloaded node data files have no upload_files row, so their storage objects cannot be found") }
            }
        }
        let files = try await connection.query("""
            SELECT m.workflow_run_id::text, count(*) FROM message_files f
            JOIN messages m ON m.id = f.message_id
            LEFT JOIN upload_files u ON u.id = f.upload_file_id
            WHERE m.workflow_run_id = ANY($1::uuid[]) AND f.upload_file_id IS NOT NULL AND u.id IS NULL GROUP BY 1
            """, [batch])
        found += files.compactMap { row in
            row[0].map { ($0, "\(row[1] ?? "some") message files have no upload_files row, so their storage objects cannot be found") }
        }
        if schema.hasPauses {
            let pauses = try await connection.query(
                "SELECT DISTINCT workflow_run_id::text FROM workflow_pauses WHERE workflow_run_id = ANY($1::uuid[])", [batch])
            found += pauses.compactMap { row in
                row[0].map { ($0, "the run was paused and its engine state is in storage (workflow_pauses), which this cleanup does not delete") }
            }
        }
        return found
    }

    /// Storage keys of the `upload_files` rows referenced by the runs' offloaded node data and
    /// message files.
    private func releasedFileKeys(_ runs: String) async throws -> [String] {
        var sql = """
            SELECT u.key FROM message_files f JOIN messages m ON m.id = f.message_id
            JOIN upload_files u ON u.id = f.upload_file_id WHERE m.workflow_run_id = ANY($1::uuid[])
            """
        if schema.hasOffload {
            sql += """
                 UNION ALL SELECT u.key FROM workflow_node_execution_offload o
                JOIN workflow_node_executions e ON e.id = o.node_execution_id
                JOIN upload_files u ON u.id = o.file_id WHERE e.workflow_run_id = ANY($1::uuid[])
                """
        }
        return try await connection.query(sql, [runs]).compactMap { $0.first ?? nil }
    }
}
