/// The tables and columns of Dify's database that a cleanup reads or deletes, checked before
/// anything is touched.
///
/// Names follow Dify's SQLAlchemy models (`api/models/workflow.py`, `api/models/model.py`):
/// ids are `uuid` columns and times are `timestamp without time zone` in UTC.
struct DifyCleanupSchema: Sendable {
    /// Tables every supported Dify version has, with the columns the cleanup uses.
    static let required: [(table: String, columns: [String])] = [
        ("workflow_runs", ["id", "app_id", "created_at"]),
        ("workflow_node_executions", ["id", "workflow_run_id"]),
        ("workflow_app_logs", ["id", "workflow_run_id"]),
        ("messages", ["id", "workflow_run_id"]),
        ("message_feedbacks", ["message_id"]),
        ("message_files", ["message_id", "upload_file_id"]),
        ("message_agent_thoughts", ["message_id"]),
        ("message_chains", ["message_id"]),
        ("upload_files", ["id", "key"]),
    ]

    /// Tables only newer Dify versions have: absent is fine, present means their columns
    /// must be there too.
    static let optional: [(table: String, columns: [String])] = [
        // Large node inputs and outputs moved to storage (about Dify 1.9 on); `file_id` is the
        // `upload_files` row of the stored object.
        ("workflow_node_execution_offload", ["id", "node_execution_id", "file_id"]),
        // Paused runs (human input). Each keeps its engine state in storage.
        ("workflow_pauses", ["id", "workflow_run_id"]),
    ]

    /// Optional tables found in the database.
    let present: Set<String>

    var hasOffload: Bool { present.contains("workflow_node_execution_offload") }
    var hasPauses: Bool { present.contains("workflow_pauses") }

    /// Reads the columns of the expected tables in the connection's current schema.
    ///
    /// - Throws: ``CleanupError`` `schemaMismatch` naming every missing table and column, so
    ///   a Dify version whose tables differ is never cleaned by guesswork.
    static func check(_ connection: DifyDatabaseConnection) async throws -> DifyCleanupSchema {
        let tables = (required + optional).map(\.table)
        let rows = try await connection.query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1::text[])",
            [postgresArray(tables)])
        var columns: [String: Set<String>] = [:]
        for row in rows {
            guard let table = row[0], let column = row[1] else { continue }
            columns[table, default: []].insert(column)
        }

        var missing: [String] = []
        for (table, wanted) in required {
            guard let found = columns[table] else {
                missing.append("table \(table)")
                continue
            }
            missing += wanted.filter { !found.contains($0) }.map { "column \(table).\($0)" }
        }
        var present: Set<String> = []
        for (table, wanted) in optional {
            guard let found = columns[table] else { continue }
            present.insert(table)
            missing += wanted.filter { !found.contains($0) }.map { "column \(table).\($0)" }
        }
        guard missing.isEmpty else {
            throw CleanupError(
                code: .schemaMismatch,
                reason: "Dify's database at \(connection.redactedURL) lacks \(missing.joined(separator: ", ")): nothing was deleted. Check that worker.dify_databases points at Dify's own database and schema (the one its api service uses)")
        }
        return DifyCleanupSchema(present: present)
    }
}

/// Formats `values` as a PostgreSQL array literal, for a `$n::text[]` or `$n::uuid[]` parameter.
func postgresArray(_ values: [String]) -> String {
    let items = values.map { value in
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
    return "{" + items.joined(separator: ",") + "}"
}
