import Foundation
import TestSupport

@testable import Worker

/// A database with Dify's run tables, shaped as Dify's SQLAlchemy models declare them (uuid
/// ids, naive UTC timestamps; columns the cleanup does not use are kept to a few), and
/// helpers to fill it.
struct DifyTestDatabase {
    let url: String
    let connection: DifyDatabaseConnection

    static let tables = [
        """
        CREATE TABLE workflow_runs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL, app_id uuid NOT NULL,
          sequence_number integer NOT NULL DEFAULT 1, workflow_id uuid NOT NULL, type varchar(255) NOT NULL DEFAULT 'workflow',
          triggered_from varchar(255) NOT NULL DEFAULT 'app-run', version varchar(255) NOT NULL DEFAULT 'v1', graph text, inputs text,
          status varchar(255) NOT NULL DEFAULT 'succeeded', outputs text, error text, elapsed_time double precision NOT NULL DEFAULT 0,
          total_tokens bigint NOT NULL DEFAULT 0, total_steps integer DEFAULT 0, created_by_role varchar(255) NOT NULL DEFAULT 'end_user',
          created_by uuid NOT NULL, created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP(0), finished_at timestamp, exceptions_count integer DEFAULT 0)
        """,
        "CREATE INDEX workflow_run_triggerd_from_idx ON workflow_runs (tenant_id, app_id, triggered_from)",
        """
        CREATE TABLE workflow_node_executions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL, app_id uuid NOT NULL,
          workflow_id uuid NOT NULL, triggered_from varchar(255) NOT NULL DEFAULT 'workflow-run', workflow_run_id uuid, index integer NOT NULL DEFAULT 1,
          node_id varchar(255) NOT NULL, node_type varchar(255) NOT NULL, title varchar(255) NOT NULL, inputs text, process_data text, outputs text,
          status varchar(255) NOT NULL DEFAULT 'succeeded', error text, elapsed_time double precision NOT NULL DEFAULT 0, execution_metadata text,
          created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP(0), created_by_role varchar(255) NOT NULL DEFAULT 'end_user', created_by uuid NOT NULL,
          finished_at timestamp)
        """,
        "CREATE INDEX workflow_node_execution_workflow_run_idx ON workflow_node_executions (tenant_id, app_id, workflow_id, triggered_from, workflow_run_id)",
        """
        CREATE TABLE workflow_node_execution_offload (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), created_at timestamp DEFAULT CURRENT_TIMESTAMP,
          tenant_id uuid NOT NULL, app_id uuid NOT NULL, node_execution_id uuid, type varchar(20) NOT NULL, file_id uuid NOT NULL,
          UNIQUE (node_execution_id, type))
        """,
        """
        CREATE TABLE workflow_app_logs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL, app_id uuid NOT NULL,
          workflow_id uuid NOT NULL, workflow_run_id uuid NOT NULL, created_from varchar(255) NOT NULL DEFAULT 'service-api',
          created_by_role varchar(255) NOT NULL DEFAULT 'end_user', created_by uuid NOT NULL, created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP(0))
        """,
        """
        CREATE TABLE workflow_pauses (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workflow_id uuid NOT NULL, workflow_run_id uuid NOT NULL,
          resumed_at timestamp, state_object_key varchar(255) NOT NULL, created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP(0))
        """,
        """
        CREATE TABLE upload_files (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL, storage_type varchar(255) NOT NULL DEFAULT 'opendal',
          key varchar(255) NOT NULL, name varchar(255) NOT NULL DEFAULT 'data.json', size integer NOT NULL DEFAULT 0, extension varchar(255) NOT NULL DEFAULT 'json',
          mime_type varchar(255), created_by_role varchar(255) NOT NULL DEFAULT 'account', created_by uuid NOT NULL,
          created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP(0), used boolean NOT NULL DEFAULT false)
        """,
        """
        CREATE TABLE conversations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), app_id uuid NOT NULL, mode varchar(255) NOT NULL DEFAULT 'advanced-chat',
          name varchar(255) NOT NULL DEFAULT 'chat', created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP(0))
        """,
        """
        CREATE TABLE messages (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), app_id uuid NOT NULL, conversation_id uuid NOT NULL, inputs json,
          query text NOT NULL DEFAULT '', message json, answer text NOT NULL DEFAULT '', workflow_run_id uuid, status varchar(255) NOT NULL DEFAULT 'normal',
          from_source varchar(255) NOT NULL DEFAULT 'api', created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP(0))
        """,
        "CREATE INDEX message_workflow_run_id_idx ON messages (conversation_id, workflow_run_id)",
        """
        CREATE TABLE message_feedbacks (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), app_id uuid NOT NULL, conversation_id uuid NOT NULL,
          message_id uuid NOT NULL, rating varchar(255) NOT NULL DEFAULT 'like', from_source varchar(255) NOT NULL DEFAULT 'user',
          created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP(0))
        """,
        """
        CREATE TABLE message_files (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), message_id uuid NOT NULL, type varchar(255) NOT NULL DEFAULT 'image',
          transfer_method varchar(255) NOT NULL DEFAULT 'local_file', url text, upload_file_id uuid, created_by_role varchar(255) NOT NULL DEFAULT 'end_user',
          created_by uuid NOT NULL, created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP(0))
        """,
        """
        CREATE TABLE message_agent_thoughts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), message_id uuid NOT NULL, position integer NOT NULL DEFAULT 1,
          thought text, created_by_role varchar(255) NOT NULL DEFAULT 'end_user', created_by uuid NOT NULL, created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP(0))
        """,
        """
        CREATE TABLE message_chains (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), message_id uuid NOT NULL, type varchar(255) NOT NULL DEFAULT 'system',
          input text, output text, created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP(0))
        """,
    ]

    static let tenant = "0b6a3f5e-1c2d-4e7f-8a9b-0c1d2e3f4a5b"
    static let user = "7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b"

    /// A new database with every table created.
    static func make() async throws -> DifyTestDatabase {
        let url = try TestPostgresServer.get().makeDatabase()
        let connection = try await DifyDatabaseConnection.connect(url: url, label: "test")
        for statement in tables { try await connection.execute(statement) }
        return DifyTestDatabase(url: url, connection: connection)
    }

    /// What to add with a run.
    struct RunShape {
        var nodes = 3
        /// Offloaded node data whose `upload_files` row exists.
        var storedFiles = 0
        /// Offloaded node data whose `upload_files` row is missing.
        var unaccountedFiles = 0
        /// A chatflow message with a feedback, a file, an agent thought and a chain.
        var message = false
        var paused = false
    }

    /// Inserts a run created `daysAgo` days ago with its dependent rows; returns its id.
    @discardableResult
    func addRun(app: String, daysAgo: Double, _ shape: RunShape = RunShape()) async throws -> String {
        let workflow = UUID().uuidString.lowercased()
        let createdAt = "(now() AT TIME ZONE 'UTC') - interval '\(Int(daysAgo * 86_400)) seconds'"
        let run = try await value("""
            INSERT INTO workflow_runs (tenant_id, app_id, workflow_id, created_by, created_at)
            VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, \(createdAt)) RETURNING id::text
            """, [Self.tenant, app, workflow, Self.user])
        var nodeIDs: [String] = []
        for index in 0..<shape.nodes {
            nodeIDs.append(try await value("""
                INSERT INTO workflow_node_executions (tenant_id, app_id, workflow_id, workflow_run_id, index, node_id, node_type, title, created_by, created_at)
                VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::int, 'node', 'llm', 'LLM', $6::uuid, \(createdAt)) RETURNING id::text
                """, [Self.tenant, app, workflow, run, String(index + 1), Self.user]))
        }
        try await connection.execute("""
            INSERT INTO workflow_app_logs (tenant_id, app_id, workflow_id, workflow_run_id, created_by, created_at)
            VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, \(createdAt))
            """, [Self.tenant, app, workflow, run, Self.user])

        for (index, node) in nodeIDs.prefix(shape.storedFiles + shape.unaccountedFiles).enumerated() {
            var file = UUID().uuidString.lowercased()
            if index < shape.storedFiles {
                file = try await value(
                    "INSERT INTO upload_files (tenant_id, key, created_by) VALUES ($1::uuid, $2, $3::uuid) RETURNING id::text",
                    [Self.tenant, "offload/\(run)/\(node).json", Self.user])
            }
            try await connection.execute(
                "INSERT INTO workflow_node_execution_offload (tenant_id, app_id, node_execution_id, type, file_id) VALUES ($1::uuid, $2::uuid, $3::uuid, 'outputs', $4::uuid)",
                [Self.tenant, app, node, file])
        }
        if shape.message {
            let conversation = try await value("INSERT INTO conversations (app_id) VALUES ($1::uuid) RETURNING id::text", [app])
            let message = try await value("""
                INSERT INTO messages (app_id, conversation_id, workflow_run_id, query, answer, created_at)
                VALUES ($1::uuid, $2::uuid, $3::uuid, 'question', 'answer', \(createdAt)) RETURNING id::text
                """, [app, conversation, run])
            let upload = try await value(
                "INSERT INTO upload_files (tenant_id, key, created_by) VALUES ($1::uuid, $2, $3::uuid) RETURNING id::text",
                [Self.tenant, "upload_files/\(message).png", Self.user])
            try await connection.execute("INSERT INTO message_feedbacks (app_id, conversation_id, message_id) VALUES ($1::uuid, $2::uuid, $3::uuid)", [app, conversation, message])
            try await connection.execute("INSERT INTO message_files (message_id, upload_file_id, created_by) VALUES ($1::uuid, $2::uuid, $3::uuid)", [message, upload, Self.user])
            try await connection.execute("INSERT INTO message_agent_thoughts (message_id, created_by) VALUES ($1::uuid, $2::uuid)", [message, Self.user])
            try await connection.execute("INSERT INTO message_chains (message_id) VALUES ($1::uuid)", [message])
        }
        if shape.paused {
            try await connection.execute(
                "INSERT INTO workflow_pauses (workflow_id, workflow_run_id, state_object_key) VALUES ($1::uuid, $2::uuid, $3)",
                [workflow, run, "workflow-state/\(run).json"])
        }
        return run
    }

    /// Rows in each table, by table name.
    func counts() async throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for table in CleanupReport.tableOrder + ["upload_files", "workflow_pauses", "conversations"] {
            counts[table] = Int64(try await value("SELECT count(*)::text FROM \(table)"))
        }
        return counts
    }

    /// Ids of the workflow runs left.
    func runIDs() async throws -> Set<String> {
        Set(try await connection.query("SELECT id::text FROM workflow_runs").compactMap { $0.first ?? nil })
    }

    func value(_ sql: String, _ parameters: [String?] = []) async throws -> String {
        guard let value = try await connection.query(sql, parameters).first?.first ?? nil else {
            throw TestDatabaseError(reason: "no value from \(sql)")
        }
        return value
    }
}
