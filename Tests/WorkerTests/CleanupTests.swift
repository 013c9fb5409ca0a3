import Foundation
import Shared
import Testing

@testable import Worker

/// `dify_cleanup` against a real PostgreSQL with Dify's run tables, filled with old and new
/// runs of two apps.
@Suite struct CleanupTests {
    static let appA = "a1a1a1a1-0000-4000-8000-00000000000a"
    static let appB = "b2b2b2b2-0000-4000-8000-00000000000b"

    /// The runs one test database holds.
    struct Seed {
        var database: DifyTestDatabase
        /// Old runs of app A that can go, and of app B.
        var oldA: [String] = []
        var oldB: [String] = []
        /// Old runs that must stay: an offloaded file without its upload_files row, a pause.
        var unaccounted = ""
        var paused = ""
        var new: [String] = []
    }

    /// Old runs: 40 days ago; new runs: 2 days ago; the retention in the tests is 30 days.
    static func seed() async throws -> Seed {
        let database = try await DifyTestDatabase.make()
        var seed = Seed(database: database)
        seed.oldA.append(try await database.addRun(app: appA, daysAgo: 40))
        seed.oldA.append(try await database.addRun(app: appA, daysAgo: 39, .init(storedFiles: 2)))
        seed.oldA.append(try await database.addRun(app: appA, daysAgo: 38, .init(storedFiles: 1, message: true)))
        seed.oldA.append(try await database.addRun(app: appA, daysAgo: 37, .init(message: true)))
        seed.unaccounted = try await database.addRun(app: appA, daysAgo: 36, .init(storedFiles: 1, unaccountedFiles: 1))
        seed.paused = try await database.addRun(app: appA, daysAgo: 35, .init(paused: true))
        for days in [45.0, 44, 31] {
            seed.oldB.append(try await database.addRun(app: appB, daysAgo: days))
        }
        seed.new.append(try await database.addRun(app: appA, daysAgo: 2))
        seed.new.append(try await database.addRun(app: appA, daysAgo: 2, .init(message: true)))
        seed.new.append(try await database.addRun(app: appA, daysAgo: 1, .init(storedFiles: 1)))
        seed.new.append(try await database.addRun(app: appB, daysAgo: 29))
        return seed
    }

    /// Rows of the seven old runs that can go: 21 node executions, 3 offloaded outputs,
    /// 2 chatflow messages with one row in each message table.
    static let deletable: [String: Int64] = [
        "workflow_runs": 7, "workflow_node_executions": 21, "workflow_app_logs": 7, "workflow_node_execution_offload": 3,
        "messages": 2, "message_feedbacks": 2, "message_files": 2, "message_agent_thoughts": 2, "message_chains": 2,
    ]

    func cleanup(_ database: DifyTestDatabase, dryRun: Bool, batchSize: Int = 100, pause: Duration = .zero, apps: [String] = []) async throws -> CleanupReport {
        let schema = try await DifyCleanupSchema.check(database.connection)
        let settings = DifyCleanup.Settings(
            cutoff: Date().addingTimeInterval(-30 * 86_400), batchSize: batchSize, pause: pause, apps: apps, dryRun: dryRun)
        let cleanup = DifyCleanup(
            connection: database.connection, schema: schema, settings: settings, logger: Logger(label: "test"), shouldStop: { false })
        return try await cleanup.run(database: "main")
    }

    @Test func dryRunCountsWithoutDeleting() async throws {
        let seed = try await Self.seed()
        let before = try await seed.database.counts()

        let report = try await cleanup(seed.database, dryRun: true)

        for (table, count) in Self.deletable {
            #expect(report.rows[table] == count, "table \(table)")
        }
        #expect(report.skippedCount == 2)
        #expect(report.releasedFileCount == 5)
        #expect(report.batches == 1)
        #expect(try await seed.database.counts() == before)
        #expect(report.json["rows_counted"]?["workflow_runs"] == .int(7))
        #expect(report.json["rows_deleted"] == nil)
        #expect(report.summary.hasPrefix("would delete 7 workflow runs"))
    }

    @Test func deletesOnlyOldRowsAcrossTables() async throws {
        let seed = try await Self.seed()
        let before = try await seed.database.counts()

        let report = try await cleanup(seed.database, dryRun: false)

        for (table, count) in Self.deletable {
            #expect(report.rows[table] == count, "table \(table)")
        }
        let after = try await seed.database.counts()
        for (table, count) in Self.deletable {
            #expect(after[table] == before[table]! - count, "table \(table)")
        }
        // New runs and the two runs left in place keep every row; upload_files is never touched.
        #expect(try await seed.database.runIDs() == Set(seed.new + [seed.unaccounted, seed.paused]))
        #expect(after["workflow_node_executions"] == 18)
        #expect(after["messages"] == 1)
        #expect(after["upload_files"] == before["upload_files"])
        #expect(after["workflow_pauses"] == 1)
        for run in seed.new + [seed.unaccounted, seed.paused] {
            let nodes = try await seed.database.value("SELECT count(*)::text FROM workflow_node_executions WHERE workflow_run_id = $1::uuid", [run])
            #expect(nodes == "3", "run \(run)")
        }
        #expect(report.releasedFileCount == 5)
        #expect(report.releasedFileKeys.filter { $0.hasPrefix("offload/\(seed.oldA[1])/") }.count == 2)
        #expect(report.releasedFileKeys.filter { $0.hasPrefix("upload_files/") }.count == 2)

        // Another run finds nothing more to delete.
        let again = try await cleanup(seed.database, dryRun: false)
        #expect(again.rows["workflow_runs", default: 0] == 0)
        #expect(again.skippedCount == 2)
    }

    @Test func unaccountedFilesLeaveRunInPlace() async throws {
        let seed = try await Self.seed()

        let report = try await cleanup(seed.database, dryRun: false)

        #expect(report.skippedCount == 2)
        let reasons = Dictionary(uniqueKeysWithValues: report.skipped.map { ($0.runID, $0.reason) })
        #expect(reasons[seed.unaccounted]?.contains("1 offloaded node data files have no upload_files row") == true)
        #expect(reasons[seed.paused]?.contains("workflow_pauses") == true)
        // The run's accounted offload row stays too: the run is kept whole.
        let offloads = try await seed.database.value("""
            SELECT count(*)::text FROM workflow_node_execution_offload o JOIN workflow_node_executions e ON e.id = o.node_execution_id
            WHERE e.workflow_run_id = $1::uuid
            """, [seed.unaccounted])
        #expect(offloads == "2")
        #expect(report.json["skipped_runs"] == .int(2))
        #expect(report.summary.contains("left 2 runs in place"))
    }

    @Test func deletesInSeveralBatches() async throws {
        let seed = try await Self.seed()
        let started = ContinuousClock.now

        let report = try await cleanup(seed.database, dryRun: false, batchSize: 2, pause: .milliseconds(100))

        // Nine old runs, two at a time: four full batches and one of one, with a pause after
        // each full batch.
        #expect(report.batches == 5)
        #expect(ContinuousClock.now - started >= .milliseconds(400))
        for (table, count) in Self.deletable {
            #expect(report.rows[table] == count, "table \(table)")
        }
        #expect(try await seed.database.runIDs() == Set(seed.new + [seed.unaccounted, seed.paused]))
    }

    @Test func appFilterDeletesOnlyListedApps() async throws {
        let seed = try await Self.seed()

        let report = try await cleanup(seed.database, dryRun: false, apps: [Self.appB])

        #expect(report.rows["workflow_runs"] == 3)
        #expect(report.rows["workflow_node_executions"] == 9)
        #expect(report.skippedCount == 0)
        let left = try await seed.database.runIDs()
        #expect(left.isDisjoint(with: seed.oldB))
        #expect(Set(seed.oldA).isSubset(of: left))
    }

    @Test func missingTableOrColumnIsRejected() async throws {
        let cases: [(statement: String, named: String)] = [
            ("DROP TABLE workflow_app_logs", "table workflow_app_logs"),
            ("ALTER TABLE messages DROP COLUMN workflow_run_id", "column messages.workflow_run_id"),
            ("ALTER TABLE workflow_node_execution_offload DROP COLUMN file_id", "column workflow_node_execution_offload.file_id"),
        ]
        for (statement, named) in cases {
            let seed = try await Self.seed()
            try await seed.database.connection.execute(statement)
            let before = try await seed.database.runIDs()

            do {
                _ = try await cleanup(seed.database, dryRun: false)
                Issue.record("cleanup ran without \(named)")
            } catch let error as CleanupError {
                #expect(error.code == .schemaMismatch)
                #expect(error.reason.contains("lacks \(named)"), "\(error.reason)")
                #expect(error.reason.contains("nothing was deleted"))
            }
            #expect(try await seed.database.runIDs() == before)
        }
    }

    @Test func olderDifyWithoutOffloadTable() async throws {
        let seed = try await Self.seed()
        try await seed.database.connection.execute("DROP TABLE workflow_node_execution_offload")
        try await seed.database.connection.execute("DROP TABLE workflow_pauses")

        let report = try await cleanup(seed.database, dryRun: false)

        // Without the offload and pause tables, every old run goes.
        #expect(report.rows["workflow_runs"] == 9)
        #expect(report.rows["workflow_node_execution_offload"] == nil)
        #expect(try await seed.database.runIDs() == Set(seed.new))
    }

    // MARK: - The runner, as the worker calls it

    func trigger(database: String, cleanup: CleanupSettings) -> Trigger {
        var trigger = Trigger(id: "t-cleanup-\(UUID().uuidString.prefix(8))", app: database)
        trigger.jobID = "clean-dify"
        trigger.kind = .difyCleanup
        trigger.attempt = 1
        var policy = TriggerPolicy()
        policy.cleanup = cleanup
        trigger.policy = policy
        return trigger
    }

    @Test func runnerDefaultsToDryRun() async throws {
        let seed = try await Self.seed()
        let runner = DifyCleanupRunner(
            databases: ["main": DifyDatabaseSettings(urlEnv: "DIFY_DB_URL")], environment: ["DIFY_DB_URL": seed.database.url],
            logger: Logger(label: "test"))

        let counted = await runner.execute(trigger(database: "main", cleanup: CleanupSettings()), workerID: "w", control: RunControl(), timeout: .seconds(60))
        #expect(counted.status == .partialSucceeded)
        #expect(counted.kind == .difyCleanup)
        #expect(counted.outputs?["dry_run"] == .bool(true))
        #expect(counted.outputs?["rows_counted"]?["workflow_runs"] == .int(7))
        #expect(counted.error?.code == "runs_left_in_place")
        #expect(try await seed.database.runIDs().count == 13)

        let deleted = await runner.execute(
            trigger(database: "main", cleanup: CleanupSettings(retention: "30d", batchSize: 3, pause: "10ms", dryRun: false)),
            workerID: "w", control: RunControl(), timeout: .seconds(60))
        #expect(deleted.outputs?["rows_deleted"]?["workflow_node_executions"] == .int(21))
        #expect(deleted.outputs?["batches"] == .int(3))
        #expect(deleted.answer?.hasPrefix("deleted 7 workflow runs") == true)
        #expect(deleted.attempts?.count == 1)
        #expect(try await seed.database.runIDs().count == 6)
    }

    @Test func runnerReportsUnusableDatabase() async throws {
        let runner = DifyCleanupRunner(
            databases: ["main": DifyDatabaseSettings(urlEnv: "DIFY_DB_URL")], environment: [:], logger: Logger(label: "test"))

        let unknown = await runner.execute(trigger(database: "other", cleanup: CleanupSettings()), workerID: "w", control: RunControl(), timeout: .seconds(5))
        #expect(unknown.status == .failed)
        #expect(unknown.error?.code == "unknown_database")
        #expect(unknown.error?.message.contains("unknown Dify database \"other\": this worker has main") == true)

        let unset = await runner.execute(trigger(database: "main", cleanup: CleanupSettings()), workerID: "w", control: RunControl(), timeout: .seconds(5))
        #expect(unset.error?.code == "invalid_configuration")
        #expect(unset.error?.message.contains("environment variable DIFY_DB_URL is not set") == true)

        let invalid = await runner.execute(
            trigger(database: "main", cleanup: CleanupSettings(retention: "5m")), workerID: "w", control: RunControl(), timeout: .seconds(5))
        #expect(invalid.error?.message.contains("policy.cleanup.retention") == true)
    }

    @Test func stopEndsBetweenBatches() async throws {
        let seed = try await Self.seed()
        let runner = DifyCleanupRunner(
            databases: ["main": DifyDatabaseSettings(urlEnv: "DIFY_DB_URL")], environment: ["DIFY_DB_URL": seed.database.url],
            logger: Logger(label: "test"))
        let control = RunControl()
        Task {
            try await Task.sleep(for: .milliseconds(300))
            control.requestStop(.cancelled(actor: "ops"))
        }

        let result = await runner.execute(
            trigger(database: "main", cleanup: CleanupSettings(batchSize: 1, pause: "1s", dryRun: false)),
            workerID: "w", control: control, timeout: .seconds(60))

        #expect(result.status == .stopped)
        #expect(result.outputs?["interrupted"] == .bool(true))
        let batches = result.outputs?["batches"]?.intValue ?? 0
        #expect(batches >= 1 && batches < 9)
        #expect(result.error?.message.contains("stopped between batches") == true)
    }
}
