import Foundation
import Shared
import Synchronization
import Testing

/// The records store on SQLite and on a PostgreSQL server the test run starts.
@Suite struct StoreTests {
    static let base = Date(timeIntervalSince1970: 1_790_000_000)

    static func result(
        _ triggerID: String, job: String = "daily-report", app: String = "report-bot", status: RunStatus = .succeeded,
        minute: Int = 0, runTime: Int64 = 1000, source: TriggerSource = .schedule
    ) -> RunResult {
        var result = RunResult(triggerID: triggerID, app: app, status: status)
        result.jobID = job
        result.kind = .workflow
        result.source = source
        result.workflowRunID = "wr-\(triggerID)"
        result.scheduledAt = base.addingTimeInterval(Double(minute * 60))
        result.startedAt = result.scheduledAt!.addingTimeInterval(0.2)
        result.finishedAt = result.startedAt!.addingTimeInterval(Double(runTime) / 1000)
        result.queueDelayMilliseconds = 200
        result.runTimeMilliseconds = runTime
        result.totalTokens = 100
        result.totalPrice = 0.5
        result.currency = "USD"
        result.inputs = ["topic": "alpha"]
        result.outputs = ["text": "done"]
        result.attempts = [AttemptRecord(number: 1, startedAt: result.startedAt, finishedAt: result.finishedAt)]
        if status == .failed {
            result.error = RunError(code: "node_failed", message: "HTTP 500 from the tool", retryable: false, nodeID: "http_main")
        }
        result.nodes = [
            NodeTrace(executionID: "n-start-\(triggerID)", nodeID: "start", nodeType: "start", title: "Start", status: "succeeded", elapsedMilliseconds: 1),
            NodeTrace(executionID: "iter", nodeID: "iter", nodeType: "iteration", title: "Each item", status: "succeeded", elapsedMilliseconds: 50),
            NodeTrace(executionID: "n-a0", nodeID: "llm", nodeType: "llm", title: "Summarise", status: "succeeded", inputs: ["item": "a"], parentNodeID: "iter", parentKind: "iteration", parentIndex: 0),
            NodeTrace(executionID: "n-a1", nodeID: "llm", nodeType: "llm", title: "Summarise", status: "succeeded", inputs: ["item": "b"], parentNodeID: "iter", parentKind: "iteration", parentIndex: 1),
            NodeTrace(executionID: "n-end-\(triggerID)", nodeID: "end", nodeType: "end", title: "End", status: "succeeded"),
        ]
        return result
    }

    // MARK: - Migrations

    @Test(arguments: StoreBackend.allCases)
    func migrationsRunOnceAndKeepStoreID(backend: StoreBackend) async throws {
        let location = try backend.makeLocation()
        let first = try await RecordStore.open(location)
        let second = try await RecordStore.open(location)
        #expect(first.storeID == second.storeID)
        #expect(first.storeID.count == 36)
    }

    /// Producers that start together on one store: each migration runs once, none fails.
    @Test(arguments: StoreBackend.allCases)
    func storesOpenedTogetherMigrateOnce(backend: StoreBackend) async throws {
        let location = try backend.makeLocation()
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<4 {
                group.addTask { try await RecordStore.open(location).storeID }
            }
            var ids: [String] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        #expect(Set(ids).count == 1)
    }

    @Test(arguments: StoreBackend.allCases)
    func newerSchemaIsRejected(backend: StoreBackend) async throws {
        let location = try backend.makeLocation()
        _ = try await RecordStore.open(location)
        try await StoreProbe.execute(location, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 0)")

        let error = await #expect(throws: StoreError.self) { _ = try await RecordStore.open(location) }
        #expect(error?.code == .newerSchema)
        #expect(error?.reason.contains("999") == true)
    }

    @Test func locationParsing() throws {
        #expect(try StoreLocation(parsing: "sqlite:./data/records.db") == .sqlite(path: "./data/records.db"))
        #expect(try StoreLocation(parsing: "postgresql://u@h/db") == .postgres(url: "postgresql://u@h/db"))
        #expect(StoreLocation.postgres(url: "postgres://u:secret@h/db").description == "postgres://u:***@h/db")
        let error = #expect(throws: StoreError.self) { try StoreLocation(parsing: "mysql://h/db") }
        #expect(error?.reason.contains("mysql://h/db") == true)
        #expect(error?.reason.contains("sqlite:PATH") == true)
    }

    // MARK: - Ingest

    @Test(arguments: StoreBackend.allCases)
    func reingestDoesNotDoubleRows(backend: StoreBackend) async throws {
        let store = try await backend.openStore()
        let event = ScheduleEvent(type: .emitted, jobID: "daily-report", triggerID: "t1", app: "report-bot", time: Self.base, id: "e-1")
        let alert = Alert(kind: .failure, severity: .critical, jobID: "daily-report", app: "report-bot", triggerID: "t2", status: .failed, message: "failed", time: Self.base)
        let batch = RecordBatch(results: [Self.result("t1"), Self.result("t2", status: .failed)], events: [event], alerts: [alert])

        let written = try await store.write(batch)
        try await store.write(batch)
        #expect(written.runs == 2)
        #expect(written.nodeTraces == 10)
        #expect(try await store.counts() == ["runs": 2, "node_traces": 10, "events": 1, "alerts": 1])

        // A later message for the same trigger replaces the run and its whole trace.
        var replaced = Self.result("t1", status: .failed)
        replaced.nodes = Array(replaced.nodes!.prefix(2))
        try await store.write(RecordBatch(results: [replaced, replaced]))
        #expect(try await store.counts() == ["runs": 2, "node_traces": 7, "events": 1, "alerts": 1])
        #expect(try await store.run(triggerID: "t1")?.status == "failed")
    }

    @Test(arguments: StoreBackend.allCases)
    func runDetailKeepsFieldsAndRounds(backend: StoreBackend) async throws {
        let store = try await backend.openStore()
        try await store.write(RecordBatch(results: [Self.result("t1", status: .failed)]))

        let run = try #require(try await store.run(triggerID: "t1"))
        #expect(run.jobID == "daily-report")
        #expect(run.workflowRunID == "wr-t1")
        #expect(run.errorCode == "node_failed")
        #expect(run.errorNodeID == "http_main")
        #expect(run.errorRetryable == false)
        #expect(run.inputs == ["topic": "alpha"])
        #expect(run.outputs == ["text": "done"])
        #expect(run.attempts?.arrayValue?.count == 1)
        #expect(run.scheduledAt == Self.base)
        #expect(run.totalPrice == 0.5)
        #expect(run.nodes?.map(\.nodeID) == ["start", "iter", "end"])
        #expect(run.nodes?[1].rounds == 2)
        #expect(run.nodes?[0].rounds == nil)

        #expect(run.query == nil)

        var chat = Self.result("t2")
        chat.kind = .chatflow
        chat.query = "总结 2026-12-03 的工单"
        chat.answer = "共 12 条"
        try await store.write(RecordBatch(results: [chat]))
        let chatRun = try #require(try await store.run(triggerID: "t2"))
        #expect(chatRun.query == "总结 2026-12-03 的工单")
        #expect(chatRun.answer == "共 12 条")

        let round = try await store.nodes(triggerID: "t1", parentNodeID: "iter", parentIndex: 1)
        #expect(round.map(\.executionID) == ["n-a1"])
        #expect(round.first?.inputs == ["item": "b"])
        #expect(try await store.run(triggerID: "missing") == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func outputsAreCappedAndMarked(backend: StoreBackend) async throws {
        var limits = RecordLimits()
        limits.runIOBytes = 1000
        limits.nodeIOBytes = 500
        let store = try await backend.openStore(limits: limits)
        var result = Self.result("t-big")
        result.outputs = ["text": .string(String(repeating: "x", count: 5000))]
        result.nodes![0].outputs = ["text": .string(String(repeating: "y", count: 5000))]
        try await store.write(RecordBatch(results: [result, Self.result("t-small")]))

        let big = try #require(try await store.run(triggerID: "t-big"))
        #expect(big.ioTruncated == true)
        #expect(big.outputs?["truncated"] == .bool(true))
        #expect(big.outputs?["size"]?.intValue == 5011)
        #expect(big.nodes?[0].truncated == true)
        #expect(big.nodes?[0].outputs?["truncated"] == .bool(true))
        #expect(try await store.run(triggerID: "t-small")?.ioTruncated == false)
    }

    @Test(arguments: StoreBackend.allCases)
    func untrustedTextIsStoredVerbatim(backend: StoreBackend) async throws {
        let store = try await backend.openStore()
        var result = Self.result("t-'quote'?")
        result.outputs = ["html": "<script>alert('x')</script> ? $1 \u{0}"]
        try await store.write(RecordBatch(results: [result]))
        let run = try #require(try await store.run(triggerID: "t-'quote'?"))
        let text = try #require(run.outputs?["html"]?.stringValue)
        #expect(text.hasPrefix("<script>alert('x')</script> ? $1 "))
    }

    // MARK: - Queries

    @Test(arguments: StoreBackend.allCases)
    func filtersSelectRuns(backend: StoreBackend) async throws {
        let store = try await backend.openStore()
        try await store.write(RecordBatch(results: [
            Self.result("a1", job: "daily-report", app: "report-bot", minute: 0),
            Self.result("a2", job: "daily-report", app: "report-bot", status: .failed, minute: 10),
            Self.result("b1", job: "hourly_sync", app: "sync-bot", status: .timedOut, minute: 20, source: .manual),
            Self.result("b2", job: "weekly%digest", app: "sync-bot", minute: 30),
        ]))

        func ids(_ change: (inout RunQuery) -> Void) async throws -> [String] {
            var query = RunQuery()
            change(&query)
            return try await store.runs(query).items.map(\.triggerID)
        }
        #expect(try await ids { _ in } == ["b2", "b1", "a2", "a1"])
        #expect(try await ids { $0.apps = ["sync-bot"] } == ["b2", "b1"])
        #expect(try await ids { $0.jobIDs = ["daily-report"] } == ["a2", "a1"])
        #expect(try await ids { $0.statuses = ["failed", "timed_out"] } == ["b1", "a2"])
        #expect(try await ids { $0.sources = ["manual"] } == ["b1"])
        #expect(try await ids { $0.from = Self.base.addingTimeInterval(600); $0.to = Self.base.addingTimeInterval(1800) } == ["b1", "a2"])
        #expect(try await ids { $0.triggerID = "a1" } == ["a1"])
        #expect(try await ids { $0.workflowRunID = "wr-b1" } == ["b1"])
        #expect(try await ids { $0.jobSearch = "REPORT" } == ["a2", "a1"])
        #expect(try await ids { $0.jobSearch = "%" } == ["b2"])
        #expect(try await ids { $0.jobSearch = "_" } == ["b1"])
        #expect(try await ids { $0.apps = ["sync-bot"]; $0.statuses = ["succeeded"] } == ["b2"])
        #expect(try await ids { $0.ascending = true } == ["a1", "a2", "b1", "b2"])
    }

    @Test(arguments: StoreBackend.allCases)
    func paginationVisitsEveryRunOnce(backend: StoreBackend) async throws {
        let store = try await backend.openStore()
        // Groups of three runs share an instant, so the cursor must break ties by trigger id.
        let results = (0..<100).map { Self.result(String(format: "t%03d", $0), minute: $0 / 3) }
        try await store.write(RecordBatch(results: results))

        for ascending in [false, true] {
            var query = RunQuery()
            query.limit = 7
            query.ascending = ascending
            var seen: [String] = []
            var pages = 0
            repeat {
                let page = try await store.runs(query)
                seen += page.items.map(\.triggerID)
                pages += 1
                query.cursor = page.nextCursor.flatMap(RecordCursor.init(token:))
                #expect((page.nextCursor == nil) == (query.cursor == nil))
            } while query.cursor != nil && pages < 50
            #expect(pages == 15)
            #expect(seen.count == 100)
            #expect(Set(seen).count == 100)
            let expected = results.map(\.triggerID).sorted()
            #expect(seen == (ascending ? expected : expected.reversed()))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func eventsFilterAndPage(backend: StoreBackend) async throws {
        let store = try await backend.openStore()
        var events: [ScheduleEvent] = []
        for index in 0..<30 {
            let type: EventType = index % 3 == 0 ? .misfired : .emitted
            let job = index % 2 == 0 ? "even" : "odd"
            let time = Self.base.addingTimeInterval(Double(index))
            let detail: [String: JSONValue] = ["n": .int(Int64(index))]
            events.append(ScheduleEvent(type: type, jobID: job, triggerID: "t\(index)", app: "report-bot", detail: detail, time: time, id: "e\(index)"))
        }
        try await store.write(RecordBatch(events: events))

        var query = EventQuery()
        query.jobIDs = ["even"]
        query.types = ["misfired"]
        #expect(try await store.events(query).items.map(\.id) == ["e24", "e18", "e12", "e6", "e0"])
        query = EventQuery()
        query.triggerID = "t7"
        let one = try await store.events(query).items
        #expect(one.map(\.id) == ["e7"])
        #expect(one.first?.detail == ["n": 7])
        query = EventQuery()
        query.limit = 20
        let first = try await store.events(query)
        #expect(first.items.count == 20)
        query.cursor = first.nextCursor.flatMap(RecordCursor.init(token:))
        let second = try await store.events(query)
        #expect(second.items.count == 10)
        #expect(second.nextCursor == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func seriesCountsStatusesAndPercentiles(backend: StoreBackend) async throws {
        let store = try await backend.openStore()
        var results: [RunResult] = []
        // Hour 0: ten runs of 100…1000 ms, two failed. Hour 1: one timed out.
        for index in 0..<10 {
            results.append(Self.result("h0-\(index)", status: index < 2 ? .failed : .succeeded, minute: index, runTime: Int64((index + 1) * 100)))
        }
        results.append(Self.result("h1-0", app: "other", status: .timedOut, minute: 70, runTime: 5000))
        let events = (0..<12).map { ScheduleEvent(type: .emitted, jobID: "daily-report", app: "report-bot", time: Self.base.addingTimeInterval(Double($0 * 60)), id: "e\($0)") }
        try await store.write(RecordBatch(results: results, events: events))

        var query = SeriesQuery(from: Self.base, to: Self.base.addingTimeInterval(3 * 3600), bucketSeconds: 3600)
        let report = try await store.series(query)
        #expect(report.buckets.count == 4)
        let first = report.buckets[0]
        #expect(first.start == Self.base.addingTimeInterval(-Self.base.timeIntervalSince1970.truncatingRemainder(dividingBy: 3600)))
        #expect(first.total == 10)
        #expect(first.byStatus == ["failed": 2, "succeeded": 8])
        #expect(first.emitted == 12)
        #expect(first.p50Milliseconds == 500)
        #expect(first.p95Milliseconds == 900)
        #expect(first.totalTokens == 1000)
        #expect(report.buckets[1].byStatus == ["timed_out": 1])
        #expect(report.buckets[1].p50Milliseconds == 5000)
        #expect(report.buckets[1].p95Milliseconds == 5000)
        #expect(report.totals.total == 11)
        #expect(report.totals.p95Milliseconds == 1000)
        #expect(report.currencies == ["USD"])

        query.apps = ["other"]
        #expect(try await store.series(query).totals.total == 1)

        query = SeriesQuery(from: Self.base, to: Self.base.addingTimeInterval(86_400 * 365), bucketSeconds: 60)
        let error = await #expect(throws: StoreError.self) { _ = try await store.series(query) }
        #expect(error?.code == .invalidQuery)

        let slowest = try await store.slowestJobs(from: Self.base, to: Self.base.addingTimeInterval(86_400))
        #expect(slowest.map(\.app) == ["other", "report-bot"])
        #expect(slowest.first?.maxMilliseconds == 5000)
        #expect(slowest.last?.runs == 10)
        #expect(slowest.last?.averageMilliseconds == 550)
    }

    // MARK: - Retention

    @Test(arguments: StoreBackend.allCases)
    func retentionDeletesOldRowsInBatches(backend: StoreBackend) async throws {
        let store = try await backend.openStore()
        let now = Self.base.addingTimeInterval(40 * 86_400)
        // 25 runs 40 days old, 5 runs 10 days old, 3 fresh.
        var results = (0..<25).map { Self.result("old\($0)", minute: $0) }
        results += (0..<5).map { Self.result("mid\($0)", minute: 30 * 1440 + $0) }
        results += (0..<3).map { Self.result("new\($0)", minute: 40 * 1440 - 10 + $0) }
        let events = [
            ScheduleEvent(type: .emitted, jobID: "j", time: Self.base, id: "old-event"),
            ScheduleEvent(type: .emitted, jobID: "j", time: now, id: "new-event"),
        ]
        let alerts = [Alert(kind: .failure, severity: .warning, jobID: "j", app: "a", triggerID: "old0", status: .failed, message: "m", time: Self.base)]
        try await store.write(RecordBatch(results: results, events: events, alerts: alerts))

        let batches = BatchLog()
        let policy = RetentionPolicy(runs: .seconds(30 * 86_400), nodeTraces: .seconds(7 * 86_400), events: .seconds(30 * 86_400))
        let deleted = try await store.applyRetention(policy, now: now, batchSize: 7, pause: .milliseconds(1)) { table, count in
            batches.add(table, count)
        }

        #expect(deleted.runs == 25)
        #expect(deleted.nodeTraces == 150)
        #expect(deleted.events == 1)
        #expect(deleted.alerts == 1)
        #expect(try await store.counts() == ["runs": 8, "node_traces": 15, "events": 1, "alerts": 0])
        #expect(batches.entries.allSatisfy { $0.count <= 7 })
        #expect(batches.entries.filter { $0.table == "runs" }.map(\.count) == [7, 7, 7, 4])

        // Re-reading the old messages does not bring them back.
        let again = try await store.write(RecordBatch(results: results), skipBefore: policy.oldestKept(now: now))
        #expect(again.expired == 25)
        #expect(try await store.counts()["runs"] == 8)
    }
}

/// Records the batches a retention pass reports.
final class BatchLog: Sendable {
    private let log = Mutex<[(table: String, count: Int)]>([])

    func add(_ table: String, _ count: Int) {
        log.withLock { $0.append((table, count)) }
    }

    var entries: [(table: String, count: Int)] { log.withLock { $0 } }
}
