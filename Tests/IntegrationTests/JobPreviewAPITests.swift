import Foundation
import Shared
import Testing
import TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The control API's job preview, YAML job bodies, ETags with `If-Match`, the read-only rule
/// for file jobs, on a running producer with the Dify test double.
@Suite(.serialized) struct JobPreviewAPITests {
    @Test func previewEditAndConcurrency() async throws {
        let cluster = try await SchedulerCluster.start(name: "job-preview")
        defer { cluster.stop() }
        let config = try cluster.writeConfig("""
            jobs:
              - id: file-job
                app: demo
                schedule: {every: 1h}
                inputs: {topic: from-file}
            """)
        try await cluster.createTopics(config: config)
        let producer = try cluster.startProducer(config: config)
        let api = EditorClient(port: try await producer.controlPort())
        try await ControlClient(port: api.port).waitUntilReady()

        // A bad cron is reported at schedule.cron with the line it is on, with every other problem.
        let badCron = """
            id: preview-one
            app: demo
            schedule:
              cron: "61 * * * *"
              timezone: Asia/Shanghai
            retry: {max_attempts: 500}
            inputs: {topic: x}
            """
        let invalid = try await api.send("POST", "/v1/jobs/preview", yaml: badCron)
        #expect(invalid.status == 200)
        #expect(invalid.body["valid"] == .bool(false))
        let problems = invalid.body["problems"]?.arrayValue ?? []
        let cron = try #require(problems.first { $0["field"] == .string("schedule.cron") }, "\(invalid.body.compactText())")
        #expect(cron["line"] == .int(4))
        #expect(cron["message"]?.stringValue?.contains("61") == true)
        let retry = try #require(problems.first { $0["field"] == .string("retry.max_attempts") })
        #expect(retry["line"] == .int(6))
        #expect(retry["fix"] == .string("use 1 to 100"))
        #expect(invalid.body["next"] == .array([]))

        // A typing error in a key is reported with its line and the closest known key.
        let typo = try await api.send("POST", "/v1/jobs/preview", yaml: "id: typo\napp: demo\nschedule: {every: 1h}\novrelap: skip\n")
        let typoProblem = try #require(typo.body["problems"]?.arrayValue?.first)
        #expect(typoProblem["line"] == .int(4))
        #expect(typoProblem["message"]?.stringValue?.contains("overlap") == true, "\(typoProblem.compactText())")

        // Unknown zones and input values outside the app's form are problems too; JSON has no lines.
        let badZone = try await api.send("POST", "/v1/jobs/preview", json: [
            "id": "zone", "app": "demo", "schedule": ["cron": "0 9 * * *", "timezone": "Mars/Olympus"], "inputs": ["topic": "x", "mode": "fancy"],
        ])
        let zoneFields = (badZone.body["problems"]?.arrayValue ?? []).compactMap { $0["field"]?.stringValue }
        #expect(zoneFields.contains("schedule.timezone"), "\(badZone.body.compactText())")
        #expect(zoneFields.contains("inputs.mode"), "\(badZone.body.compactText())")
        #expect(badZone.body["format"] == .string("json"))

        // A valid job: next fires in its zone, the inputs of the next fire, nothing stored.
        let valid = try await api.send("POST", "/v1/jobs/preview?count=3", yaml: """
            id: daily-digest
            app: demo
            schedule:
              cron: "30 9 * * *"
              timezone: Asia/Shanghai
            inputs:
              topic: 'orders of {{ previous_day.start | date: "yyyy-MM-dd" }}'
            """)
        #expect(valid.body["valid"] == .bool(true), "\(valid.body.compactText())")
        #expect(valid.body["timezone"] == .string("Asia/Shanghai"))
        let fires = valid.body["next"]?.arrayValue ?? []
        #expect(fires.count == 3)
        for fire in fires {
            #expect(fire["local"]?.stringValue?.hasSuffix("T09:30:00+08:00") == true, "\(fire.compactText())")
            #expect(fire["scheduled_at"]?.stringValue?.hasSuffix("T01:30:00Z") == true)
        }
        // The inputs are rendered for the first fire: the day before it in Shanghai.
        let firstLocal = try #require(fires.first?["local"]?.stringValue)
        let firstDay = try #require(CivilDate(String(firstLocal.prefix(10))))
        let previousDay = CivilDate(daysSinceEpoch: firstDay.daysSinceEpoch - 1)
        #expect(valid.body["inputs"]?["topic"] == .string("orders of \(previousDay)"), "\(valid.body.compactText())")
        #expect(valid.body["inputs_rendered"] == .bool(true))
        #expect(valid.body["job"]?["managed_by"] == .string("api"))
        #expect(valid.body["existing"] == .null)
        #expect(try await api.send("GET", "/v1/jobs/daily-digest").status == 404)

        // Create from YAML; the read gives an ETag that an update must match.
        let created = try await api.send("POST", "/v1/jobs", yaml: "id: daily-digest\napp: demo\nschedule: {every: 1h}\ninputs: {topic: a}\n")
        #expect(created.status == 201, "\(created.body.compactText())")
        let read = try await api.send("GET", "/v1/jobs/daily-digest")
        let etag = try #require(read.headers["etag"])
        #expect(read.body["etag"] == .string(etag))
        #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))

        // Previewing an edit names the stored job, its ETag and the fields that would change.
        let edit = try await api.send("POST", "/v1/jobs/preview?id=daily-digest", yaml: "app: demo\nschedule: {every: 2h}\ninputs: {topic: a}\n")
        #expect(edit.body["valid"] == .bool(true), "\(edit.body.compactText())")
        #expect(edit.body["existing"]?["etag"] == .string(etag))
        #expect(edit.body["existing"]?["changed_fields"] == .array(["schedule"]))

        // Someone else saves first: the second save, with the old ETag, is rejected and changes nothing.
        let first = try await api.send("PUT", "/v1/jobs/daily-digest", json: ["app": "demo", "schedule": ["every": "3h"], "inputs": ["topic": "a"]], headers: ["If-Match": etag])
        #expect(first.status == 200, "\(first.body.compactText())")
        let stale = try await api.send("PUT", "/v1/jobs/daily-digest", json: ["app": "demo", "schedule": ["every": "2h"], "inputs": ["topic": "a"]], headers: ["If-Match": etag])
        #expect(stale.status == 412)
        #expect(stale.body["error"]?["code"] == .string("job_changed"))
        let staleDelete = try await api.send("DELETE", "/v1/jobs/daily-digest", headers: ["If-Match": etag])
        #expect(staleDelete.status == 412)
        let current = try await api.eventually("the update in the registry") {
            let reply = try await api.send("GET", "/v1/jobs/daily-digest")
            return reply.body["job"]?["schedule"]?["every"] == .string("3h") ? reply : nil
        }
        let newTag = try #require(current.headers["etag"])
        #expect(newTag != etag)
        let second = try await api.send("PUT", "/v1/jobs/daily-digest", yaml: "app: demo\nschedule: {every: 2h}\ninputs: {topic: a}\n", headers: ["If-Match": newTag])
        #expect(second.status == 200, "\(second.body.compactText())")

        // A job from a file cannot be changed or deleted through the API, and the preview reports it.
        let fileEdit = try await api.send("PUT", "/v1/jobs/file-job", json: ["app": "demo", "schedule": ["every": "2h"]])
        #expect(fileEdit.status == 409)
        #expect(fileEdit.body["error"]?["code"] == .string("managed_by_file"))
        #expect(try await api.send("DELETE", "/v1/jobs/file-job").status == 409)
        let filePreview = try await api.send("POST", "/v1/jobs/preview?id=file-job", yaml: "app: demo\nschedule: {every: 2h}\n")
        #expect(filePreview.body["existing"]?["managed_by"] == .string("file"))
        #expect((filePreview.body["problems"]?.arrayValue ?? []).contains { $0["message"]?.stringValue?.contains("dify-producer apply") == true })

        // Chains: children must exist and may not loop through the registry.
        let unknownChild = try await api.send("POST", "/v1/jobs/preview", yaml: "id: parent\napp: demo\nschedule: {every: 1h}\ninputs: {topic: a}\non_success: [missing-child]\n")
        let childProblem = try #require(unknownChild.body["problems"]?.arrayValue?.first { $0["field"] == .string("on_success[0]") }, "\(unknownChild.body.compactText())")
        #expect(childProblem["line"] == .int(5))
        let chained = try await api.send("POST", "/v1/jobs", json: ["id": "chain-a", "app": "demo", "schedule": ["every": "1h"], "inputs": ["topic": "a"], "on_success": ["daily-digest"]])
        #expect(chained.status == 201, "\(chained.body.compactText())")
        let looping = try await api.send("PUT", "/v1/jobs/daily-digest", json: ["app": "demo", "schedule": ["every": "2h"], "on_failure": ["chain-a"]])
        #expect(looping.status == 400)
        #expect(looping.body["error"]?["field"] == .string("on_failure"), "\(looping.body.compactText())")

        // A body that is not a job.
        let broken = try await api.send("POST", "/v1/jobs/preview", yaml: "id: [unclosed\n")
        #expect(broken.body["valid"] == .bool(false))
        #expect(broken.body["problems"]?.arrayValue?.first?["line"] != .null)
        #expect(try await api.send("POST", "/v1/jobs/preview?count=0", yaml: "id: a\n").status == 400)

        #expect(await producer.terminate() == 0)
    }
}

/// A control API client that sends JSON or YAML bodies and extra headers, and returns the
/// response headers with lowercased names.
struct EditorClient: Sendable {
    let port: Int

    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: JSONValue
    }

    func send(
        _ method: String, _ path: String, json: JSONValue? = nil, yaml: String? = nil, headers: [String: String] = [:],
        actor: String = "test-operator"
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.setValue("Bearer \(TestTokens.token(for: actor))", forHTTPHeaderField: "Authorization")
        if let json {
            request.httpBody = Data(json.compactText().utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let yaml {
            request.httpBody = Data(yaml.utf8)
            request.setValue("application/yaml", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        var names: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] {
            names["\(name)".lowercased()] = "\(value)"
        }
        let body = (try? JSONValue.parse(data)) ?? .string(String(decoding: data, as: UTF8.self))
        return Reply(status: http?.statusCode ?? 0, headers: names, body: body)
    }

    /// Polls `attempt` until it returns a value, for changes that reach the registry through Kafka.
    func eventually<Value: Sendable>(_ what: String, timeout: Duration = .seconds(20), _ attempt: () async throws -> Value?) async throws -> Value {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let value = try await attempt() { return value }
            guard ContinuousClock.now < deadline else { throw TestTimeout(activity: what, timeout: timeout) }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
