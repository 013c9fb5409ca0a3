import Foundation
import Shared
import TestSupport
import Testing

/// Checks the control API makes the same way on every route: inputs against the app's form
/// and the workers' size cap, read-only file jobs, chains around a deleted job, chain loops,
/// unknown body fields, unknown query parameters and unknown apps.
@Suite(.serialized) struct ControlAPIChecksTests {
    static func start(_ name: String) async throws -> (SchedulerCluster, ManagedProcess, ControlClient) {
        let cluster = try await SchedulerCluster.start(name: name)
        let config = try cluster.writeConfig("""
            jobs:
              - id: file-job
                app: demo
                schedule: {every: 1h, start: "2099-01-01T00:00:00Z"}
                inputs: {topic: from-file, mode: plain}
            """)
        try await cluster.createTopics(config: config)
        let producer = try cluster.startProducer(config: config)
        let api = ControlClient(port: try await producer.controlPort())
        try await api.waitUntilReady()
        return (cluster, producer, api)
    }

    @Test func inputsCheckedOnEveryRoute() async throws {
        let (cluster, producer, api) = try await Self.start("api-inputs")
        defer {
            withExtendedLifetime(producer) {}
            cluster.stop()
        }
        func job(_ id: String, _ inputs: JSONValue) -> JSONValue {
            ["id": .string(id), "app": "demo", "schedule": ["every": "1h", "start": "2099-01-01T00:00:00Z"], "inputs": inputs]
        }

        // Create: a select value outside the options, a missing required input, text over the
        // max length, a wrong type and a name the form lacks each get 400 at inputs.NAME.
        let cases: [(JSONValue, String, String)] = [
            (["topic": "a", "mode": "fancy"], "inputs.mode", "plain"),
            (["mode": "plain"], "inputs.topic", "topic"),
            (["topic": .string(String(repeating: "x", count: 300))], "inputs.topic", "256"),
            (["topic": "a", "sleep": ["not": "a number"]], "inputs.sleep", "number"),
            (["topic": "a", "bogus": "1"], "inputs.bogus", "bogus"),
        ]
        for (inputs, field, mention) in cases {
            let reply = try await api.send("POST", "/v1/jobs", body: job("bad-inputs", inputs))
            #expect(reply.status == 400, "\(inputs.compactText()): \(reply.body.compactText())")
            #expect(reply.body["error"]?["code"] == .string("invalid_inputs"))
            #expect(reply.body["error"]?["field"] == .string(field), "\(reply.body.compactText())")
            #expect(reply.body["error"]?["message"]?.stringValue?.contains(mention) == true, "\(reply.body.compactText())")
        }
        #expect(try await api.send("GET", "/v1/jobs/bad-inputs").status == 404)

        // Inputs above the workers' 512 KiB cap get 400 instead of a rejected run.
        let huge = try await api.send("POST", "/v1/jobs", body: job("huge", ["topic": .string(String(repeating: "x", count: 600 * 1024))]))
        #expect(huge.status == 400)
        #expect(huge.body["error"]?["field"] == .string("inputs"))
        #expect(huge.body["error"]?["message"]?.stringValue?.contains("\(Trigger.maxInputsBytes)") == true)
        let hugePreview = try await api.send("POST", "/v1/jobs/preview", body: job("huge", ["topic": .string(String(repeating: "x", count: 600 * 1024))]))
        #expect(hugePreview.body["valid"] == .bool(false))
        #expect((hugePreview.body["problems"]?.arrayValue ?? []).contains { $0["field"] == .string("inputs") }, "\(hugePreview.body.compactText().prefix(300))")

        // A templated value is checked for presence only when saved.
        let templated = try await api.send("POST", "/v1/jobs", body: job("templated", ["topic": "orders of {{ previous_day.start | date: \"yyyy-MM-dd\" }}", "mode": "plain"]))
        #expect(templated.status == 201, "\(templated.body.compactText())")

        let good = try await api.send("POST", "/v1/jobs", body: job("good", ["topic": "a", "mode": "plain"]))
        #expect(good.status == 201, "\(good.body.compactText())")

        // Update checks the same way.
        let badUpdate = try await api.send("PUT", "/v1/jobs/good", body: job("good", ["topic": "a", "mode": "fancy"]))
        #expect(badUpdate.status == 400)
        #expect(badUpdate.body["error"]?["field"] == .string("inputs.mode"))

        // Trigger now checks the inputs it would send: the job's, rendered, with the overrides on top.
        let badTrigger = try await api.send("POST", "/v1/jobs/good/trigger", body: ["inputs": ["mode": "fancy"]])
        #expect(badTrigger.status == 400)
        #expect(badTrigger.body["error"]?["field"] == .string("inputs.mode"))
        let emptied = try await api.send("POST", "/v1/jobs/good/trigger", body: ["inputs": ["topic": ""]])
        #expect(emptied.status == 400)
        #expect(emptied.body["error"]?["field"] == .string("inputs.topic"))
        let hugeTrigger = try await api.send("POST", "/v1/jobs/good/trigger", body: ["inputs": ["topic": .string(String(repeating: "x", count: 600 * 1024))]])
        #expect(hugeTrigger.status == 400)
        #expect(hugeTrigger.body["error"]?["field"] == .string("inputs"))
        let goodTrigger = try await api.send("POST", "/v1/jobs/good/trigger", body: ["inputs": ["mode": "iterate"]])
        #expect(goodTrigger.status == 202, "\(goodTrigger.body.compactText())")
        let templatedTrigger = try await api.send("POST", "/v1/jobs/templated/trigger")
        #expect(templatedTrigger.status == 202, "\(templatedTrigger.body.compactText())")
    }

    @Test func fileJobsAndChainsGuarded() async throws {
        let (cluster, producer, api) = try await Self.start("api-chains")
        defer {
            withExtendedLifetime(producer) {}
            cluster.stop()
        }
        func job(_ id: String, onSuccess: [String] = [], description: String = "") -> JSONValue {
            var object: [String: JSONValue] = [
                "id": .string(id), "app": "demo", "schedule": ["every": "1h", "start": "2099-01-01T00:00:00Z"],
                "inputs": ["topic": "a", "mode": "plain"], "description": .string(description),
            ]
            if !onSuccess.isEmpty { object["on_success"] = .array(onSuccess.map { .string($0) }) }
            return .object(object)
        }

        // A file job cannot be changed or deleted over the API, with or without managed_by in the body.
        for body in [job("file-job", description: "edited"), job("file-job").merging(["managed_by": "api"])] {
            let edit = try await api.send("PUT", "/v1/jobs/file-job", body: body)
            #expect(edit.status == 409, "\(edit.body.compactText())")
            #expect(edit.body["error"]?["code"] == .string("managed_by_file"))
            #expect(edit.body["error"]?["message"]?.stringValue?.contains("dify-producer apply") == true)
        }
        let deleteFile = try await api.send("DELETE", "/v1/jobs/file-job")
        #expect(deleteFile.status == 409)
        #expect(deleteFile.body["error"]?["code"] == .string("managed_by_file"))

        // A job chaining to itself gets chain_loop, like a longer loop.
        let selfLoop = try await api.send("POST", "/v1/jobs", body: job("loop", onSuccess: ["loop"]))
        #expect(selfLoop.status == 400)
        #expect(selfLoop.body["error"]?["code"] == .string("chain_loop"), "\(selfLoop.body.compactText())")
        #expect(selfLoop.body["error"]?["field"] == .string("on_success[0]"))
        #expect(try await api.send("POST", "/v1/jobs", body: job("loop-a")).status == 201)
        #expect(try await api.send("POST", "/v1/jobs", body: job("loop-b", onSuccess: ["loop-a"])).status == 201)
        _ = try await waitForJob(api, "loop-b")
        let longLoop = try await api.send("PUT", "/v1/jobs/loop-a", body: job("loop-a", onSuccess: ["loop-b"]))
        #expect(longLoop.body["error"]?["code"] == .string("chain_loop"), "\(longLoop.body.compactText())")

        // Deleting a job that a parent chains to is rejected, naming the parent, unless forced.
        #expect(try await api.send("POST", "/v1/jobs", body: job("child")).status == 201)
        _ = try await waitForJob(api, "child")
        #expect(try await api.send("POST", "/v1/jobs", body: job("parent", onSuccess: ["child"])).status == 201)
        _ = try await waitForJob(api, "parent")
        let refused = try await api.send("DELETE", "/v1/jobs/child")
        #expect(refused.status == 409)
        #expect(refused.body["error"]?["code"] == .string("job_chained"))
        #expect(refused.body["error"]?["message"]?.stringValue?.contains("\"parent\"") == true)
        let badFlag = try await api.send("DELETE", "/v1/jobs/child?forced=true")
        #expect(badFlag.status == 400)
        #expect(badFlag.body["error"]?["field"] == .string("forced"))
        let forced = try await api.send("DELETE", "/v1/jobs/child?force=true")
        #expect(forced.status == 200)
        #expect(forced.body["parents"] == .array(["parent"]))
        try await waitForMissing(api, "child")

        // The parent stays editable while its chain lists keep the deleted child; naming a new
        // missing child is still rejected.
        let edited = try await api.send("PUT", "/v1/jobs/parent", body: job("parent", onSuccess: ["child"], description: "still chained"))
        #expect(edited.status == 200, "\(edited.body.compactText())")
        let newChild = try await api.send("PUT", "/v1/jobs/parent", body: job("parent", onSuccess: ["child", "ghost"]))
        #expect(newChild.status == 400)
        #expect(newChild.body["error"]?["field"] == .string("on_success[1]"))
    }

    @Test func requestShapesChecked() async throws {
        let (cluster, producer, api) = try await Self.start("api-shapes")
        defer {
            withExtendedLifetime(producer) {}
            cluster.stop()
        }

        // Unknown body fields are rejected on every route with a body.
        let bodies: [(String, String)] = [
            ("POST", "/v1/jobs/file-job/trigger"), ("POST", "/v1/jobs/file-job/pause"), ("POST", "/v1/jobs/file-job/resume"),
            ("POST", "/v1/jobs/file-job/backfill"), ("POST", "/v1/jobs/file-job/cancel-queued"), ("POST", "/v1/runs/t-1/stop"),
            ("POST", "/v1/runs/t-1/rerun"),
        ]
        for (method, path) in bodies {
            let reply = try await api.send(method, path, body: ["bogus": 1])
            #expect(reply.status == 400, "\(path): \(reply.body.compactText())")
            #expect(reply.body["error"]?["field"] == .string("bogus"), "\(path)")
        }

        let signIn = try await api.send("POST", "/v1/session", body: ["token": .string(TestTokens.token(for: "alice")), "bogus": 1], actor: nil)
        #expect(signIn.status == 400, "\(signIn.body.compactText())")
        #expect(signIn.body["error"]?["field"] == .string("bogus"))

        // A stop naming an app the producer does not have is rejected instead of being lost.
        let unknownApp = try await api.send("POST", "/v1/runs/t-1/stop", body: ["app": "nosuchapp"])
        #expect(unknownApp.status == 404)
        #expect(unknownApp.body["error"]?["field"] == .string("app"))
        #expect(unknownApp.body["error"]?["message"]?.stringValue?.contains("demo") == true)
        #expect(try await api.send("POST", "/v1/runs/t-1/stop", body: ["app": "demo"]).status == 202)

        // Unknown query parameters get 400 naming the parameter and the known ones.
        let queries = [
            "/v1/runs?job_id=slow", "/v1/jobs?ap=demo", "/v1/jobs/file-job/next?cnt=2", "/v1/events?kind=x",
            "/v1/alerts?type=x", "/v1/stats/series?apps=demo", "/v1/stats/facets?limit=2", "/v1/stats/slowest-jobs?job=x",
            "/v1/runs/t-1?full=1", "/v1/runs/t-1/nodes?parent=1",
        ]
        for path in queries {
            let reply = try await api.send("GET", path)
            #expect(reply.status == 400, "\(path): \(reply.body.compactText())")
            #expect(reply.body["error"]?["message"]?.stringValue?.contains("unknown query parameter") == true, "\(path)")
        }
        let runs = try await api.send("GET", "/v1/runs?job_id=slow")
        #expect(runs.body["error"]?["field"] == .string("job_id"))
        #expect(runs.body["error"]?["message"]?.stringValue?.contains("job") == true)
        #expect(try await api.send("GET", "/v1/runs?job=slow&limit=5").status == 200)
        #expect(try await api.send("GET", "/v1/jobs?app=demo").status == 200)

        // A control character in the path is a 400, not the job list.
        let nul = try await api.send("GET", "/v1/jobs/%00")
        #expect(nul.status == 400, "\(nul.body.compactText())")
    }

    private func waitForJob(_ api: ControlClient, _ id: String) async throws -> JSONValue {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let reply = try await api.send("GET", "/v1/jobs/\(id)")
            if reply.status == 200 { return reply.body }
            guard ContinuousClock.now < deadline else { throw TestTimeout(activity: "job \(id) readable", timeout: .seconds(20)) }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    private func waitForMissing(_ api: ControlClient, _ id: String) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while try await api.send("GET", "/v1/jobs/\(id)").status != 404 {
            guard ContinuousClock.now < deadline else { throw TestTimeout(activity: "job \(id) deleted", timeout: .seconds(20)) }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

extension JSONValue {
    /// Returns this object with `other`'s members added or replaced.
    fileprivate func merging(_ other: [String: JSONValue]) -> JSONValue {
        .object((objectValue ?? [:]).merging(other) { _, new in new })
    }
}
