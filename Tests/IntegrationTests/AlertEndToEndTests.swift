import Foundation
import Shared
import Synchronization
import TestSupport
import Testing

/// Alerts through real processes: three failed runs (each with a retry) and a success yield one
/// failure alert per run, one consecutive-failures alert and one recovery, each delivered once.
@Suite(.serialized) struct AlertEndToEndTests {
    @Test func failuresThenRecoveryAlertOncePerRun() async throws {
        let cluster = try await SchedulerCluster.start(name: "e2e-alerts")
        defer { cluster.stop() }

        let received = Mutex<[JSONValue]>([])
        let receiver = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), logger: Logger(label: "receiver")) { request in
            if let body = try? request.jsonBody() {
                received.withLock { $0.append(body) }
            }
            return .json(200, ["ok": true])
        }
        try receiver.start()
        defer { Task { await receiver.shutdown() } }
        let port = try #require(receiver.boundPort)

        // Runs 1 to 3 get two 500 answers each (the first attempt and its retry); run 4 succeeds.
        try await cluster.double("POST", "/_double/config", body: ["status": 500, "count": 6])
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 10).rounded(.down))
        let config = try cluster.writeConfig("""
            channels:
              hook: {type: webhook, webhook_env: TEST_ALERT_HOOK}
            jobs:
              - id: flaky
                app: demo
                schedule: {every: 3s, start: "\(Timestamp.rfc3339(start))", max_runs: 4}
                inputs: {topic: alerts, mode: plain}
                retry: {max_attempts: 2, initial_backoff: 100ms, max_backoff: 200ms}
                alerts: {on: [failure, recovered], consecutive_failures: 3, channels: [hook]}
            """)
        try await cluster.createTopics(config: config)
        let environment = ["TEST_ALERT_HOOK": "http://127.0.0.1:\(port)/hook"]
        let worker = try cluster.startWorker(config: config, id: "alerts-worker")
        let producer = try ManagedProcess(
            binary: "dify-producer", arguments: ["run", "--config", config],
            environment: cluster.environment.merging(environment) { _, new in new }, logName: "e2e-alerts-producer")

        let results = try await cluster.waitForResults("4 results", timeout: .seconds(90)) { $0.filter { $0.jobID == "flaky" }.count >= 4 }
        let statuses = results.sorted { $0.scheduledAt! < $1.scheduledAt! }.map(\.status)
        #expect(statuses == [.failed, .failed, .failed, .succeeded])
        #expect(results.filter { $0.status == .failed }.allSatisfy { $0.attempts?.count == 2 })

        // Give the notifier time to deliver, then count what arrived.
        try await waitUntil("recovered alert delivered", timeout: .seconds(30)) {
            received.withLock { $0.contains { $0["alert"]?["kind"]?.stringValue == "recovered" } }
        }
        try await Task.sleep(for: .seconds(3))
        let kinds = received.withLock { $0.compactMap { $0["alert"]?["kind"]?.stringValue } }
        #expect(kinds.filter { $0 == "failure" }.count == 3)
        #expect(kinds.filter { $0 == "consecutive_failures" }.count == 1)
        #expect(kinds.filter { $0 == "recovered" }.count == 1)
        #expect(kinds.count == 5)

        let events = try await cluster.events()
        #expect(events.filter { $0.type == .alertSent }.count == 5)
        await producer.terminate()
        await worker.terminate()
    }
}
