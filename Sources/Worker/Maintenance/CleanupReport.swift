import Foundation
import Shared

/// The rows one `dify_cleanup` run deleted, or counted in a dry run, and the runs it left.
struct CleanupReport: Sendable {
    /// Tables in the order rows are deleted from them: dependents first, `workflow_runs` last.
    static let tableOrder = [
        "message_feedbacks", "message_files", "message_agent_thoughts", "message_chains", "messages",
        "workflow_app_logs", "workflow_node_execution_offload", "workflow_node_executions", "workflow_runs",
    ]
    /// Most skipped runs and released file keys listed by id; the counts are always complete.
    static let sampleLimit = 100

    /// A run left in place, and why.
    struct SkippedRun: Sendable {
        var runID: String
        var reason: String
    }

    var database: String
    var dryRun: Bool
    /// Runs created before this instant (UTC) were selected.
    var cutoff: Date
    var apps: [String]
    var batches = 0
    /// Rows deleted, or counted in a dry run, by table.
    var rows: [String: Int64] = [:]
    var skippedCount = 0
    var skipped: [SkippedRun] = []
    /// `upload_files` rows whose offloaded node data or message file was deleted with its run:
    /// the row and its stored object stay, and are listed so their storage can be reclaimed.
    var releasedFileCount = 0
    var releasedFileKeys: [String] = []
    var elapsedMilliseconds: Int64 = 0
    /// Set when the run stopped between batches (timeout, cancel, shutdown) before the end.
    var interrupted = false

    mutating func add(_ table: String, _ count: Int64) {
        rows[table, default: 0] += count
    }

    mutating func skip(_ runID: String, reason: String) {
        skippedCount += 1
        if skipped.count < Self.sampleLimit { skipped.append(SkippedRun(runID: runID, reason: reason)) }
    }

    mutating func release(keys: [String]) {
        releasedFileCount += keys.count
        releasedFileKeys += keys.prefix(max(0, Self.sampleLimit - releasedFileKeys.count))
    }

    /// The report as the result's `outputs`.
    var json: JSONValue {
        var tables: [String: JSONValue] = [:]
        for table in Self.tableOrder { tables[table] = .int(rows[table] ?? 0) }
        return .object([
            "database": .string(database),
            "dry_run": .bool(dryRun),
            "cutoff": .string(Timestamp.rfc3339(cutoff)),
            "apps": .array(apps.map(JSONValue.string)),
            "batches": .int(Int64(batches)),
            dryRun ? "rows_counted" : "rows_deleted": .object(tables),
            "skipped_runs": .int(Int64(skippedCount)),
            "skipped": .array(skipped.map { .object(["workflow_run_id": .string($0.runID), "reason": .string($0.reason)]) }),
            "released_files": .int(Int64(releasedFileCount)),
            "released_file_keys": .array(releasedFileKeys.map(JSONValue.string)),
            "elapsed_ms": .int(elapsedMilliseconds),
            "interrupted": .bool(interrupted),
        ])
    }

    /// A one-line summary for logs and the result's `answer` field.
    var summary: String {
        let verb = dryRun ? "would delete" : "deleted"
        let runs = rows["workflow_runs"] ?? 0
        let related = Self.tableOrder.dropLast().compactMap { table in (rows[table] ?? 0) > 0 ? "\(rows[table]!) \(table)" : nil }
        var text = "\(verb) \(runs) workflow runs created before \(Timestamp.rfc3339(cutoff)) in \(batches) batch\(batches == 1 ? "" : "es")"
        if !related.isEmpty { text += ", with \(related.joined(separator: ", "))" }
        if skippedCount > 0 { text += "; left \(skippedCount) runs in place whose stored files are not accounted for" }
        if interrupted { text += "; stopped before the end" }
        return text
    }
}
