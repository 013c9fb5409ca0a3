import Foundation
import Shared
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The console's job editor in headless Chromium on a real deployment, signed in as a developer.
/// It creates a job (a bad cron shown at its line, the next fires, the diff, save, a run of it)
/// and pauses it. It edits an API job while someone else saves it, deletes it, and opens a file
/// job read-only. Signed in as a viewer, the editor is read-only.
@Suite(.serialized) struct ConsoleEditorTests {
    static let newJob = """
        id: editor-made
        app: demo
        description: Made in the console editor
        schedule:
          cron: "*/2 * * * * *"
          timezone: Asia/Shanghai
        inputs:
          topic: 'editor {{ scheduled_at | date: "yyyy-MM-dd" }}'
          mode: plain
        overlap: skip

        """

    static let badJob = """
        id: editor-made
        app: demo
        schedule:
          cron: "61 * * * *"
          timezone: Asia/Shanghai
        inputs:
          topic: editor

        """

    @Test func editorCreatesEditsAndShowsFileJobs() async throws {
        let cluster = try await SchedulerCluster.start(name: "console-editor")
        defer { cluster.stop() }
        let config = try cluster.writeConfig("""
            jobs:
              - id: file-report
                app: demo
                schedule: {cron: "0 8 * * *", timezone: Europe/Berlin}
                inputs: {topic: from-file, mode: plain}
            """)
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "worker-editor")
        let store = cluster.directory.appendingPathComponent("records.db").path
        let producer = try cluster.startProducer(config: config, environment: ["DIFY_SCHEDULER__PRODUCER__STORE": "sqlite:\(store)"])
        let port = try await producer.controlPort()
        let base = "http://127.0.0.1:\(port)"
        let api = EditorClient(port: port)
        try await ControlClient(port: port).waitUntilReady()
        let setup = try await api.send("POST", "/v1/jobs", yaml: "id: api-edit\napp: demo\nschedule: {every: 1h}\ninputs: {topic: edit-me}\n")
        #expect(setup.status == 201, "\(setup.body.compactText())")

        let browser = try ConsoleBrowser(name: "console-editor")
        defer { browser.stop() }
        let shots = ManagedProcess.outputDirectory.appendingPathComponent("console-editor-screenshots")
        let plan = [
            "new_job": Self.newJob, "bad_job": Self.badJob, "new_id": "editor-made", "edit_id": "api-edit", "file_id": "file-report",
            "developer_token": TestTokens.token(for: TestTokens.name(of: .developer)), "admin_token": TestTokens.token(for: "alice"),
            "viewer_token": TestTokens.token(for: TestTokens.name(of: .viewer)),
        ]
        let report = try await browser.check(baseURL: base, plan: plan, screenshots: shots, timeout: .seconds(300), script: ConsoleBrowser.program(Self.steps))
        let checks = report["checks"] as? [String: Any] ?? [:]

        #expect(report["failure"] == nil, "\(report["failure"] ?? "")")
        #expect((report["errors"] as? [String] ?? ["no report"]).isEmpty, "script errors: \(report["errors"] ?? "")")

        // New job: a bad cron is marked at its line, the valid job shows fires in its zone.
        #expect(checks["signed_in_as"] as? String == TestTokens.name(of: .developer))
        #expect(checks["new_button_shown"] as? Bool == true)
        #expect(checks["template_valid"] as? Bool == true)
        #expect((checks["bad_problem_fields"] as? [String] ?? []).contains("schedule.cron"), "\(checks["bad_problem_fields"] ?? "")")
        #expect(checks["bad_cron_line"] as? String == "4")
        #expect((checks["bad_gutter_lines"] as? [String] ?? []).contains("4"))
        #expect(checks["bad_review_disabled"] as? Bool == true)
        let fires = checks["fires_local"] as? [String] ?? []
        #expect(fires.count == 5)
        #expect(fires.allSatisfy { $0.hasSuffix("+08:00") }, "\(fires)")
        #expect((checks["zone_line"] as? String ?? "").contains("Asia/Shanghai"))
        let inputs = checks["inputs_shown"] as? String ?? ""
        #expect(inputs.contains("\"topic\": \"editor 20"), "\(inputs)")
        #expect(!inputs.contains("{{"))

        // The diff of a new job adds every line; saving makes an api job that runs.
        #expect(checks["new_diff_ops"] as? [String] == ["diff-add"])
        #expect((checks["new_diff_text"] as? [String] ?? []).contains("  cron: \"*/2 * * * * *\""), "\(checks["new_diff_text"] ?? "")")
        #expect((checks["saved_notice"] as? String ?? "").contains("Saved"))
        #expect(checks["saved_managed_by"] as? String == "managed_by: api")
        #expect(!(checks["new_job_run_status"] as? [String] ?? []).isEmpty)
        #expect(checks["pause_button_now_resumes"] as? String == "Resume")
        #expect(checks["paused_state"] as? String == "Paused")
        let results = try await cluster.waitForResults("a result of the job made in the editor") { results in
            results.contains { $0.jobID == "editor-made" && $0.status == .succeeded }
        }
        #expect(results.contains { $0.jobID == "editor-made" })

        // Edit: the diff shows the changed line; a save after someone else's save is refused.
        #expect((checks["edit_original"] as? String ?? "").contains("every: 1h"))
        #expect(checks["edit_diff"] as? [String] == ["diff-del -  every: 1h", "diff-add +  every: 2h"], "\(checks["edit_diff"] ?? "")")
        #expect(checks["other_editor_status"] as? Int == 200)
        #expect((checks["conflict_notice"] as? String ?? "").hasPrefix("notice error"))
        #expect(checks["reloaded_has_other_edit"] as? Bool == true)
        #expect((checks["edit_saved_text"] as? String ?? "").contains("every: 2h"))
        #expect((checks["edit_saved_text"] as? String ?? "").contains("other editor"))
        #expect(checks["delete_disabled_before_typing"] as? Bool == true)
        #expect(checks["deleted_row"] as? Bool == false)
        #expect(try await api.send("GET", "/v1/jobs/api-edit").status == 404)

        // File job: read-only, with where to change it, and its fires.
        #expect((checks["file_note"] as? String ?? "").contains("dify-producer apply"))
        #expect(checks["file_textarea_readonly"] as? Bool == true)
        #expect(checks["file_has_review"] as? Bool == false)
        #expect(checks["file_has_delete"] as? Bool == false)
        #expect(checks["file_has_pause"] as? Bool == true)
        #expect(checks["file_fires"] as? Int == 5)
        #expect(checks["zh_title"] as? String == "新建任务")
        #expect(checks["zh_review"] as? String == "查看改动")
        #expect(checks["viewer_new_button_visible"] as? Bool == false)
        #expect((checks["viewer_note"] as? String ?? "").contains("may not edit"))
        #expect(checks["viewer_textarea_readonly"] as? Bool == true)
        #expect(checks["viewer_has_review"] as? Bool == false)
        #expect(checks["viewer_has_delete"] as? Bool == false)
        #expect(checks["viewer_has_pause"] as? Bool == false)
        #expect(checks["viewer_fires"] as? Int == 5)
        #expect((checks["viewer_local_time"] as? String ?? "").hasSuffix("+08:00"), "\(checks["viewer_local_time"] ?? "")")
        #expect(checks["resumed_state"] as? String == "Active")
        #expect((report["screenshots"] as? [String] ?? []).count >= 5)

        let stored = try await api.send("GET", "/v1/jobs/editor-made")
        #expect(stored.body["job"]?["managed_by"] == .string("api"))
        #expect(stored.body["state"]?["paused"] == .bool(false))
        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }

    /// DevTools steps, run inside ``ConsoleBrowser/program(_:)``.
    static let steps = #"""
            def set_text(text):
                evaluate("(function(){var a=document.getElementById('job-text'); a.value=%s; a.dispatchEvent(new Event('input'));})()" % json.dumps(text))

            def wait_checked(valid):
                wait_for("document.getElementById('editor-status') && document.getElementById('editor-status').dataset.valid === %s" % json.dumps(valid),
                         "the preview to report valid=%s" % valid)

            def texts(selector):
                return evaluate("Array.from(document.querySelectorAll(%s)).map(function(n){return n.textContent})" % json.dumps(selector))

            def click(element_id):
                evaluate("document.getElementById(%s).click()" % json.dumps(element_id))

            def review():
                click("editor-review")
                wait_for("!document.getElementById('editor-diff').hidden", "the diff")

            def check_read_only(prefix):
                check(prefix + "_note", evaluate("(document.getElementById('editor-readonly') || {}).textContent || ''"))
                check(prefix + "_textarea_readonly", evaluate("document.getElementById('job-text').readOnly"))
                check(prefix + "_has_review", evaluate("document.getElementById('editor-review') !== null"))
                check(prefix + "_has_delete", evaluate("document.getElementById('editor-delete') !== null"))
                check(prefix + "_has_pause", evaluate("document.getElementById('editor-pause') !== null"))
                check(prefix + "_fires", evaluate("document.querySelectorAll('#preview-fires tbody tr[data-fire]').length"))

            def confirm_dialog():
                wait_for("document.querySelector('dialog.confirm') !== null", "the confirmation dialog")

            # Sign in as a developer; the console then opens the address asked for.
            send("Page.navigate", url=base + "/console/#/jobs")
            ready()
            sign_in(plan["developer_token"])
            wait_for("document.getElementById('session-user') !== null && document.getElementById('view').dataset.view === 'jobs'", "the jobs page after sign-in")
            ready()
            check("signed_in_as", evaluate("document.getElementById('session-user').textContent"))

            # Create: the starting text, a bad cron, a valid job, the diff, save, a run.
            check("new_button_shown", evaluate("!document.getElementById('new-job').hidden"))
            click("new-job")
            wait_for("location.hash === '#/jobs/new'", "the editor's address")
            ready()
            wait_checked("true")
            check("template_valid", True)

            set_text(plan["bad_job"])
            wait_checked("false")
            check("bad_problem_fields", evaluate("Array.from(document.querySelectorAll('#editor-problems li')).map(function(n){return n.dataset.field})"))
            check("bad_cron_line", evaluate("(document.querySelector('#editor-problems li[data-field=\"schedule.cron\"]') || {dataset: {}}).dataset.line || null"))
            check("bad_gutter_lines", evaluate("Array.from(document.querySelectorAll('#editor-gutter .line.problem')).map(function(n){return n.dataset.line})"))
            check("bad_review_disabled", evaluate("document.getElementById('editor-review').disabled"))
            screenshot("editor-invalid")

            set_text(plan["new_job"])
            wait_checked("true")
            check("fires_local", texts("#preview-fires tbody tr[data-fire] td:first-child"))
            check("zone_line", evaluate("document.getElementById('preview-zone').textContent"))
            check("inputs_shown", evaluate("document.querySelector('#preview-inputs pre').textContent"))
            screenshot("editor-preview")
            review()
            check("new_diff_ops", evaluate("Array.from(new Set(Array.from(document.querySelectorAll('#editor-diff-lines tr')).map(function(r){return r.className})))"))
            check("new_diff_text", texts("#editor-diff-lines tr td:last-child"))
            screenshot("editor-diff")
            click("editor-save")
            wait_for("location.hash === %s" % json.dumps("#/jobs/" + plan["new_id"]), "the saved job's page")
            ready()
            check("saved_notice", evaluate("document.getElementById('notice').textContent"))
            check("saved_managed_by", evaluate("document.getElementById('editor-managed-by').textContent"))
            wait_for("document.querySelectorAll('#job-runs tbody tr[data-trigger]').length > 0", "a run of the new job", timeout=120)
            check("new_job_run_status", texts("#job-runs tbody tr[data-trigger] .status"))
            screenshot("editor-fired")

            # Pause it, with a note, after confirming.
            click("editor-pause")
            confirm_dialog()
            evaluate("document.querySelector('dialog.confirm input[name=note]').value = 'editor test'")
            evaluate("document.querySelector('dialog.confirm [data-confirm=yes]').click()")
            wait_for("document.getElementById('editor-state').textContent === 'Paused'", "the paused state on the page", timeout=20)
            check("pause_button_now_resumes", evaluate("document.getElementById('editor-pause').textContent"))
            open_page("#/jobs/%s?at=%d" % (plan["new_id"], time.time() * 1000))
            check("paused_state", evaluate("document.getElementById('editor-state').textContent"))

            # Edit an API job while another editor saves it first.
            open_page("#/jobs/" + plan["edit_id"])
            wait_checked("true")
            original = evaluate("document.getElementById('job-text').value")
            check("edit_original", original)
            set_text(original.replace("every: 1h", "every: 2h"))
            wait_checked("true")
            review()
            check("edit_diff", evaluate("Array.from(document.querySelectorAll('#editor-diff-lines tr')).filter(function(r){return r.className !== 'diff-same'}).map(function(r){return r.className + ' ' + r.textContent})"))
            # Another user saves through the API with a token of their own, without the session.
            other = "fetch('/v1/jobs/%s', {method: 'PUT', credentials: 'omit', headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer %s'}, body: JSON.stringify({app: 'demo', schedule: {every: '3h'}, inputs: {topic: 'other editor'}})}).then(function(r){return r.status})"
            check("other_editor_status", evaluate(other % (plan["edit_id"], plan["admin_token"])))
            click("editor-save")
            wait_for("document.getElementById('editor-reload') !== null", "the conflict message")
            check("conflict_notice", evaluate("document.getElementById('notice').className + ' ' + document.getElementById('notice').textContent"))
            screenshot("editor-conflict")
            click("editor-reload")
            ready()
            wait_checked("true")
            reloaded = evaluate("document.getElementById('job-text').value")
            check("reloaded_has_other_edit", "every: 3h" in reloaded)
            set_text(reloaded.replace("every: 3h", "every: 2h"))
            wait_checked("true")
            review()
            click("editor-save")
            wait_for("document.getElementById('notice').textContent.indexOf('Saved') >= 0", "the saved notice")
            ready()
            wait_checked("true")
            check("edit_saved_text", evaluate("document.getElementById('job-text').value"))

            # Delete it: the button stays disabled until the id is typed.
            click("editor-delete")
            confirm_dialog()
            check("delete_disabled_before_typing", evaluate("document.querySelector('dialog.confirm [data-confirm=yes]').disabled"))
            evaluate("(function(){var i=document.querySelector('dialog.confirm input[name=confirm-id]'); i.value=%s; i.dispatchEvent(new Event('input'));})()" % json.dumps(plan["edit_id"]))
            evaluate("document.querySelector('dialog.confirm [data-confirm=yes]').click()")
            wait_for("location.hash === '#/jobs'", "the jobs list after the delete")
            ready()
            check("deleted_row", evaluate("document.querySelector('#jobs tr[data-job=%s]') !== null" % json.dumps(plan["edit_id"])))

            # A job from a file is read-only.
            open_page("#/jobs/" + plan["file_id"])
            wait_checked("readonly")
            check_read_only("file")
            screenshot("editor-file-job")

            # Chinese texts.
            open_page("#/jobs/new")
            evaluate("document.getElementById('language').click()")
            ready()
            check("zh_title", evaluate("document.querySelector('#view h1').textContent"))
            check("zh_review", evaluate("document.getElementById('editor-review').textContent"))
            evaluate("document.getElementById('language').click()")
            ready()

            # Resume the job made here, after confirming.
            open_page("#/jobs/" + plan["new_id"])
            click("editor-pause")
            confirm_dialog()
            evaluate("document.querySelector('dialog.confirm [data-confirm=yes]').click()")
            wait_for("document.getElementById('editor-state').textContent === 'Active'", "the active state on the page", timeout=20)
            check("resumed_state", evaluate("document.getElementById('editor-state').textContent"))

            # A viewer sees the editor read-only, without the buttons the role may not use.
            evaluate("document.getElementById('sign-out').click()")
            wait_for("document.getElementById('view').dataset.view === 'signin' && document.getElementById('view').dataset.state === 'ready'", "the sign-in page after sign-out")
            sign_in(plan["viewer_token"])
            wait_for("document.getElementById('session-role') !== null", "the viewer's session")
            open_page("#/jobs")
            wait_for("document.querySelector('#view tr[data-job]') !== null", "the job rows")
            check("viewer_new_button_visible", evaluate("document.getElementById('new-job').offsetParent !== null"))
            open_page("#/jobs/" + plan["new_id"])
            wait_checked("readonly")
            wait_for("document.querySelectorAll('#preview-fires tbody tr[data-fire]').length > 0", "the viewer's next fires")
            check("viewer_local_time", evaluate("document.querySelector('#preview-fires tbody tr[data-fire] td').textContent"))
            check_read_only("viewer")
            screenshot("editor-viewer")
        """#
}
