import Foundation
import Shared

/// `dify-producer bench-records --store LOCATION`: measures the records store, for
/// `scripts/bench/records.sh`.
///
/// Decodes and writes `--runs N` results (default 50,000) with `--nodes K` node traces each
/// (default 5) in batches of 2,000, as the ingest service does, and prints results per second.
/// Then fills the store to `--fill N` runs (default 1,000,000) and prints the median time of
/// the run-list queries the console makes. Not a user command: build with `-c release`.
enum BenchRecordsCommand {
    static func run(arguments: [String]) async -> Int32 {
        do {
            let options = try CommandArguments(arguments, options: ["store", "runs", "nodes", "fill"])
            guard let storeText = options.value("store") else {
                throw CommandArguments.UsageError(message: "missing --store sqlite:PATH or --store postgres://...")
            }
            let runCount = Int(options.value("runs") ?? "") ?? 50_000
            let nodeCount = Int(options.value("nodes") ?? "") ?? 5
            let fill = Int(options.value("fill") ?? "") ?? 1_000_000
            let store = try await RecordStore.open(try StoreLocation(parsing: storeText))
            report("store: \(store.location)")

            try await measureIngest(store: store, runs: runCount, nodes: nodeCount)
            try await fillStore(store: store, to: fill)
            try await measureQueries(store: store)
            return 0
        } catch let error as CommandArguments.UsageError {
            printError("dify-producer bench-records: \(error.message)")
            return 2
        } catch {
            printError("dify-producer bench-records: \(error)")
            return 1
        }
    }

    static let origin = Date(timeIntervalSince1970: 1_790_000_000)
    static let apps = ["report-bot", "sync-bot", "digest-bot", "ops-bot"]
    static let statuses: [RunStatus] = [.succeeded, .succeeded, .succeeded, .succeeded, .succeeded, .succeeded, .failed, .timedOut, .partialSucceeded, .succeeded]

    static func result(_ index: Int, nodes: Int) -> RunResult {
        var result = RunResult(triggerID: "t-\(index)", app: apps[index % apps.count], status: statuses[index % statuses.count])
        result.jobID = "job-\(index % 500)"
        result.kind = .workflow
        result.source = .schedule
        result.workflowRunID = "wr-\(index)"
        // One run every 2.6 s: a million runs cover 30 days.
        result.scheduledAt = origin.addingTimeInterval(Double(index) * 2.6)
        result.startedAt = result.scheduledAt!.addingTimeInterval(0.05)
        result.finishedAt = result.startedAt!.addingTimeInterval(Double(index % 97) / 10)
        result.queueDelayMilliseconds = 50
        result.runTimeMilliseconds = Int64(index % 97) * 100
        result.totalTokens = Int64(index % 1000)
        result.totalPrice = Double(index % 1000) / 100_000
        result.currency = "USD"
        result.inputs = ["topic": .string("item \(index)"), "day": "2026-12-04"]
        result.outputs = ["text": .string(String(repeating: "summary ", count: 40))]
        result.attempts = [AttemptRecord(number: 1, startedAt: result.startedAt, finishedAt: result.finishedAt, workerID: "worker-1")]
        result.nodes = (0..<nodes).map { node in
            NodeTrace(
                executionID: "n-\(index)-\(node)", nodeID: "node-\(node)", nodeType: node == 0 ? "start" : "llm", title: "Node \(node)",
                status: "succeeded", elapsedMilliseconds: 10, totalTokens: 10, inputs: ["q": "question"], outputs: ["a": "answer"])
        }
        return result
    }

    private static func measureIngest(store: RecordStore, runs: Int, nodes: Int) async throws {
        // Messages as they come from Kafka: JSON bytes, decoded inside the timed loop.
        let messages = (0..<runs).map { MessageCodec.encode(result(10_000_000 + $0, nodes: nodes)) }
        let clock = ContinuousClock()
        let started = clock.now
        var decoding = Duration.zero
        var batch = RecordBatch()
        for message in messages {
            let decodeStart = clock.now
            batch.results.append(try MessageCodec.decode(RunResult.self, from: message))
            decoding += clock.now - decodeStart
            if batch.results.count == 2000 {
                try await store.write(batch)
                batch = RecordBatch()
            }
        }
        if !batch.isEmpty { try await store.write(batch) }
        let elapsed = clock.now - started
        report("ingest: \(runs) results with \(nodes) node traces each in \(elapsed.milliseconds) ms: \(Int(Double(runs) / elapsed.seconds)) results/s")
        report("  of which decoding JSON: \(decoding.milliseconds) ms, writing: \((elapsed - decoding).milliseconds) ms (\(Int(Double(runs) / (elapsed - decoding).seconds)) results/s)")
    }

    private static func fillStore(store: RecordStore, to target: Int) async throws {
        let existing = try await store.counts()["runs"] ?? 0
        guard existing < target else {
            report("fill: the store already holds \(existing) runs")
            return
        }
        let clock = ContinuousClock()
        let started = clock.now
        var index = existing
        while index < target {
            let end = min(index + 5000, target)
            try await store.write(RecordBatch(results: (index..<end).map { result($0, nodes: 0) }))
            index = end
        }
        report("fill: \(target - existing) runs without node traces in \((clock.now - started).milliseconds) ms")
    }

    private static func measureQueries(store: RecordStore) async throws {
        let total = try await store.counts()["runs"] ?? 0
        report("queries on \(total) stored runs (median of 21 runs, ms):")
        var pageTen = RunQuery()
        for _ in 0..<9 {
            pageTen.cursor = try await store.runs(pageTen).nextCursor.flatMap(RecordCursor.init(token:))
        }
        let end = origin.addingTimeInterval(Double(total) * 2.6)
        let cases: [(String, RunQuery)] = [
            ("first page, no filter", RunQuery()),
            ("tenth page by cursor", pageTen),
            ("app filter", with { $0.apps = ["sync-bot"] }),
            ("status failed", with { $0.statuses = ["failed"] }),
            ("job filter", with { $0.jobIDs = ["job-42"] }),
            ("job name search (LIKE)", with { $0.jobSearch = "ob-42" }),
            ("last 24 hours", with { $0.from = end.addingTimeInterval(-86_400) }),
            ("app and status over 7 days", with { $0.apps = ["ops-bot"]; $0.statuses = ["timed_out"]; $0.from = end.addingTimeInterval(-7 * 86_400) }),
            ("Dify run id", with { $0.workflowRunID = "wr-123456" }),
        ]
        for (name, query) in cases {
            let median = try await time { _ = try await store.runs(query) }
            report("  runs list, \(name): \(format(median))")
        }
        let day = SeriesQuery(from: end.addingTimeInterval(-86_400), to: end, bucketSeconds: 3600)
        report("  series, 24 hours in 1 h buckets: \(format(try await time { _ = try await store.series(day) }))")
        let month = SeriesQuery(from: end.addingTimeInterval(-30 * 86_400), to: end, bucketSeconds: 86_400)
        report("  series, 30 days in 1 d buckets: \(format(try await time(rounds: 5) { _ = try await store.series(month) }))")
        report("  slowest jobs, 24 hours: \(format(try await time { _ = try await store.slowestJobs(from: end.addingTimeInterval(-86_400), to: end) }))")
    }

    /// Prints a line and flushes it, so that lines appear as they are measured even into a pipe.
    private static func report(_ line: String) {
        print(line)
        fflush(nil)
    }

    private static func with(_ change: (inout RunQuery) -> Void) -> RunQuery {
        var query = RunQuery()
        change(&query)
        return query
    }

    private static func time(rounds: Int = 21, _ body: () async throws -> Void) async throws -> Duration {
        let clock = ContinuousClock()
        var samples: [Duration] = []
        for _ in 0..<rounds {
            let started = clock.now
            try await body()
            samples.append(clock.now - started)
        }
        return samples.sorted()[samples.count / 2]
    }

    private static func format(_ duration: Duration) -> String {
        String(format: "%.2f ms", duration.seconds * 1000)
    }
}
