import Foundation
import Shared
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The producer's records and console on a real deployment: Tansu, the Dify test double, a
/// worker and a producer, then headless Chromium on the console, signed in through its
/// sign-in page with an API token.
@Suite(.serialized) struct ConsoleTests {
    static let scriptTopic = "<script>window.__consoleXSS = 1</script><img src=x onerror=\"window.__consoleXSS=2\">"

    @Test func consoleShowsRecordsOfRealRun() async throws {
        let cluster = try await SchedulerCluster.start(name: "console")
        defer { cluster.stop() }

        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 6).rounded(.down))
        let end = start.addingTimeInterval(4)
        let config = try cluster.writeConfig("""
            jobs:
              - id: plain-report
                app: demo
                schedule: {every: 2s, start: "\(Timestamp.rfc3339(start))", end: "\(Timestamp.rfc3339(end))"}
                inputs: {topic: alpha, mode: plain}
              - id: iterate-items
                app: demo
                schedule: {every: 1h, start: "\(Timestamp.rfc3339(start))", end: "\(Timestamp.rfc3339(start))"}
                inputs: {topic: beta, mode: iterate}
              - id: untrusted-output
                app: demo
                schedule: {every: 1h, start: "\(Timestamp.rfc3339(start))", end: "\(Timestamp.rfc3339(start))"}
                inputs: {topic: '\(Self.scriptTopic)', mode: plain}
              - id: failing-sync
                app: demo
                schedule: {every: 1h, start: "\(Timestamp.rfc3339(start))", end: "\(Timestamp.rfc3339(start))"}
                inputs: {topic: gamma, fail: "yes", mode: plain}
            """)
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "worker-console")
        let store = cluster.directory.appendingPathComponent("records.db").path
        let producer = try ManagedProcess(
            binary: "dify-producer", arguments: ["run", "--config", config],
            environment: cluster.environment.merging(["DIFY_SCHEDULER__PRODUCER__STORE": "sqlite:\(store)"]) { _, new in new },
            logName: "console-producer")
        try await producer.waitForLog("http server listening")
        let base = try Self.baseURL(from: producer.log)

        // Six results: three of plain-report, one of each other job.
        let runs = try await Self.waitForRuns(base: base, count: 6)
        let iterate = try #require(runs.first { $0["job_id"] as? String == "iterate-items" }?["trigger_id"] as? String)
        let script = try #require(runs.first { $0["job_id"] as? String == "untrusted-output" }?["trigger_id"] as? String)
        #expect(runs.filter { $0["status"] as? String == "failed" }.count == 1)

        // The API filters the same rows.
        let failed = try await Self.getJSON(base + "/v1/runs?status=failed&range=1h")
        #expect((failed["items"] as? [[String: Any]])?.map { $0["job_id"] as? String } == ["failing-sync"])
        let search = try await Self.getJSON(base + "/v1/runs?q=REPORT&range=1h")
        #expect((search["items"] as? [[String: Any]])?.count == 3)
        let detail = try await Self.getJSON(base + "/v1/runs/\(iterate)")
        let nodes = try #require(detail["nodes"] as? [[String: Any]])
        #expect(nodes.contains { ($0["rounds"] as? Int ?? 0) > 0 })
        let badRequest = try await Self.get(base + "/v1/runs?status=unknown")
        #expect(badRequest.status == 400)
        #expect(String(decoding: badRequest.body, as: UTF8.self).contains("status=unknown"))
        let metrics = String(decoding: try await Self.get(base + "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("dify_producer_records_ingested_total{kind=\"runs\"}"))

        // The browser.
        let browser = try ConsoleBrowser(name: "console")
        defer { browser.stop() }
        let shots = ManagedProcess.outputDirectory.appendingPathComponent("console-screenshots")
        let report = try await browser.check(baseURL: base, plan: [
            "iterate_trigger": iterate, "script_trigger": script,
            "admin_token": TestTokens.token(for: "alice"), "viewer_token": TestTokens.token(for: TestTokens.name(of: .viewer)),
        ], screenshots: shots)
        let checks = report["checks"] as? [String: Any] ?? [:]

        #expect(report["failure"] == nil, "\(report["failure"] ?? "")")
        #expect((report["errors"] as? [String] ?? ["no report"]).isEmpty, "script errors: \(report["errors"] ?? "")")
        #expect(checks["language_from_browser"] as? String == "en")
        #expect(checks["chart_loaded"] as? Bool == true)
        #expect(checks["dashboard_total"] as? String == "6")
        #expect(checks["runs_all"] as? Int == 6)
        #expect(checks["runs_failed"] as? Int == 1)
        #expect(checks["runs_failed_statuses"] as? [String] == ["failed"])
        #expect((checks["rounds_listed"] as? Int ?? 0) > 0)
        #expect(!(checks["round_nodes"] as? [String] ?? []).isEmpty)
        #expect(checks["script_output_text"] as? Bool == true)
        #expect(checks["script_not_run"] as? Bool == true)
        #expect(checks["script_elements_in_view"] as? Int == 0)
        #expect((checks["events_all"] as? Int ?? 0) > (checks["events_emitted"] as? Int ?? 0))
        #expect(checks["events_types"] as? [String] == ["emitted"])
        #expect(checks["language_switched"] as? String == "zh-CN")
        #expect(checks["nav_dashboard_zh"] as? String == "仪表盘")
        #expect(checks["title_zh"] as? String == "仪表盘")
        #expect(checks["language_back"] as? String == "Dashboard")
        #expect((report["screenshots"] as? [String] ?? []).count >= 9)
        // Sign-in through the page, the session cookie and the CSRF header of the request helper.
        #expect(checks["signin_shown"] as? String == "signin")
        #expect(checks["nav_hidden_signed_out"] as? String == "hidden")
        #expect((checks["signin_failed_notice"] as? String ?? "").contains("not valid"))
        #expect(checks["session_user"] as? String == "alice")
        #expect(checks["session_role"] as? String == "admin")
        let cookie = checks["cookie_flags"] as? [String: Any]
        #expect(cookie?["httpOnly"] as? Bool == true)
        #expect(cookie?["sameSite"] as? String == "Strict")
        #expect(cookie?["path"] as? String == "/")
        #expect(checks["cookie_visible_to_script"] as? Bool == false)
        #expect((checks["trigger_buttons_admin"] as? Int ?? 0) > 0)
        #expect((checks["pause_notice"] as? String ?? "").contains("✓"), "pause: \(checks["pause_notice"] ?? "")")
        #expect(checks["signed_out_view"] as? String == "signin")
        #expect(checks["cookie_after_sign_out"] as? Int == 0)
        #expect(checks["viewer_role"] as? String == "viewer")
        #expect(checks["trigger_buttons_viewer"] as? Int == 0)
        #expect((checks["trigger_buttons_in_page_viewer"] as? Int ?? 0) > 0)

        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }

    // MARK: - Helpers

    static func baseURL(from log: String) throws -> String {
        let pattern = try NSRegularExpression(pattern: #"http\.port[=:]\s*"?(\d+)"#)
        let range = NSRange(log.startIndex..., in: log)
        guard let match = pattern.firstMatch(in: log, range: range), let port = Range(match.range(at: 1), in: log) else {
            throw ProcessError(reason: "no http.port in the producer log:\n\(log.suffix(2000))")
        }
        return "http://127.0.0.1:\(log[port])"
    }

    /// Sends GET `url` with the admin token of `alice`.
    static func get(_ url: String) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.setValue("Bearer \(TestTokens.token(for: "alice"))", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    static func getJSON(_ url: String) async throws -> [String: Any] {
        let (status, body) = try await get(url)
        guard status == 200, let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw ProcessError(reason: "GET \(url) returned \(status): \(String(decoding: body, as: UTF8.self))")
        }
        return object
    }

    static func waitForRuns(base: String, count: Int, timeout: Duration = .seconds(90)) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let page = try await getJSON(base + "/v1/runs?range=1h&limit=100")
            let items = page["items"] as? [[String: Any]] ?? []
            if items.count >= count { return items }
            guard ContinuousClock.now < deadline else {
                throw TestTimeout(activity: "\(count) runs in the records API; so far \(items.count)", timeout: timeout)
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}
