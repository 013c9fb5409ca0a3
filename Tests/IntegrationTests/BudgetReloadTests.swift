import Foundation
import Shared
import TestSupport
import Testing

/// Daily budgets and the worker's SIGHUP reload, with real processes: Tansu, the test double
/// and `dify-worker`.
@Suite(.serialized) struct BudgetReloadTests {
    func alerts(_ cluster: SchedulerCluster) async throws -> [Alert] {
        try await cluster.readAll(cluster.topics.alerts).compactMap { message in
            message.value.flatMap { try? MessageCodec.decode(Alert.self, from: Data($0)) }
        }
    }

    func trigger(_ cluster: SchedulerCluster, _ id: String, app: String, tokens: Int = 0) -> Trigger {
        var trigger = cluster.trigger(id, job: "job-\(app)", inputs: ["topic": "t", "mode": "plain", "_double_tokens": .int(Int64(tokens))])
        trigger.app = app
        return trigger
    }

    /// Returns the trigger ids the double received run requests for, from the request bodies' inputs.
    func requestedRuns(_ cluster: SchedulerCluster) async throws -> [JSONValue] {
        try await cluster.doubleRequests().filter { $0["path"]?.stringValue?.hasSuffix("/workflows/run") == true }
    }

    @Test func exhaustedBudgetHoldsAppRuns() async throws {
        let cluster = try await SchedulerCluster.start(name: "budget-hold", doubleApps: ["other": "workflow"])
        defer { cluster.stop() }
        let config = try cluster.writeConfig(
            partitions: 1,
            appSettings: "budget: {daily_tokens: 1000, warn_at: 50%, when_exhausted: wait, zone: Asia/Shanghai}",
            workerSettings: "listen: 127.0.0.1:0",
            extraApps: """
                  other:
                    base_url: \(cluster.doubleBaseURL)
                    api_key_env: \(SchedulerCluster.keyVariable(of: "other"))
                    mode: workflow
                """)
        try await cluster.createTopics(config: config)
        var worker = try cluster.startWorker(config: config, id: "budget-w0")
        try await waitUntil("the worker holds the partition", timeout: .seconds(30)) { [worker] in worker.log.contains("partition assigned") }

        // 600 tokens pass the 50% warning; 1200 reach the limit of 1000.
        try await cluster.publish([trigger(cluster, "spend-1", app: "demo", tokens: 600)])
        _ = try await cluster.waitForResults("first run") { $0.count >= 1 }
        try await cluster.publish([trigger(cluster, "spend-2", app: "demo", tokens: 600)])
        _ = try await cluster.waitForResults("second run") { $0.count >= 2 }
        var raised: [Alert] = []
        let alertDeadline = ContinuousClock.now + .seconds(20)
        while !raised.contains(where: { $0.kind == .budgetExhausted }), ContinuousClock.now < alertDeadline {
            try await Task.sleep(for: .milliseconds(500))
            raised = try await alerts(cluster)
        }
        #expect(raised.filter { $0.kind == .budgetNear }.count == 1)
        let exhausted = raised.filter { $0.kind == .budgetExhausted }
        #expect(exhausted.count == 1)
        #expect(exhausted.first?.app == "demo")
        #expect(exhausted.first?.jobID == nil)
        #expect(exhausted.first?.detail?["tokens_used"] == .int(1200))

        // The app's next runs wait; another app's run goes ahead.
        let requestsBefore = try await requestedRuns(cluster).count
        try await cluster.publish([trigger(cluster, "held-1", app: "demo"), trigger(cluster, "held-2", app: "demo"), trigger(cluster, "free-1", app: "other")])
        let results = try await cluster.waitForResults("the other app's run") { $0.contains { $0.triggerID == "free-1" } }
        #expect(results.first { $0.triggerID == "free-1" }?.status == .succeeded)
        let deadline = ContinuousClock.now + .seconds(20)
        var heldEvents: Set<String> = []
        while heldEvents != ["held-1", "held-2"], ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            let events = try await cluster.events().filter { $0.type == .throttled && $0.detail?["reason"] == "daily_budget" }
            heldEvents = Set(events.compactMap(\.triggerID))
        }
        #expect(heldEvents == ["held-1", "held-2"], "events say why the held runs wait")
        try await Task.sleep(for: .seconds(2))
        #expect(try await cluster.results().allSatisfy { !$0.triggerID.hasPrefix("held-") })
        #expect(try await requestedRuns(cluster).count == requestsBefore + 1)

        let metrics = try await ControlClient(port: try await worker.controlPort()).send("GET", "/metrics").body.stringValue ?? ""
        #expect(metrics.contains("dify_worker_budget_tokens_used{app=\"demo\"} 1200"))
        #expect(metrics.contains("dify_worker_budget_used_ratio{app=\"demo\",limit=\"tokens\"} 1.2"))
        #expect(metrics.contains("dify_worker_budget_holding{app=\"demo\"} 1"))
        #expect(metrics.contains("dify_worker_throttled_total{app=\"demo\",reason=\"daily_budget\"} 2"))

        // A new worker rebuilds the day's usage from the runs topic and keeps holding them.
        worker.kill9()
        worker = try cluster.startWorker(config: config, id: "budget-w1")
        try await waitUntil("the new worker rebuilt the usage", timeout: .seconds(60)) { [worker] in
            worker.log.contains("budget usage rebuilt") && worker.log.contains("1200 of 1000 tokens")
        }
        try await Task.sleep(for: .seconds(3))
        #expect(try await cluster.results().allSatisfy { !$0.triggerID.hasPrefix("held-") })
        #expect(try await requestedRuns(cluster).count == requestsBefore + 1)
        // The alert raised again on takeover has the first one's id, so the notifier drops it.
        let exhaustedIDs = Set(try await alerts(cluster).filter { $0.kind == .budgetExhausted }.map(\.id))
        #expect(exhaustedIDs.count == 1)
        await worker.terminate()
    }

    @Test func costBudgetCountsChatPrice() async throws {
        let cluster = try await SchedulerCluster.start(name: "budget-cost", doubleApps: ["chat": "chat"])
        defer { cluster.stop() }
        let config = try cluster.writeConfig(
            partitions: 1,
            extraApps: """
                  chat:
                    base_url: \(cluster.doubleBaseURL)
                    api_key_env: \(SchedulerCluster.keyVariable(of: "chat"))
                    mode: chatflow
                    budget: {daily_cost: 0.05, currency: USD, when_exhausted: alert_only}
                """)
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "cost-w0")
        try await waitUntil("the worker holds the partition", timeout: .seconds(30)) { [worker] in worker.log.contains("partition assigned") }

        func chatTrigger(_ id: String) -> Trigger {
            var trigger = cluster.trigger(id, job: "job-chat", inputs: ["topic": "t", "_double_price": "0.03"])
            trigger.app = "chat"
            trigger.kind = .chatflow
            trigger.policy?.query = "how much did this cost?"
            return trigger
        }
        for id in ["cost-1", "cost-2", "cost-3"] {
            try await cluster.publish([chatTrigger(id)])
            _ = try await cluster.waitForResults(id) { $0.contains { $0.triggerID == id } }
        }

        // alert_only: the third run went ahead after the limit was reached.
        let results = try await cluster.results()
        let chatResults = results.filter { $0.app == "chat" }
        #expect(chatResults.count == 3)
        #expect(chatResults.allSatisfy { $0.status == .succeeded })
        #expect(chatResults.allSatisfy { $0.totalPrice == 0.03 })
        #expect(chatResults.allSatisfy { $0.currency == "USD" })
        var exhausted: [Alert] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while exhausted.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            exhausted = try await alerts(cluster).filter { $0.kind == .budgetExhausted }
        }
        #expect(exhausted.count == 1)
        let used = exhausted.first?.detail?["cost_used"]?.doubleValue ?? 0
        #expect(abs(used - 0.06) < 1e-9)
        #expect(exhausted.first?.detail?["when_exhausted"] == "alert_only")
        #expect(try await alerts(cluster).filter { $0.kind == .budgetNear }.isEmpty)
        await worker.terminate()
    }

    @Test func sighupPicksUpChangedKey() async throws {
        let cluster = try await SchedulerCluster.start(name: "reload-key", doubleApps: ["rotated": "workflow"])
        defer { cluster.stop() }
        let keyA = cluster.apiKey
        let keyB = try #require(cluster.appKeys["rotated"])
        let keyFile = cluster.directory.appendingPathComponent("filed.key").path
        try keyA.write(toFile: keyFile, atomically: true, encoding: .utf8)
        let filedApp = """
              filed:
                base_url: \(cluster.doubleBaseURL)
                api_key_file: \(keyFile)
                mode: workflow
            """
        let config = try cluster.writeConfig(partitions: 1, extraApps: filedApp)
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "reload-w0")
        try await waitUntil("the worker holds the partition", timeout: .seconds(30)) { [worker] in worker.log.contains("partition assigned") }

        // The first run's stream breaks after workflow_started, so the worker polls the run
        // with the key it started with, before and after the reload.
        var first = trigger(cluster, "key-a", app: "filed")
        first.inputs = ["topic": "t", "mode": "plain", "sleep": 5, "_double_cut_after": 2]
        try await cluster.publish([first])
        try await waitUntil("the worker polls the broken run", timeout: .seconds(30)) { [worker] in worker.log.contains("stream broke mid-run") }
        #expect(try await requestedRuns(cluster).last?["key_sha256"]?.stringValue == StableHash.sha256Hex(keyA))

        try keyB.write(toFile: keyFile, atomically: true, encoding: .utf8)
        worker.signal(SIGHUP)
        try await waitUntil("the reload applied", timeout: .seconds(20)) { [worker] in worker.log.contains("configuration reloaded") }
        let reloadedAt = Date().timeIntervalSince1970 * 1000
        let firstResult = try await cluster.waitForResults("run with key A") { $0.contains { $0.triggerID == "key-a" } }
        #expect(firstResult.first { $0.triggerID == "key-a" }?.status == .succeeded)
        let polls = try await cluster.doubleRequests().filter { $0["path"]?.stringValue?.contains("/workflows/run/") == true }
        #expect(polls.contains { ($0["received_at_ms"]?.doubleValue ?? 0) > reloadedAt })
        #expect(polls.allSatisfy { $0["key_sha256"]?.stringValue == StableHash.sha256Hex(keyA) })

        try await cluster.publish([trigger(cluster, "key-b", app: "filed")])
        let results = try await cluster.waitForResults("run with key B") { $0.contains { $0.triggerID == "key-b" } }
        #expect(results.first { $0.triggerID == "key-b" }?.status == .succeeded)
        #expect(try await requestedRuns(cluster).last?["key_sha256"]?.stringValue == StableHash.sha256Hex(keyB))

        // An empty key file is rejected: the worker logs why and keeps key B.
        try "".write(toFile: keyFile, atomically: true, encoding: .utf8)
        worker.signal(SIGHUP)
        try await waitUntil("the reload rejected", timeout: .seconds(20)) { [worker] in worker.log.contains("configuration reload rejected") }
        #expect(worker.log.contains("apps.filed.api_key_file"))
        try await cluster.publish([trigger(cluster, "key-kept", app: "filed")])
        _ = try await cluster.waitForResults("run with the kept key") { $0.contains { $0.triggerID == "key-kept" } }
        #expect(try await requestedRuns(cluster).last?["key_sha256"]?.stringValue == StableHash.sha256Hex(keyB))
        #expect(worker.isRunning)
        await worker.terminate()
    }
}
