import Foundation
import Shared
import TestSupport
import Testing

/// A `dify_cleanup` job end to end: dify-producer fires it on its schedule, dify-worker runs
/// it against a PostgreSQL database with Dify's run tables, and the result reports the rows.
@Suite(.serialized) struct CleanupEndToEndTests {
    static let binaries = "/usr/lib/postgresql/15/bin"

    /// Dify's run tables with the columns the cleanup reads; the cleanup unit tests use the
    /// fuller shape.
    static let schema = """
        CREATE TABLE workflow_runs (id uuid PRIMARY KEY, app_id uuid NOT NULL, created_at timestamp NOT NULL);
        CREATE TABLE workflow_node_executions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workflow_run_id uuid);
        CREATE TABLE workflow_app_logs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workflow_run_id uuid NOT NULL);
        CREATE TABLE upload_files (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), key varchar(255) NOT NULL);
        CREATE TABLE messages (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workflow_run_id uuid);
        CREATE TABLE message_feedbacks (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), message_id uuid NOT NULL);
        CREATE TABLE message_files (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), message_id uuid NOT NULL, upload_file_id uuid);
        CREATE TABLE message_agent_thoughts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), message_id uuid NOT NULL);
        CREATE TABLE message_chains (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), message_id uuid NOT NULL);
        INSERT INTO workflow_runs SELECT gen_random_uuid(), 'a1a1a1a1-0000-4000-8000-00000000000a', (now() AT TIME ZONE 'UTC') - make_interval(days => 40 + n) FROM generate_series(1, 5) n;
        INSERT INTO workflow_runs SELECT gen_random_uuid(), 'a1a1a1a1-0000-4000-8000-00000000000a', (now() AT TIME ZONE 'UTC') - make_interval(days => n) FROM generate_series(1, 3) n;
        INSERT INTO workflow_node_executions (workflow_run_id) SELECT id FROM workflow_runs, generate_series(1, 2);
        INSERT INTO workflow_app_logs (workflow_run_id) SELECT id FROM workflow_runs;
        """

    @Test func scheduledCleanupDeletesOldRuns() async throws {
        let server = try CleanupServer.start()
        defer { server.stop() }
        try server.psql(Self.schema)

        let cluster = try await SchedulerCluster.start(name: "cleanup-e2e")
        defer { cluster.stop() }
        let instant = Timestamp.rfc3339(Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 6).rounded(.down)))
        let later = Timestamp.rfc3339(Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 10).rounded(.down)))
        let config = try cluster.writeConfig("""
            jobs:
              - id: count-dify-runs
                kind: dify_cleanup
                app: main
                schedule: {every: 1h, start: "\(instant)", end: "\(instant)"}
                cleanup: {retention: 30d, batch_size: 2, pause: 100ms}
              - id: clean-dify-runs
                kind: dify_cleanup
                app: main
                schedule: {every: 1h, start: "\(later)", end: "\(later)"}
                cleanup: {retention: 30d, batch_size: 2, pause: 100ms, dry_run: false}
            """, workerSettings: """
            dify_databases:
                main: {url_env: TEST_DIFY_DB_URL}
            """)
        try await cluster.createTopics(config: config)
        let worker = try ManagedProcess(
            binary: "dify-worker", arguments: ["run", "--config", config, "--id", "worker-cleanup"],
            environment: cluster.environment.merging(["TEST_DIFY_DB_URL": server.url]) { _, new in new }, logName: "cleanup-e2e-worker")
        let producer = try cluster.startProducer(config: config)
        try await worker.waitForLog("partition assigned")

        let results = try await cluster.waitForResults("the dry run and the cleanup", timeout: .seconds(60)) { results in
            Set(["count-dify-runs", "clean-dify-runs"]).isSubset(of: Set(results.compactMap(\.jobID)))
        }
        let counted = try #require(results.first { $0.jobID == "count-dify-runs" })
        #expect(counted.status == .succeeded)
        #expect(counted.kind == .difyCleanup)
        #expect(counted.outputs?["dry_run"] == .bool(true))
        #expect(counted.outputs?["rows_counted"]?["workflow_runs"] == .int(5))
        #expect(counted.outputs?["rows_counted"]?["workflow_node_executions"] == .int(10))

        let cleaned = try #require(results.first { $0.jobID == "clean-dify-runs" })
        #expect(cleaned.status == .succeeded)
        #expect(cleaned.outputs?["rows_deleted"]?["workflow_runs"] == .int(5))
        #expect(cleaned.outputs?["rows_deleted"]?["workflow_app_logs"] == .int(5))
        #expect(cleaned.outputs?["batches"] == .int(3))
        #expect(cleaned.answer?.hasPrefix("deleted 5 workflow runs") == true)
        #expect(try server.psql("SELECT count(*) FROM workflow_runs", tuplesOnly: true).trimmingCharacters(in: .whitespacesAndNewlines) == "3")
        #expect(try server.psql("SELECT count(*) FROM workflow_node_executions", tuplesOnly: true).trimmingCharacters(in: .whitespacesAndNewlines) == "6")
        // The URL is registered as a secret, so the worker never logs it.
        #expect(!worker.log.contains(server.url))

        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }
}

/// A PostgreSQL 15 server in a fresh folder on a free port, for one test.
///
/// PostgreSQL does not run as root and the tests do, so it runs as `postgres` through
/// `runuser`. pg_ctl is spawned with posix_spawn, because Foundation's Process waits until
/// every process that inherited its monitoring socket exits, the server included.
struct CleanupServer {
    let directory: String
    let port: Int
    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    static func start() throws -> CleanupServer {
        let binaries = CleanupEndToEndTests.binaries
        let directory = "/tmp/dify-cleanup-e2e-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try spawn("/bin/chown", ["postgres:postgres", directory], log: "\(directory)/setup.log")
        try spawn("/usr/sbin/runuser", ["-u", "postgres", "--", "\(binaries)/initdb", "-D", "\(directory)/data", "-A", "trust", "-U", "postgres", "--no-sync"], log: "\(directory)/setup.log")
        let port = try FreePort.next()
        try spawn("/usr/sbin/runuser", [
            "-u", "postgres", "--", "\(binaries)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-t", "60",
            "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off", "start",
        ], log: "\(directory)/setup.log")
        return CleanupServer(directory: directory, port: port)
    }

    func stop() {
        try? Self.spawn("/usr/sbin/runuser", ["-u", "postgres", "--", "\(CleanupEndToEndTests.binaries)/pg_ctl", "-D", "\(directory)/data", "-m", "immediate", "-w", "stop"], log: "\(directory)/setup.log")
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs SQL with psql and returns its output.
    @discardableResult
    func psql(_ sql: String, tuplesOnly: Bool = false) throws -> String {
        let output = "\(directory)/psql-\(UUID().uuidString.prefix(6)).out"
        try Self.spawn("\(CleanupEndToEndTests.binaries)/psql", [url, "-v", "ON_ERROR_STOP=1", "-q"] + (tuplesOnly ? ["-t", "-A"] : []) + ["-c", sql], log: output)
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    /// Runs a command with posix_spawn, its output appended to `log`, and waits for it.
    static func spawn(_ executable: String, _ arguments: [String], log: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ProcessError(reason: "posix_spawn \(executable) failed: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw ProcessError(reason: "\(executable) \(arguments.joined(separator: " ")) failed with status \(status):\n\(output.suffix(2000))")
        }
    }
}
