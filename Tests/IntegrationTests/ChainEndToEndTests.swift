import Foundation
import Shared
import TestSupport
import Testing

/// Input templates and chains with real processes: a parent run's output reaches its chained
/// child through the test double, the records link both runs, and loops are rejected.
@Suite(.serialized) struct ChainEndToEndTests {
    @Test func chainPassesParentOutputToChild() async throws {
        let cluster = try await SchedulerCluster.start(name: "chain-e2e")
        defer { cluster.stop() }

        // One fire of the parent a few seconds ahead; the child has no schedule of its own.
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 8).rounded(.down))
        let config = try cluster.writeConfig("""
            jobs:
              - id: extract
                app: demo
                schedule:
                  every: 1h
                  start: "\(Timestamp.rfc3339(start))"
                  end: "\(Timestamp.rfc3339(start))"
                  timezone: Asia/Shanghai
                inputs:
                  topic: "day {{ previous_day.start | date: \\"yyyy-MM-dd\\" }}"
                  mode: plain
                on_success: [report]
              - id: report
                app: demo
                schedule: {timezone: Asia/Shanghai}
                inputs:
                  topic: "{{ parent.outputs.topic }} from {{ parent.job_id }} ({{ parent.status }})"
                  mode: plain
              - id: breaking
                app: demo
                schedule:
                  every: 1h
                  start: "\(Timestamp.rfc3339(start))"
                  end: "\(Timestamp.rfc3339(start))"
                inputs: {topic: beta, fail: "yes", mode: plain}
                on_success: [report]
                on_failure: [pager]
              - id: pager
                app: demo
                schedule: {}
                inputs:
                  topic: '{{ parent.job_id }} {{ parent.status }}: {{ parent.error | default: "no message" | truncate: 30 }}'
                  mode: plain
            """, openOnLoopback: true)
        try await cluster.createTopics(config: config)
        let store = cluster.directory.appendingPathComponent("records.db").path
        let worker = try cluster.startWorker(config: config, id: "worker-chain")
        let producer = try cluster.startProducer(config: config, environment: ["DIFY_SCHEDULER__PRODUCER__STORE": "sqlite:\(store)"])
        try await worker.waitForLog("partition assigned")

        let results = try await cluster.waitForResults("results of extract, report, breaking and pager", timeout: .seconds(60)) { results in
            ["extract", "report", "breaking", "pager"].allSatisfy { id in results.contains { $0.jobID == id } }
        }
        let parent = try #require(results.first { $0.jobID == "extract" })
        let child = try #require(results.first { $0.jobID == "report" })

        // The parent rendered the day before its scheduled instant in Shanghai (UTC+8, no DST).
        let local = TemplateTime(start, zone: try ZoneRules.named("Asia/Shanghai"))
        let previousDay = CivilDate(daysSinceEpoch: local.date.daysSinceEpoch - 1)
        let expectedDay = String(format: "day %04d-%02d-%02d", previousDay.year, previousDay.month, previousDay.day)
        #expect(parent.status == .succeeded)
        #expect(parent.inputs?["topic"] == .string(expectedDay))
        #expect(parent.outputs?["topic"] == .string(expectedDay))

        // The child's input carries the parent's output, and the test double received it.
        #expect(child.source == .chain)
        #expect(child.status == .succeeded)
        #expect(child.inputs?["topic"] == .string("\(expectedDay) from extract (succeeded)"))
        #expect(child.outputs?["topic"] == .string("\(expectedDay) from extract (succeeded)"))
        #expect(child.parentTriggerID == parent.triggerID)
        #expect(child.parentJobID == "extract")
        #expect(child.triggerID == TriggerID.chained(parentTriggerID: parent.triggerID, childJobID: "report"))
        #expect(results.filter { $0.jobID == "report" }.count == 1)

        // A failed parent starts its on_failure child only, which sees the error.
        let broken = try #require(results.first { $0.jobID == "breaking" })
        let pager = try #require(results.first { $0.jobID == "pager" })
        #expect(broken.status == .failed)
        #expect(pager.parentTriggerID == broken.triggerID)
        let pagerTopic = pager.inputs?["topic"]?.stringValue ?? ""
        #expect(pagerTopic.hasPrefix("breaking failed: "))
        #expect(pagerTopic.hasSuffix("…"))
        #expect(!results.contains { $0.jobID == "report" && $0.parentTriggerID == broken.triggerID })

        // The chain trigger and its emitted event name the parent.
        let trigger = try #require(try await cluster.triggers().first { $0.id == child.triggerID })
        #expect(trigger.parentTriggerID == parent.triggerID)
        #expect(trigger.parentJobID == "extract")
        let event = try await cluster.waitForEvent("emitted event of the chained trigger") { $0.type == .emitted && $0.triggerID == child.triggerID }
        #expect(event.detail?["parent_trigger_id"] == .string(parent.triggerID))

        // The records link the two runs both ways.
        let api = ControlClient(port: try await producer.controlPort())
        try await waitUntilAsync("both runs recorded", timeout: .seconds(30)) {
            let reply = try await api.send("GET", "/v1/runs/\(parent.triggerID)")
            return (reply.body["children"]?.arrayValue ?? []).count == 1
        }
        let parentRecord = try await api.send("GET", "/v1/runs/\(parent.triggerID)")
        #expect(parentRecord.body["children"]?.arrayValue?.first?["trigger_id"] == .string(child.triggerID))
        #expect(parentRecord.body["children"]?.arrayValue?.first?["job_id"] == .string("report"))
        let childRecord = try await api.send("GET", "/v1/runs/\(child.triggerID)")
        #expect(childRecord.body["parent_trigger_id"] == .string(parent.triggerID))
        #expect(childRecord.body["parent_job_id"] == .string("extract"))

        // The console's run pages link the two runs both ways.
        let base = "http://127.0.0.1:\(api.port)/console/#/runs/"
        let childPage = try await Self.renderedDOM(base + child.triggerID)
        #expect(childPage.contains(#"id="run-parent""#))
        #expect(childPage.contains("href=\"#/runs/\(parent.triggerID)\""))
        let parentPage = try await Self.renderedDOM(base + parent.triggerID)
        #expect(parentPage.contains(#"id="run-children""#))
        #expect(parentPage.contains("href=\"#/runs/\(child.triggerID)\""))

        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }

    @Test func chainLoopRejectedAtValidateAndAPI() async throws {
        let cluster = try await SchedulerCluster.start(name: "chain-loop")
        defer { cluster.stop() }

        // validate: a loop through three jobs, an unknown child and a bad template.
        let looping = try cluster.writeConfig("""
            jobs:
              - {id: a, app: demo, schedule: {every: 1h}, on_success: [b]}
              - {id: b, app: demo, schedule: {}, on_failure: [c, ghost]}
              - id: c
                app: demo
                schedule: {}
                on_success: [a]
                inputs: {day: "{{ previous_day.start | date: \\"yyyy-MM-DD\\" }}"}
            """, file: "looping.yaml")
        let validate = try await cluster.runProducerCommand(["validate", "--skip-inputs", "--config", looping])
        #expect(validate.status != 0)
        #expect(validate.output.contains("the chain loops: a → b → c → a"))
        #expect(validate.output.contains("unknown job \"ghost\""))
        #expect(validate.output.contains("inputs.day"))
        #expect(validate.output.contains("\"DD\" is not a format field"))

        // The API: a job may not close a loop through jobs already in the registry.
        let config = try cluster.writeConfig()
        try await cluster.createTopics(config: config)
        let producer = try cluster.startProducer(config: config)
        let api = ControlClient(port: try await producer.controlPort())
        try await api.waitUntilReady()

        let first = try await api.send("POST", "/v1/jobs", body: [
            "id": "first", "app": "demo", "schedule": ["cron": "0 30 0 * * *", "timezone": "Europe/Berlin"],
            "inputs": ["topic": "{{ previous_day.start | date: \"yyyy-MM-dd\" }}", "mode": "plain"],
        ])
        #expect(first.status == 201)
        let second = try await api.send("POST", "/v1/jobs", body: [
            "id": "second", "app": "demo", "schedule": [:], "on_success": ["first"],
            "inputs": ["topic": "{{ parent.answer | default: \"none\" }}"],
        ])
        #expect(second.status == 201)
        try await waitUntilAsync("second in the registry", timeout: .seconds(20)) {
            try await api.send("GET", "/v1/jobs/second").status == 200
        }
        var closing = first.body["job"]?.objectValue ?? [:]
        closing["on_failure"] = ["second"]
        let loop = try await api.send("PUT", "/v1/jobs/first", body: .object(closing))
        #expect(loop.status == 400)
        #expect(loop.body["error"]?["code"] == .string("chain_loop"))
        #expect(loop.body["error"]?["message"]?.stringValue?.contains("first → second → first") == true)

        let unknown = try await api.send("POST", "/v1/jobs", body: ["id": "third", "app": "demo", "schedule": [:], "on_success": ["nobody"]])
        #expect(unknown.status == 400)
        #expect(unknown.body["error"]?["field"] == .string("on_success[0]"))

        let badTemplate = try await api.send("POST", "/v1/jobs", body: [
            "id": "fourth", "app": "demo", "schedule": ["every": "1h"], "inputs": ["day": "{{ yesterday }}"],
        ])
        #expect(badTemplate.status == 400)
        #expect(badTemplate.body["error"]?["message"]?.stringValue?.contains("unknown name \"yesterday\"") == true)

        // The next fires with their rendered inputs.
        let next = try await api.send("GET", "/v1/jobs/first/next?count=2&render=true")
        #expect(next.status == 200)
        let fires = next.body["next"]?.arrayValue ?? []
        #expect(fires.count == 2)
        for fire in fires {
            let scheduled = try #require(fire["scheduled_at"]?.stringValue.flatMap(Timestamp.parse))
            let local = TemplateTime(scheduled, zone: try ZoneRules.named("Europe/Berlin"))
            let day = CivilDate(daysSinceEpoch: local.date.daysSinceEpoch - 1)
            #expect(fire["inputs"]?["topic"] == .string(day.description))
        }

        #expect(await producer.terminate() == 0)
    }

    @Test func nextRendersInputsFromFile() async throws {
        let cluster = try await SchedulerCluster.start(name: "chain-next")
        defer { cluster.stop() }
        let config = try cluster.writeConfig("""
            jobs:
              - id: daily
                app: demo
                schedule: {cron: "0 30 0 * * *", timezone: Europe/Berlin}
                inputs: {day: "{{ previous_day.start | date: \\"yyyy-MM-dd\\" }}", id: "{{ job.id }}"}
            """)
        let output = try await cluster.runProducerCommand([
            "next", "--config", config, "--job", "daily", "--render", "--count", "3", "--from", "2026-03-28T12:00:00Z",
        ])
        #expect(output.status == 0)
        let lines = output.output.split(separator: "\n").map(String.init)
        #expect(lines == [
            "2026-03-28T23:30:00Z", #"  inputs: {"day":"2026-03-28","id":"daily"}"#,
            "2026-03-29T22:30:00Z", #"  inputs: {"day":"2026-03-29","id":"daily"}"#,
            "2026-03-30T22:30:00Z", #"  inputs: {"day":"2026-03-30","id":"daily"}"#,
        ])
    }

    /// Loads `url` in Debian's headless Chromium and returns its DOM after the scripts ran.
    static func renderedDOM(_ url: String) async throws -> String {
        let profile = ManagedProcess.outputDirectory.appendingPathComponent("chain-chromium-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ConsoleBrowser.chromium)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--lang=en-US",
            "--user-data-dir=\(profile.path)", "--virtual-time-budget=10000", "--dump-dom", url,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = try await BlockingRead.all(pipe.fileHandleForReading)
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
