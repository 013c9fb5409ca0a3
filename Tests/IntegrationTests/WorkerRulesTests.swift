import Foundation
import Shared
import TestSupport
import Testing

/// The worker's rules against Tansu and the test double, one deployment per test: limits,
/// retries, timeouts, expiry, broken streams, adoption after a crash, duplicates, shutdown.
@Suite(.serialized) struct WorkerRulesTests {
    /// Starts a deployment with one worker whose demo app has `appSettings`.
    func withWorker(
        _ name: String, appSettings: String = "", workerSettings: String = "", workers: Int = 1,
        _ body: (SchedulerCluster, [ManagedProcess]) async throws -> Void
    ) async throws {
        let cluster = try await SchedulerCluster.start(name: name)
        defer { cluster.stop() }
        let config = try cluster.writeConfig(partitions: 1, appSettings: appSettings, workerSettings: workerSettings)
        try await cluster.createTopics(config: config)
        var processes: [ManagedProcess] = []
        for index in 0..<workers {
            processes.append(try cluster.startWorker(config: config, id: "\(name)-w\(index)"))
        }
        try await waitUntil("a worker holds the partition", timeout: .seconds(30)) { [processes] in
            processes.contains { $0.log.contains("partition assigned") }
        }
        try await body(cluster, processes)
        for process in processes where process.isRunning {
            await process.terminate()
        }
    }

    func startOffsets(_ results: [RunResult]) -> [Double] {
        let starts = results.compactMap(\.startedAt).map(\.timeIntervalSince1970).sorted()
        guard let first = starts.first else { return [] }
        return starts.map { $0 - first }
    }

    // MARK: - Limits

    @Test func tokenBucketRateAndBurst() async throws {
        try await withWorker("rules-bucket", appSettings: "limits: {requests_per_second: 2, burst: 3}") { cluster, _ in
            try await cluster.publish((0..<9).map { cluster.trigger("bucket-\($0)") })
            let results = try await cluster.waitForResults("9 results") { $0.count >= 9 }
            let offsets = startOffsets(results)
            // Three start at once (the burst), then one every 0.5 s.
            #expect(offsets[2] < 0.3)
            for index in 3..<9 {
                #expect(offsets[index] >= Double(index - 2) * 0.5 - 0.05, "start \(index) at \(offsets[index]) s")
            }
            #expect(offsets[8] < 3.0 + 1.0)
        }
    }

    @Test func concurrencyCapLimitsRunsInFlight() async throws {
        try await withWorker("rules-concurrency", appSettings: "limits: {max_concurrency: 2}") { cluster, _ in
            try await cluster.publish((0..<6).map { cluster.trigger("slow-\($0)", inputs: ["topic": "t", "mode": "plain", "sleep": 1]) })
            let results = try await cluster.waitForResults("6 results", timeout: .seconds(60)) { $0.count >= 6 }
            #expect(results.allSatisfy { $0.status == .succeeded })
            let intervals = results.compactMap { result -> (Double, Double)? in
                guard let start = result.startedAt, let end = result.finishedAt else { return nil }
                return (start.timeIntervalSince1970, end.timeIntervalSince1970)
            }
            for (start, _) in intervals {
                let overlapping = intervals.filter { $0.0 <= start + 0.001 && $0.1 > start + 0.01 }.count
                #expect(overlapping <= 2)
            }
        }
    }

    @Test func tokenBudgetDelaysRuns() async throws {
        try await withWorker("rules-tokens", appSettings: "limits: {tokens_per_minute: 600}") { cluster, _ in
            var policy = TriggerPolicy()
            policy.expectedTokens = 400
            try await cluster.publish((0..<2).map { cluster.trigger("tokens-\($0)", inputs: ["topic": "t", "mode": "plain", "_double_tokens": 400], policy: policy) })
            let results = try await cluster.waitForResults("2 results", timeout: .seconds(60)) { $0.count >= 2 }
            let offsets = startOffsets(results)
            // 600 tokens per minute refill at 10 per second: the second run needs 200 more, 20 s.
            #expect(offsets[1] >= 19)
            let events = try await cluster.events()
            #expect(events.contains { $0.type == .throttled && $0.detail?["reason"] == "tokens_per_minute" })
        }
    }

    // MARK: - Throttling and retries

    @Test func throttleBacksOffAndRetries() async throws {
        try await withWorker("rules-429", appSettings: "limits: {requests_per_second: 10, burst: 10}") { cluster, _ in
            try await cluster.double("POST", "/_double/config", body: ["status": 429, "count": 2, "retry_after": 2])
            var policy = TriggerPolicy()
            policy.retry = RetryPolicy(maxAttempts: 5, initialBackoff: "200ms", maxBackoff: "1s")
            try await cluster.publish([cluster.trigger("throttled-1", policy: policy)])
            let results = try await cluster.waitForResults("a result", timeout: .seconds(60)) { !$0.isEmpty }
            let result = try #require(results.first)
            #expect(result.status == .succeeded)
            #expect(result.attempts?.count == 3)
            let attempts = result.attempts ?? []
            // Retry-After: 2 is honoured between attempts.
            if attempts.count >= 2, let first = attempts[0].finishedAt, let second = attempts[1].startedAt {
                #expect(second.timeIntervalSince(first) >= 1.9)
            }
            let events = try await cluster.events()
            #expect(events.filter { $0.type == .retryScheduled }.count == 2)
        }
    }

    @Test func tooManyRequestsOf192IsRetried() async throws {
        try await withWorker("rules-400-throttle") { cluster, _ in
            try await cluster.double("POST", "/_double/config", body: ["max_concurrency": 1])
            var policy = TriggerPolicy()
            policy.retry = RetryPolicy(maxAttempts: 6, initialBackoff: "300ms", maxBackoff: "2s")
            try await cluster.publish((0..<3).map { cluster.trigger("cap-\($0)", inputs: ["topic": "t", "mode": "plain", "sleep": 1], policy: policy) })
            let results = try await cluster.waitForResults("3 results", timeout: .seconds(90)) { $0.count >= 3 }
            #expect(results.allSatisfy { $0.status == .succeeded }, "\(results.map { $0.error?.message ?? "ok" })")
            #expect(results.contains { ($0.attempts?.count ?? 0) > 1 })
        }
    }

    @Test func permanentFailureIsNotRetried() async throws {
        try await withWorker("rules-permanent") { cluster, _ in
            try await cluster.double("POST", "/_double/config", body: ["status": 401, "count": 1])
            try await cluster.publish([cluster.trigger("unauthorized-1")])
            let result = try #require(try await cluster.waitForResults("a result") { !$0.isEmpty }.first)
            #expect(result.status == .failed)
            #expect(result.attempts?.count == 1)
            #expect(result.error?.retryable == false)
        }
    }

    @Test func retryBudgetStopsARetryStorm() async throws {
        try await withWorker("rules-budget", appSettings: "limits: {retry_budget: 0.1}") { cluster, _ in
            try await cluster.double("POST", "/_double/config", body: ["status": 500, "count": 1000])
            var policy = TriggerPolicy()
            policy.retry = RetryPolicy(maxAttempts: 3, initialBackoff: "100ms", maxBackoff: "200ms")
            try await cluster.publish((0..<20).map { cluster.trigger("storm-\($0)", policy: policy) })
            let results = try await cluster.waitForResults("20 results", timeout: .seconds(90)) { $0.count >= 20 }
            let retried = results.filter { ($0.attempts?.count ?? 0) > 1 }.count
            #expect(retried < 20)
            #expect(results.contains { $0.error?.message.contains("retry budget") == true })
        }
    }

    // MARK: - Time limits

    @Test func timeoutStopsTheRunAtDify() async throws {
        try await withWorker("rules-timeout") { cluster, _ in
            var policy = TriggerPolicy()
            policy.timeout = "2s"
            try await cluster.publish([cluster.trigger("timeout-1", inputs: ["topic": "t", "mode": "plain", "sleep": 20], policy: policy)])
            let result = try #require(try await cluster.waitForResults("a result", timeout: .seconds(40)) { !$0.isEmpty }.first)
            #expect(result.status == .timedOut)
            #expect(result.error?.code == "timed_out")
            let requests = try await cluster.doubleRequests()
            let stop = requests.first { ($0["path"]?.stringValue ?? "").hasSuffix("/stop") }
            #expect(stop != nil)
            #expect(stop?["user"]?.stringValue == "user-job" || stop?["body"]?["user"]?.stringValue == "user-job")
        }
    }

    @Test func lateTriggerExpires() async throws {
        try await withWorker("rules-expiry") { cluster, _ in
            var policy = TriggerPolicy()
            policy.maxDelay = "5s"
            var trigger = cluster.trigger("late-1", policy: policy)
            trigger.scheduledAt = Date().addingTimeInterval(-60)
            try await cluster.publish([trigger])
            let result = try #require(try await cluster.waitForResults("a result") { !$0.isEmpty }.first)
            #expect(result.status == .expired)
            #expect(result.error?.message.contains("max_delay 5s") == true)
            // The worker reads the app's parameter form at start; no run may reach Dify.
            let calls = try await cluster.doubleRequests().filter { !($0["path"]?.stringValue ?? "").hasSuffix("/parameters") }
            #expect(calls.isEmpty)
        }
    }

    @Test func brokenStreamIsFollowedByPolling() async throws {
        try await withWorker("rules-cut") { cluster, _ in
            try await cluster.publish([cluster.trigger("cut-1", inputs: ["topic": "t", "mode": "plain", "sleep": 2, "_double_cut_after": 2])])
            let result = try #require(try await cluster.waitForResults("a result", timeout: .seconds(40)) { !$0.isEmpty }.first)
            #expect(result.status == .succeeded)
            #expect(result.attempts?.count == 1)
            let runs = try await cluster.doubleRequests().filter { ($0["path"]?.stringValue ?? "").hasSuffix("/workflows/run") }
            #expect(runs.count == 1)
        }
    }

    // MARK: - Crash safety and duplicates

    @Test func duplicateTriggerRunsOnce() async throws {
        try await withWorker("rules-duplicate") { cluster, _ in
            let trigger = cluster.trigger("dup-1")
            try await cluster.publish([trigger])
            _ = try await cluster.waitForResults("a result") { !$0.isEmpty }
            try await cluster.publish([trigger])
            try await Task.sleep(for: .seconds(3))
            #expect(try await cluster.results().count == 1)
            #expect(try await cluster.events().contains { $0.type == .duplicate && $0.triggerID == "dup-1" })
        }
    }

    @Test func adoptsRunAfterWorkerIsKilled() async throws {
        try await withWorker("rules-adopt", workers: 2) { cluster, workers in
            try await cluster.publish([cluster.trigger("adopt-1", inputs: ["topic": "t", "mode": "plain", "sleep": 8])])
            // Wait for the run to start in Dify, then kill whichever worker holds it.
            try await waitUntilAsync("run_started", timeout: .seconds(30)) {
                try await cluster.events().contains { $0.type == .runStarted }
            }
            let started = try #require(try await cluster.events().first { $0.type == .runStarted })
            let holderID = try #require(started.detail?["worker_id"]?.stringValue)
            let victim = try #require(workers.first { $0.name.hasSuffix(holderID) })
            victim.kill9()

            let result = try #require(try await cluster.waitForResults("a result", timeout: .seconds(60)) { !$0.isEmpty }.first)
            #expect(result.status == .succeeded)
            #expect(result.workflowRunID == started.detail?["workflow_run_id"]?.stringValue)
            #expect(try await cluster.events().contains { $0.type == .runAdopted })
            let runs = try await cluster.doubleRequests().filter { ($0["path"]?.stringValue ?? "").hasSuffix("/workflows/run") }
            #expect(runs.count == 1)
        }
    }

    @Test func sigtermLetsRunsFinish() async throws {
        try await withWorker("rules-sigterm") { cluster, workers in
            try await cluster.publish((0..<3).map { cluster.trigger("drain-\($0)", inputs: ["topic": "t", "mode": "plain", "sleep": 2]) })
            try await waitUntilAsync("runs started", timeout: .seconds(20)) {
                try await cluster.events().filter { $0.type == .runStarted }.count >= 3
            }
            #expect(await workers[0].terminate(timeout: .seconds(30)) == 0)
            let results = try await cluster.results()
            #expect(results.count == 3)
            #expect(results.allSatisfy { $0.status == .succeeded })
        }
    }
}
