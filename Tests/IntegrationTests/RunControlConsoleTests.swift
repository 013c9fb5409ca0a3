import Foundation
import Shared
import TestSupport
import Testing

/// The console's Stop, Cancel and Re-run buttons in headless Chromium, against a real
/// deployment whose demo app runs one request at a time.
@Suite(.serialized) struct RunControlConsoleTests {
    @Test func buttonsStopCancelAndRerun() async throws {
        let cluster = try await SchedulerCluster.start(name: "run-control-console")
        defer { cluster.stop() }
        let config = try cluster.writeConfig("""
            jobs:
              - id: slow
                app: demo
                schedule: {every: 1h, start: "2099-01-01T00:00:00Z"}
                inputs: {topic: slow, mode: plain}
              - id: report
                app: demo
                schedule: {every: 1h, start: "2099-01-01T00:00:00Z"}
                inputs: {topic: first, mode: plain}
            """, appSettings: "limits: {max_concurrency: 1}", openOnLoopback: true)
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "console-control-worker")
        let producer = try cluster.startProducer(config: config)
        let port = try await producer.controlPort()
        let api = ControlClient(port: port)
        try await api.waitUntilReady()
        try await worker.waitForLog("partition assigned")

        let triggered = try await api.send("POST", "/v1/jobs/report/trigger", body: ["inputs": [:]])
        let finished = try #require(triggered.body["trigger_id"]?.stringValue)
        let deadline = ContinuousClock.now + .seconds(40)
        while try await api.send("GET", "/v1/runs/\(finished)").status != 200 {
            guard ContinuousClock.now < deadline else { throw TestTimeout(activity: "waiting for the record of \(finished)", timeout: .seconds(40)) }
            try await Task.sleep(for: .milliseconds(300))
        }

        let browser = try ConsoleBrowser(name: "run-control-console")
        defer { browser.stop() }
        let shots = ManagedProcess.outputDirectory.appendingPathComponent("run-control-screenshots")
        let report = try await browser.check(
            baseURL: "http://127.0.0.1:\(port)", plan: ["finished": finished], screenshots: shots, script: Self.script)
        let checks = report["checks"] as? [String: Any] ?? [:]

        #expect(report["failure"] == nil, "\(report["failure"] ?? "")")
        #expect((report["errors"] as? [String] ?? ["no report"]).isEmpty, "script errors: \(report["errors"] ?? "")")
        #expect(checks["stop_on_finished"] as? Bool == false)
        #expect((checks["rerun_editor_inputs"] as? [String: Any])?["topic"] as? String == "first")
        let rerun = try #require(checks["rerun_id"] as? String)
        #expect(rerun != finished)
        #expect(checks["rerun_of_link"] as? String == finished)
        #expect((checks["rerun_outputs"] as? String)?.contains("from-console") == true)
        #expect(checks["reruns_listed"] as? String == rerun)
        #expect(checks["stop_on_queued"] as? Bool == false)
        #expect(checks["cancel_on_running"] as? Bool == false)
        #expect(checks["stop_armed_text"] as? String == "Click again to confirm")
        #expect((checks["queued_stopped_by"] as? String)?.hasSuffix("loopback") == true)
        #expect((checks["queued_error"] as? String)?.hasPrefix("cancelled") == true)
        #expect((checks["running_stopped_by"] as? String)?.hasSuffix("loopback") == true)
        #expect((checks["running_error"] as? String)?.hasPrefix("stopped") == true)

        // What the buttons did, as the results topic shows it.
        let results = try await cluster.results()
        let rerunResult = try #require(results.first { $0.triggerID == rerun })
        #expect(rerunResult.rerunOf == finished)
        #expect(rerunResult.inputs?["topic"] == "from-console")
        #expect(results.filter { $0.status == .stopped && $0.stoppedBy == "loopback" }.count == 4)
        let backlog = checks["backlog"] as? [String] ?? []
        #expect(backlog.count == 2)
        for id in backlog {
            #expect(results.first { $0.triggerID == id }?.error?.code == "cancelled", "\(id)")
        }

        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }

    /// ``ConsoleBrowser/script`` with the body of its `try:` block replaced by these steps.
    static var script: String {
        let base = ConsoleBrowser.script
        let start = base.range(of: "\ntry:\n")!.upperBound
        let end = base.index(after: base.range(of: "\nexcept Exception as error:")!.lowerBound)
        return String(base[..<start]) + steps + "\n" + String(base[end...])
    }

    static let steps = #"""
            def api(method, path, body=None):
                data = json.dumps(body).encode() if body is not None else None
                request = urllib.request.Request(base + path, method=method, data=data, headers={"Content-Type": "application/json"})
                try:
                    return json.load(urllib.request.urlopen(request, timeout=10))
                except urllib.error.HTTPError as error:
                    if error.code == 404:
                        return None
                    raise

            def wait_for_state(trigger, state, timeout=30):
                deadline = time.time() + timeout
                while time.time() < deadline:
                    answer = api("GET", "/v1/runs/%s/control" % trigger)
                    if answer and answer.get("state") == state:
                        return
                    time.sleep(0.2)
                raise RuntimeError("timed out waiting for %s to be %s" % (trigger, state))

            def confirm(button):
                evaluate("document.getElementById('%s').click()" % button)
                text = evaluate("document.getElementById('%s').textContent" % button)
                evaluate("document.getElementById('%s').click()" % button)
                return text

            send("Page.enable")
            send("Runtime.enable")
            send("Log.enable")
            send("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1, mobile=False)

            # Re-run a finished run with an edited input.
            send("Page.navigate", url=base + "/console/#/runs/" + plan["finished"])
            ready()
            wait_for("document.getElementById('run-rerun') !== null", "the Re-run button")
            check("stop_on_finished", evaluate("document.getElementById('run-stop') !== null"))
            evaluate("document.getElementById('run-rerun').click()")
            wait_for("document.getElementById('rerun-inputs') !== null", "the re-run editor")
            check("rerun_editor_inputs", evaluate("JSON.parse(document.getElementById('rerun-inputs').value)"))
            evaluate("(function(){var a=document.getElementById('rerun-inputs'); var v=JSON.parse(a.value); v.topic='from-console'; a.value=JSON.stringify(v);})()")
            screenshot("rerun-editor")
            evaluate("document.getElementById('rerun-send').click()")
            wait_for("location.hash.indexOf(%s) < 0" % json.dumps(plan["finished"]), "the re-run's page")
            check("rerun_id", evaluate("decodeURIComponent(location.hash.split('/')[2])"))
            wait_for("document.getElementById('run-rerun-of') !== null && document.getElementById('node-tree') !== null", "the re-run to end", 40)
            check("rerun_of_link", evaluate("document.querySelector('#run-rerun-of a').textContent"))
            check("rerun_outputs", evaluate("document.getElementById('run-outputs').textContent"))
            screenshot("rerun-detail")
            open_page("#/runs/" + plan["finished"])
            wait_for("document.getElementById('run-reruns') !== null", "the list of re-runs")
            check("reruns_listed", evaluate("document.getElementById('run-reruns').textContent"))

            # A slow run holds the app's only slot, so the second trigger waits in the queue.
            running = api("POST", "/v1/jobs/slow/trigger", {"inputs": {"topic": "console-running", "sleep": 30}})["trigger_id"]
            wait_for_state(running, "running")
            queued = api("POST", "/v1/jobs/slow/trigger", {"inputs": {"topic": "console-queued"}})["trigger_id"]
            wait_for_state(queued, "queued")

            open_page("#/runs/" + queued)
            wait_for("document.getElementById('run-cancel') !== null", "the Cancel button")
            check("stop_on_queued", evaluate("document.getElementById('run-stop') !== null"))
            screenshot("run-queued")
            confirm("run-cancel")
            wait_for("document.getElementById('notice').textContent.indexOf('Cancel requested') >= 0", "the cancel notice")
            wait_for("document.getElementById('run-stopped-by') !== null", "the cancelled trigger's record", 30)
            check("queued_stopped_by", evaluate("document.getElementById('run-stopped-by').textContent"))
            check("queued_error", evaluate("document.getElementById('run-error').textContent"))

            # Two more wait behind the slow run; one click cancels both through the job.
            backlog = [api("POST", "/v1/jobs/slow/trigger", {"inputs": {"topic": "console-backlog-%d" % n}})["trigger_id"] for n in range(2)]
            wait_for_state(backlog[0], "queued")
            open_page("#/runs/" + backlog[0])
            wait_for("document.getElementById('job-cancel-queued') !== null", "the job's Cancel queued button")
            confirm("job-cancel-queued")
            wait_for("document.getElementById('notice').textContent.indexOf('every queued run') >= 0", "the job cancel notice")
            wait_for("document.getElementById('run-stopped-by') !== null", "the first backlog trigger's record", 30)
            check("backlog", backlog)

            open_page("#/runs/" + running)
            wait_for("document.getElementById('run-stop') !== null", "the Stop button")
            check("cancel_on_running", evaluate("document.getElementById('run-cancel') !== null"))
            screenshot("run-running")
            check("stop_armed_text", confirm("run-stop"))
            wait_for("document.getElementById('notice').textContent.indexOf('Stop requested') >= 0", "the stop notice")
            wait_for("document.getElementById('run-stopped-by') !== null", "the stopped run's record", 30)
            check("running_stopped_by", evaluate("document.getElementById('run-stopped-by').textContent"))
            check("running_error", evaluate("document.getElementById('run-error').textContent"))
            screenshot("run-stopped")
        """#
}
