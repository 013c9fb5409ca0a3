import Foundation

#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// Debian's headless Chromium, driven over its DevTools port by a Python script that uses
/// python3-websocket (Debian's package), for the console tests.
///
/// The script is kept here as text and written to the test output folder, so the test target
/// has no other file to declare.
final class ConsoleBrowser: Sendable {
    let port: Int
    let profile: URL
    /// Prefix of this browser's files in the test output folder.
    let name: String
    private let process: Process

    static let chromium = "/usr/bin/chromium"
    static let python = "/usr/bin/python3"

    init(name: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.chromium) else {
            throw ProcessError(reason: "\(Self.chromium) is missing: apt-get install chromium (scripts/setup.sh does)")
        }
        self.name = name
        port = try FreePort.next()
        profile = ManagedProcess.outputDirectory.appendingPathComponent("\(name)-chromium-profile")
        try? FileManager.default.removeItem(at: profile)
        let log = ManagedProcess.outputDirectory.appendingPathComponent("\(name)-chromium.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)

        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.chromium)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=\(port)", "--remote-allow-origins=*",
            "--user-data-dir=\(profile.path)", "--lang=en-US", "--window-size=1400,1000", "about:blank",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["LANGUAGE"] = "en_US"
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: profile)
    }

    /// Runs a DevTools script (by default the records pages' walk-through, ``script``) against
    /// the console at `baseURL`; returns its JSON report.
    ///
    /// - Throws: ``ProcessError`` with the script's output when it fails or hangs.
    func check(
        baseURL: String, plan: [String: String], screenshots: URL, timeout: Duration = .seconds(180), script text: String = ConsoleBrowser.script
    ) async throws -> [String: Any] {
        let script = ManagedProcess.outputDirectory.appendingPathComponent("\(name)_devtools.py")
        try text.write(to: script, atomically: true, encoding: .utf8)
        let planFile = ManagedProcess.outputDirectory.appendingPathComponent("\(name)-plan.json")
        try JSONSerialization.data(withJSONObject: plan).write(to: planFile)
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        let output = ManagedProcess.outputDirectory.appendingPathComponent("\(name)-devtools.log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)

        let runner = Process()
        runner.executableURL = URL(fileURLWithPath: Self.python)
        runner.arguments = [script.path, "\(port)", baseURL, planFile.path, screenshots.path]
        runner.standardOutput = handle
        runner.standardError = handle
        try runner.run()
        let deadline = ContinuousClock.now + timeout
        while runner.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        if runner.isRunning {
            kill(runner.processIdentifier, SIGKILL)
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("REPORT ") }),
            let report = try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any]
        else {
            throw ProcessError(reason: "the DevTools script gave no report:\n\(text.suffix(4000))")
        }
        return report
    }

    /// Returns a script that runs `steps` with the helpers and the report of ``script``.
    ///
    /// The result is the lines of ``script`` before its first navigation (the helpers such as
    /// `open_page`, `evaluate`, `wait_for`, `check` and `screenshot`), then `steps`, written at
    /// the indentation of the `try` block's body, then its lines from the `except` clause on.
    static func program(_ steps: String) -> String {
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false)
        let navigation = lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("send(\"Page.navigate\"") } ?? lines.endIndex
        let handler = lines.firstIndex { $0.hasPrefix("except Exception") } ?? lines.endIndex
        return (lines[..<navigation] + [Substring(steps)] + lines[handler...]).joined(separator: "\n")
    }

    static let script = #"""
        import base64, json, sys, time, urllib.request
        import websocket

        port, base, plan_path, shots = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
        plan = json.load(open(plan_path))
        report = {"errors": [], "checks": {}, "screenshots": []}

        def targets():
            return json.load(urllib.request.urlopen("http://127.0.0.1:%s/json" % port, timeout=5))

        for attempt in range(100):
            try:
                pages = [t for t in targets() if t.get("type") == "page"]
                if pages:
                    break
            except Exception:
                pass
            time.sleep(0.2)
        ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30)
        counter = [0]

        def note(message):
            method = message.get("method")
            params = message.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                text = details.get("exception", {}).get("description") or details.get("text")
                report["errors"].append("exception: %s" % text)
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                report["errors"].append("console.error: %s" % [a.get("value", a.get("description")) for a in params.get("args", [])])
            elif method == "Log.entryAdded":
                entry = params.get("entry", {})
                # Failed requests (the control API may be absent) are checked by the pages themselves.
                if entry.get("level") == "error" and entry.get("source") != "network":
                    report["errors"].append("log: %s" % entry.get("text"))

        def send(method, **params):
            counter[0] += 1
            ident = counter[0]
            ws.send(json.dumps({"id": ident, "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == ident:
                    if "error" in message:
                        raise RuntimeError("%s: %s" % (method, message["error"]))
                    return message.get("result", {})
                note(message)

        def evaluate(expression):
            result = send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
            if "exceptionDetails" in result:
                raise RuntimeError("evaluate failed: %s: %s" % (expression, result["exceptionDetails"]))
            return result.get("result", {}).get("value")

        def wait_for(expression, what, timeout=20):
            deadline = time.time() + timeout
            while time.time() < deadline:
                value = evaluate(expression)
                if value:
                    return value
                time.sleep(0.1)
            raise RuntimeError("timed out waiting for %s (%s)" % (what, expression))

        def ready():
            wait_for("document.getElementById('view') && document.getElementById('view').dataset.state === 'ready'", "the view to load")
            time.sleep(0.3)

        def open_page(fragment):
            evaluate("location.hash = %s" % json.dumps(fragment))
            time.sleep(0.1)
            ready()

        def screenshot(name):
            data = send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
            path = "%s/%s.png" % (shots, name)
            open(path, "wb").write(base64.b64decode(data))
            report["screenshots"].append(path)

        def check(name, value):
            report["checks"][name] = value

        VISIBLE_TRIGGERS = "Array.from(document.querySelectorAll('#view button[data-permission=trigger]')).filter(function(b){return b.offsetParent !== null}).length"

        def sign_in(token):
            evaluate("document.getElementById('signin-token').value = %s; document.getElementById('signin-form').requestSubmit()" % json.dumps(token))

        try:
            send("Page.enable")
            send("Runtime.enable")
            send("Log.enable")
            send("Network.enable")
            send("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1, mobile=False)
            send("Page.navigate", url=base + "/console/#/dashboard?range=1h")
            ready()
            check("language_from_browser", evaluate("document.documentElement.lang"))

            # Signed out, the console shows the sign-in page whatever the address asks for.
            check("signin_shown", evaluate("document.getElementById('view').dataset.view"))
            check("nav_hidden_signed_out", evaluate("getComputedStyle(document.querySelector('header nav')).visibility"))
            screenshot("signin")
            sign_in("wrong-token-0123456789")
            wait_for("!document.getElementById('notice').hidden", "the failure notice")
            check("signin_failed_notice", evaluate("document.getElementById('notice').textContent"))
            sign_in(plan["admin_token"])
            wait_for("document.getElementById('session-user') !== null && document.getElementById('view').dataset.view === 'dashboard'", "the dashboard after sign-in")
            ready()
            check("session_user", evaluate("document.getElementById('session-user').textContent"))
            check("session_role", evaluate("document.getElementById('session-role').textContent"))
            cookies = send("Network.getCookies", urls=[base + "/"]).get("cookies", [])
            session = [c for c in cookies if c.get("name") == "dify_scheduler_session"]
            check("cookie_flags", session and {"httpOnly": session[0].get("httpOnly"), "sameSite": session[0].get("sameSite"), "path": session[0].get("path")})
            check("cookie_visible_to_script", evaluate("document.cookie.indexOf('dify_scheduler_session') >= 0"))
            wait_for("document.getElementById('runs-chart') !== null", "the chart")
            check("chart_loaded", evaluate("typeof window.Chart === 'function'"))
            check("dashboard_total", evaluate("document.querySelector('[data-card=total] .value').textContent"))
            screenshot("dashboard")

            open_page("#/runs?range=1h")
            all_rows = evaluate("document.querySelectorAll('#runs tbody tr[data-trigger]').length")
            check("runs_all", all_rows)
            screenshot("runs")
            evaluate("(function(){var s=document.querySelector('select[name=status]'); s.value='failed'; s.dispatchEvent(new Event('change'));})()")
            wait_for("location.hash.indexOf('status=failed') >= 0", "the status filter in the address")
            ready()
            check("runs_failed", evaluate("document.querySelectorAll('#runs tbody tr[data-trigger]').length"))
            check("runs_failed_statuses", evaluate("Array.from(document.querySelectorAll('#runs tbody tr[data-trigger] .status')).map(function(s){return s.textContent})"))
            screenshot("runs-filtered")

            open_page("#/runs/" + plan["iterate_trigger"])
            check("detail_nodes", evaluate("document.querySelectorAll('#node-tree > .node').length"))
            evaluate("document.querySelector('.rounds-toggle').click()")
            wait_for("document.querySelector('.round[data-round=\"0\"]') !== null", "the rounds")
            check("rounds_listed", evaluate("document.querySelectorAll('.round[data-round]').length"))
            evaluate("document.querySelector('.round[data-round=\"0\"]').click()")
            wait_for("document.querySelectorAll('.children .children .node').length > 0", "the nodes of round 1")
            check("round_nodes", evaluate("Array.from(document.querySelectorAll('.children .children .node .title')).map(function(n){return n.textContent})"))
            evaluate("document.querySelector('.children .children .node .head').click()")
            screenshot("run-detail")

            open_page("#/runs/" + plan["script_trigger"])
            check("script_output_text", evaluate("document.getElementById('run-outputs').textContent.indexOf('<script>') >= 0"))
            check("script_not_run", evaluate("window.__consoleXSS === undefined"))
            check("script_elements_in_view", evaluate("document.querySelectorAll('#view script').length"))
            screenshot("run-untrusted-output")

            open_page("#/events?range=1h")
            check("events_all", evaluate("document.querySelectorAll('#events tbody tr[data-event]').length"))
            evaluate("(function(){var s=document.querySelector('select[name=type]'); s.value='emitted'; s.dispatchEvent(new Event('change'));})()")
            wait_for("location.hash.indexOf('type=emitted') >= 0", "the type filter in the address")
            ready()
            check("events_emitted", evaluate("document.querySelectorAll('#events tbody tr[data-event]').length"))
            check("events_types", evaluate("Array.from(new Set(Array.from(document.querySelectorAll('#events tbody tr[data-event] td:nth-child(2)')).map(function(c){return c.textContent})))"))
            screenshot("events")

            open_page("#/jobs")
            check("jobs_text", evaluate("document.getElementById('view').textContent.slice(0, 300)"))
            wait_for("document.querySelector('#view button[data-permission=pause_resume]') !== null", "the job buttons")
            check("trigger_buttons_admin", evaluate(VISIBLE_TRIGGERS))
            screenshot("jobs")
            # A state-changing request through the request helper carries the CSRF token.
            evaluate("document.querySelector('#view button[data-permission=pause_resume]').click()")
            wait_for("document.getElementById('notice').textContent.indexOf('\u2713') >= 0 || document.getElementById('notice').className.indexOf('error') >= 0", "the pause notice")
            check("pause_notice", evaluate("document.getElementById('notice').textContent"))

            open_page("#/dashboard?range=1h")
            evaluate("document.getElementById('language').click()")
            ready()
            check("language_switched", evaluate("document.documentElement.lang"))
            check("nav_dashboard_zh", evaluate("document.querySelector('nav a[data-view=dashboard]').textContent"))
            check("title_zh", evaluate("document.querySelector('#view h1').textContent"))
            check("time_title", evaluate("(document.querySelector('#slowest time') || {}).title || ''"))
            screenshot("dashboard-zh")
            evaluate("document.getElementById('language').click()")
            ready()
            check("language_back", evaluate("document.querySelector('nav a[data-view=dashboard]').textContent"))

            # Sign out, then sign in as a viewer: buttons the role may not use are hidden.
            evaluate("document.getElementById('sign-out').click()")
            wait_for("document.getElementById('view').dataset.view === 'signin' && document.getElementById('view').dataset.state === 'ready'", "the sign-in page after sign-out")
            check("signed_out_view", evaluate("document.getElementById('view').dataset.view"))
            check("cookie_after_sign_out", len([c for c in send("Network.getCookies", urls=[base + "/"]).get("cookies", []) if c.get("name") == "dify_scheduler_session"]))
            sign_in(plan["viewer_token"])
            wait_for("document.getElementById('session-role') !== null", "the viewer's session")
            open_page("#/jobs")
            wait_for("document.querySelector('#view tr[data-job]') !== null", "the job rows")
            check("viewer_role", evaluate("document.getElementById('session-role').textContent"))
            check("trigger_buttons_viewer", evaluate(VISIBLE_TRIGGERS))
            check("trigger_buttons_in_page_viewer", evaluate("document.querySelectorAll('#view button[data-permission=trigger]').length"))
            screenshot("jobs-viewer")
        except Exception as error:
            report["failure"] = "%s" % error
            try:
                screenshot("failure")
            except Exception:
                pass
        # Collect events that arrived after the last command.
        ws.settimeout(0.5)
        try:
            while True:
                note(json.loads(ws.recv()))
        except Exception:
            pass
        print("REPORT " + json.dumps(report))
        """#
}
