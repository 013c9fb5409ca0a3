import Foundation

/// The versioned schema of the records store, applied in order at start.
///
/// Each migration runs in its own transaction together with its row in `schema_migrations`, so
/// a crash leaves the store at the previous version. Types are chosen to mean the same in
/// SQLite and PostgreSQL: `BIGINT` for counts and instants (milliseconds since the Unix
/// epoch), `DOUBLE PRECISION` for prices, `TEXT` for everything else, JSON included.
/// - Important: never edit a released migration; append a new one.
enum StoreMigrations {
    struct Migration: Sendable {
        let version: Int
        let name: String
        let statements: [String]
    }

    static let all: [Migration] = [
        Migration(version: 1, name: "create runs, node traces, events and alerts", statements: [
            """
            CREATE TABLE store_meta (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE runs (
                trigger_id TEXT PRIMARY KEY,
                job_id TEXT,
                app TEXT NOT NULL,
                kind TEXT,
                status TEXT NOT NULL,
                source TEXT,
                workflow_run_id TEXT,
                task_id TEXT,
                sort_at BIGINT NOT NULL,
                scheduled_at BIGINT,
                emitted_at BIGINT,
                started_at BIGINT,
                finished_at BIGINT,
                queue_delay_ms BIGINT,
                run_time_ms BIGINT,
                total_tokens BIGINT,
                total_price DOUBLE PRECISION,
                currency TEXT,
                total_steps BIGINT,
                error_code TEXT,
                error_message TEXT,
                error_retryable BIGINT,
                error_node_id TEXT,
                attempt_count BIGINT NOT NULL,
                attempts TEXT,
                inputs TEXT,
                outputs TEXT,
                answer TEXT,
                io_truncated BIGINT NOT NULL,
                node_count BIGINT NOT NULL,
                worker_id TEXT,
                stopped_by TEXT,
                may_still_run BIGINT,
                trace_id TEXT,
                recorded_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX runs_by_time ON runs (sort_at, trigger_id)",
            "CREATE INDEX runs_by_job ON runs (job_id, sort_at)",
            "CREATE INDEX runs_by_app ON runs (app, sort_at)",
            "CREATE INDEX runs_by_status ON runs (status, sort_at)",
            "CREATE INDEX runs_by_workflow_run ON runs (workflow_run_id)",
            """
            CREATE TABLE node_traces (
                trigger_id TEXT NOT NULL,
                seq BIGINT NOT NULL,
                sort_at BIGINT NOT NULL,
                execution_id TEXT NOT NULL,
                node_id TEXT NOT NULL,
                node_type TEXT NOT NULL,
                title TEXT NOT NULL,
                status TEXT NOT NULL,
                elapsed_ms BIGINT,
                total_tokens BIGINT,
                total_price DOUBLE PRECISION,
                currency TEXT,
                error TEXT,
                inputs TEXT,
                outputs TEXT,
                truncated BIGINT NOT NULL,
                parent_node_id TEXT,
                parent_kind TEXT,
                parent_index BIGINT,
                retries BIGINT,
                started_at BIGINT,
                finished_at BIGINT,
                unfinished BIGINT,
                PRIMARY KEY (trigger_id, seq)
            )
            """,
            "CREATE INDEX node_traces_by_time ON node_traces (sort_at)",
            """
            CREATE TABLE events (
                id TEXT PRIMARY KEY,
                time BIGINT NOT NULL,
                type TEXT NOT NULL,
                job_id TEXT,
                trigger_id TEXT,
                app TEXT,
                actor TEXT,
                detail TEXT,
                recorded_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX events_by_time ON events (time, id)",
            "CREATE INDEX events_by_job ON events (job_id, time)",
            "CREATE INDEX events_by_trigger ON events (trigger_id)",
            "CREATE INDEX events_by_type ON events (type, time)",
            """
            CREATE TABLE alerts (
                id TEXT PRIMARY KEY,
                time BIGINT NOT NULL,
                kind TEXT NOT NULL,
                severity TEXT NOT NULL,
                job_id TEXT,
                app TEXT,
                trigger_id TEXT,
                status TEXT,
                message TEXT NOT NULL,
                channels TEXT,
                detail TEXT,
                recorded_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX alerts_by_time ON alerts (time, id)",
            "CREATE INDEX alerts_by_job ON alerts (job_id, time)",
        ]),
        Migration(version: 2, name: "add the re-run link to runs", statements: [
            "ALTER TABLE runs ADD COLUMN rerun_of TEXT",
            "CREATE INDEX runs_by_rerun_of ON runs (rerun_of)",
        ]),
        Migration(version: 3, name: "link chained runs to their parent run", statements: [
            "ALTER TABLE runs ADD COLUMN parent_trigger_id TEXT",
            "ALTER TABLE runs ADD COLUMN parent_job_id TEXT",
            "CREATE INDEX runs_by_parent ON runs (parent_trigger_id)",
        ]),
        Migration(version: 4, name: "keep the question of chatflow runs", statements: [
            "ALTER TABLE runs ADD COLUMN query TEXT",
        ]),
    ]

    /// Brings the schema up to the latest version; returns the versions applied now.
    ///
    /// With PostgreSQL an advisory lock keeps producers that start together from migrating
    /// at once; with SQLite `BEGIN IMMEDIATE` does the same.
    /// - Throws: ``StoreError`` `newerSchema` when the store was migrated by a newer release,
    ///   `migrationFailed` naming the migration that failed.
    static func apply(on connection: any SQLConnection, migrations: [Migration] = all) throws -> [Int] {
        if connection.dialect == .postgres {
            // An arbitrary constant shared by every producer: "dify-scheduler records". Taken
            // before the table is created: two concurrent `CREATE TABLE IF NOT EXISTS` collide.
            try connection.executeScript("SELECT pg_advisory_lock(7315192611)")
        }
        defer {
            if connection.dialect == .postgres {
                try? connection.executeScript("SELECT pg_advisory_unlock(7315192611)")
            }
        }
        try connection.executeScript("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at BIGINT NOT NULL
            )
            """)

        let applied = Set(try connection.query("SELECT version FROM schema_migrations", []).compactMap { $0["version"].int64 }.map(Int.init))
        let latest = migrations.map(\.version).max() ?? 0
        if let newest = applied.max(), newest > latest {
            throw StoreError(
                code: .newerSchema,
                reason: "the store has schema version \(newest) but this release knows only up to \(latest); upgrade dify-producer or point producer.store at another database")
        }

        var done: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(migration.version) {
            do {
                let appliedHere = try connection.transaction { () throws -> Bool in
                    // With SQLite another producer may have applied it since the versions were
                    // read: the transaction's lock, not that read, decides.
                    let again = try connection.query("SELECT version FROM schema_migrations WHERE version = ?", [.integer(Int64(migration.version))])
                    guard again.isEmpty else { return false }
                    for statement in migration.statements {
                        try connection.executeScript(statement)
                    }
                    if migration.version == 1 {
                        try connection.execute("INSERT INTO store_meta (key, value) VALUES ('store_id', ?)", [.text(UUID().uuidString.lowercased())])
                    }
                    try connection.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        [.integer(Int64(migration.version)), .text(migration.name), SQLValue(Date())])
                    return true
                }
                if appliedHere { done.append(migration.version) }
            } catch let error as StoreError {
                throw StoreError(
                    code: .migrationFailed, reason: "migration \(migration.version) (\(migration.name)) failed: \(error.reason)",
                    databaseCode: error.databaseCode)
            }
        }
        return done
    }
}
