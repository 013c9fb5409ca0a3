import Foundation
import Shared
import TestSupport
import Testing

@Suite("DifyDouble")
struct DifyDoubleTests {
    private let double: DifyDoubleProcess

    /// Each test gets its own double; the process ends when the test's suite value goes away.
    init() throws {
        double = try DifyDoubleProcess(arguments: ["--ping-interval", "300ms"])
    }

    private var auth: [String: String] { ["Authorization": "Bearer \(DifyDoubleProcess.apiKey)", "Content-Type": "application/json"] }

    private func post(_ path: String, _ body: String, headers: [String: String]? = nil) async throws -> HTTPTestClient.Response {
        try await HTTPTestClient.fetch(port: double.port, method: "POST", path: path, headers: headers ?? auth, body: Array(body.utf8))
    }

    private func get(_ path: String, headers: [String: String]? = nil) async throws -> HTTPTestClient.Response {
        try await HTTPTestClient.fetch(port: double.port, path: path, headers: headers ?? auth)
    }

    private func json(_ response: HTTPTestClient.Response) throws -> JSONValue {
        try JSONValue.parse(Data(response.body))
    }

    private func run(_ inputs: String, mode: String = "streaming") async throws -> HTTPTestClient.Response {
        try await post("/v1/workflows/run", #"{"inputs": \#(inputs), "response_mode": "\#(mode)", "user": "sched-user-1"}"#)
    }

    /// Compares event names and `data` keys with a recording, frame by frame.
    private func expectSameShape(_ frames: [SSEFrame], as fixture: String) throws {
        let recorded = try SSEFrame.recorded(fixture).filter { $0.name != "ping" }
        let actual = frames.filter { $0.name != "ping" }
        #expect(actual.map(\.name) == recorded.map(\.name))
        for (mine, theirs) in zip(actual, recorded) {
            #expect(mine.dataKeys == theirs.dataKeys, "data keys of \(mine.name)")
            #expect(mine.json?.objectValue?.keys.sorted() == theirs.json?.objectValue?.keys.sorted(), "keys of \(mine.name)")
        }
    }

    // MARK: - Runs

    @Test("streaming success matches recording")
    func streamingSuccess() async throws {
        let response = try await run(#"{"topic": "alpha", "mode": "plain"}"#)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/event-stream; charset=utf-8")
        #expect(response.headers["transfer-encoding"] == "chunked")
        let frames = SSEFrame.parse(response.text)
        try expectSameShape(frames, as: "workflows-run-streaming-success.http")

        let finished = try #require(frames.last?.json?["data"])
        #expect(finished["status"] == .string("succeeded"))
        #expect(finished["total_steps"] == .int(4))
        let recordedOutputs = try #require(SSEFrame.recorded("workflows-run-streaming-success.http").last?.json?["data"]?["outputs"])
        #expect(finished["outputs"] == recordedOutputs)
        let runID = try #require(frames.first?.json?["workflow_run_id"]?.stringValue)
        #expect(frames.allSatisfy { $0.json?["workflow_run_id"]?.stringValue == runID })
    }

    @Test("streaming failure matches recording")
    func streamingFailure() async throws {
        let response = try await run(#"{"topic": "gamma", "fail": "yes"}"#)
        let frames = SSEFrame.parse(response.text)
        try expectSameShape(frames, as: "workflows-run-streaming-failure.http")
        let recorded = try SSEFrame.recorded("workflows-run-streaming-failure.http")
        let finished = try #require(frames.last?.json?["data"])
        let recordedFinished = try #require(recorded.last?.json?["data"])
        #expect(finished["status"] == .string("failed"))
        #expect(finished["error"] == recordedFinished["error"])
        #expect(finished["total_steps"] == recordedFinished["total_steps"])
        #expect(finished["exceptions_count"] == recordedFinished["exceptions_count"])
        #expect(frames.first { $0.name == "node_retry" }?.json?["data"]?["retry_index"] == .int(1))
    }

    @Test("iteration matches recording")
    func iteration() async throws {
        let response = try await run(#"{"topic": "beta", "mode": "iterate"}"#)
        let frames = SSEFrame.parse(response.text)
        try expectSameShape(frames, as: "workflows-run-streaming-iteration.http")
        let started = try #require(frames.first { $0.name == "iteration_started" }?.json?["data"])
        #expect(started["id"] == .string("iter"))
        #expect(started["metadata"]?["iteration_length"] == .int(1))
        #expect(frames.last?.json?["data"]?["total_steps"] == .int(6))
    }

    @Test("slow run sends pings")
    func pings() async throws {
        let response = try await run(#"{"topic": "slow", "sleep": 0.8}"#)
        let frames = SSEFrame.parse(response.text)
        #expect(frames.filter { $0.name == "ping" }.count >= 2)
        try expectSameShape(frames, as: "workflows-run-streaming-slow-pings.http")
    }

    @Test("blocking run matches recording")
    func blocking() async throws {
        let response = try await run(#"{"topic": "alpha"}"#, mode: "blocking")
        #expect(response.status == 200)
        #expect(response.headers["content-length"] != nil)
        let body = try json(response)
        let recorded = try SSEFrame.recordedJSON("workflows-run-blocking-success.http")
        #expect(body.objectValue?.keys.sorted() == recorded.objectValue?.keys.sorted())
        #expect(body["data"]?.objectValue?.keys.sorted() == recorded["data"]?.objectValue?.keys.sorted())
        #expect(body["data"]?["outputs"] == recorded["data"]?["outputs"])

        let runID = try #require(body["workflow_run_id"]?.stringValue)
        let detail = try json(try await get("/v1/workflows/run/\(runID)"))
        let recordedDetail = try SSEFrame.recordedJSON("get-run-succeeded.http")
        #expect(detail.objectValue?.keys.sorted() == recordedDetail.objectValue?.keys.sorted())
        #expect(detail["status"] == .string("succeeded"))
        #expect(detail["outputs"] == recordedDetail["outputs"])
        let inputs = try JSONValue.parse(try #require(detail["inputs"]?.stringValue))
        #expect(inputs["topic"] == .string("alpha"))
        #expect(inputs["mode"] == .null)
    }

    @Test("stop mid-run ends the stream")
    func stopMidRun() async throws {
        let client = try HTTPTestClient(port: double.port)
        let body = #"{"inputs": {"topic": "stopme", "sleep": 30}, "response_mode": "streaming", "user": "sched-user-1"}"#
        let (taskID, runID) = try await HTTPTestClient.blocking { [auth] in
            try client.send(method: "POST", path: "/v1/workflows/run", headers: auth, body: Array(body.utf8))
            _ = try client.readHead()
            var text = ""
            while !text.contains("\"node_id\":\"http_main\"") {
                text += String(decoding: try client.readChunk(), as: UTF8.self)
            }
            let first = try #require(SSEFrame.parse(text).first?.json)
            return (first["task_id"]?.stringValue ?? "", first["workflow_run_id"]?.stringValue ?? "")
        }

        let stop = try await post("/v1/workflows/tasks/\(taskID)/stop", #"{"user": "sched-user-1"}"#)
        #expect(stop.text == "{\"result\": \"success\"}\n")

        let rest = try await HTTPTestClient.blocking {
            var text = ""
            while true {
                let chunk = try client.readChunk()
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return text
        }
        let frames = SSEFrame.parse(rest).filter { $0.name != "ping" }
        #expect(frames.map(\.name) == ["workflow_finished"])
        let finished = try #require(frames.last?.json?["data"])
        #expect(finished["status"] == .string("failed"))
        #expect(finished["error"] == .string("Aborted: User requested stop"))
        #expect(finished["total_steps"] == .int(2))

        let detail = try json(try await get("/v1/workflows/run/\(runID)"))
        #expect(detail["status"] == .string("stopped"))
        #expect(detail["outputs"] == .null)
    }

    @Test("stop answers success for unknown tasks")
    func stopUnknown() async throws {
        let unknown = try await post("/v1/workflows/tasks/00000000-0000-0000-0000-000000000000/stop", #"{"user": "u"}"#)
        #expect(unknown.status == 200)
        #expect(try json(unknown)["result"] == .string("success"))
        let missingUser = try await post("/v1/workflows/tasks/x/stop", "{}")
        #expect(missingUser.status == 400)
        #expect(try json(missingUser) == (try SSEFrame.recordedJSON("stop-missing-user.http")))
    }

    @Test("GET run of unknown and malformed ids")
    func getRunUnknown() async throws {
        let unknown = try await get("/v1/workflows/run/00000000-0000-0000-0000-000000000000")
        #expect(unknown.status == 200)
        #expect(try json(unknown) == (try SSEFrame.recordedJSON("error-unknown-run-id.http")))
        let malformed = try await get("/v1/workflows/run/not-a-uuid")
        #expect(malformed.status == 500)
        #expect(try json(malformed) == (try SSEFrame.recordedJSON("error-run-id-not-uuid.http")))
    }

    // MARK: - Errors

    @Test("error answers match recordings")
    func errorAnswers() async throws {
        let cases: [(fixture: String, status: Int, response: HTTPTestClient.Response)] = [
            ("error-missing-authorization.http", 401, try await post("/v1/workflows/run", "{}", headers: [:])),
            ("error-wrong-auth-scheme.http", 401, try await post("/v1/workflows/run", "{}", headers: ["Authorization": "Basic Zm9vOmJhcg=="])),
            ("error-missing-user.http", 400, try await post("/v1/workflows/run", #"{"inputs": {"topic": "x"}, "response_mode": "blocking"}"#)),
            ("error-missing-inputs-field.http", 400, try await post("/v1/workflows/run", #"{"response_mode": "blocking", "user": "u"}"#)),
            ("error-bad-response-mode.http", 400, try await post("/v1/workflows/run", #"{"inputs": {"topic": "x"}, "response_mode": "fast", "user": "u"}"#)),
            ("error-malformed-json.http", 400, try await post("/v1/workflows/run", #"{"inputs": {"topic": "#)),
            ("error-missing-required-input-streaming.http", 400, try await run("{}")),
            ("error-invalid-select-value.http", 400, try await run(#"{"topic": "x", "fail": "maybe"}"#, mode: "blocking")),
            ("error-invalid-number-input.http", 400, try await run(#"{"topic": "x", "sleep": "abc"}"#, mode: "blocking")),
            ("error-input-too-long.http", 400, try await run(#"{"topic": "\#(String(repeating: "x", count: 300))"}"#, mode: "blocking")),
            ("error-method-not-allowed.http", 405, try await get("/v1/workflows/run")),
            ("error-wrong-app-type-chat-messages.http", 400, try await post("/v1/chat-messages", #"{"inputs": {}, "query": "hi", "response_mode": "blocking", "user": "u"}"#)),
            ("error-wrong-app-type-completion-messages.http", 400, try await post("/v1/completion-messages", #"{"inputs": {}, "response_mode": "blocking", "user": "u"}"#)),
            ("error-unknown-workflow-id-run.http", 404, try await post("/v1/workflows/00000000-0000-0000-0000-000000000000/run", #"{"inputs": {"topic": "x"}, "response_mode": "blocking", "user": "u"}"#)),
        ]
        for item in cases {
            #expect(item.response.status == item.status, "\(item.fixture)")
            #expect(try json(item.response) == (try SSEFrame.recordedJSON(item.fixture)), "\(item.fixture)")
        }

        let invalidKey = try await post("/v1/workflows/run", "{}", headers: ["Authorization": "Bearer app-invalidkey000000000000"])
        #expect(invalidKey.status == 401)
        #expect(invalidKey.headers["www-authenticate"] == "Bearer realm=\"api\"")
        #expect(try json(invalidKey) == (try SSEFrame.recordedJSON("error-invalid-api-key.http")))

        let unknownRoute = try await get("/v1/nonexistent")
        #expect(unknownRoute.status == 404)
        #expect(unknownRoute.headers["content-type"] == "text/html; charset=utf-8")
        #expect(unknownRoute.text.hasPrefix("<!doctype html>"))
    }

    @Test("forced statuses through inputs")
    func forcedStatuses() async throws {
        let limited = try await run(#"{"topic": "x", "_double_status": 429, "_double_retry_after": 7}"#)
        #expect(limited.status == 429)
        #expect(limited.headers["retry-after"] == "7")
        #expect(try json(limited)["code"] == .string("too_many_requests"))

        for status in [400, 401, 500] {
            let response = try await run(#"{"topic": "x", "_double_status": "\#(status)"}"#, mode: "blocking")
            #expect(response.status == status)
            #expect(try json(response)["status"] == .int(Int64(status)))
        }
        for status in [502, 503] {
            let response = try await run(#"{"topic": "x", "_double_status": \#(status)}"#)
            #expect(response.status == status)
            #expect(response.headers["content-type"] == "text/html")
        }
        let tokens = try await run(#"{"topic": "x", "_double_tokens": 321}"#, mode: "blocking")
        #expect(try json(tokens)["data"]?["total_tokens"] == .int(321))
    }

    @Test("cut stream ends without final event")
    func cutStream() async throws {
        let client = try HTTPTestClient(port: double.port)
        let body = #"{"inputs": {"topic": "cut", "_double_cut_after": 3}, "response_mode": "streaming", "user": "u"}"#
        let (text, cleanEnd) = try await HTTPTestClient.blocking { [auth] in
            try client.send(method: "POST", path: "/v1/workflows/run", headers: auth, body: Array(body.utf8))
            _ = try client.readHead()
            var text = ""
            do {
                while true {
                    let chunk = try client.readChunk()
                    if chunk.isEmpty { return (text, true) }
                    text += String(decoding: chunk, as: UTF8.self)
                }
            } catch {
                return (text, false)
            }
        }
        #expect(!cleanEnd)
        #expect(SSEFrame.parse(text).map(\.name) == ["workflow_started", "node_started", "node_finished"])
    }

    // MARK: - Admin and concurrency

    @Test("concurrency cap answers the recorded 400")
    func concurrencyCap() async throws {
        let configured = try await post("/_double/config", #"{"max_concurrency": 1}"#, headers: [:])
        #expect(configured.status == 200)
        let port = double.port
        let headers = auth
        let first = Task {
            let body = #"{"inputs": {"topic": "conc0", "sleep": 1}, "response_mode": "streaming", "user": "u"}"#
            return try await HTTPTestClient.fetch(port: port, method: "POST", path: "/v1/workflows/run", headers: headers, body: Array(body.utf8))
        }
        try await Task.sleep(for: .milliseconds(300))
        let second = try await run(#"{"topic": "conc1", "sleep": 0}"#, mode: "blocking")
        #expect(second.status == 400)
        let message = try json(second)["message"]?.stringValue ?? ""
        #expect(message.hasPrefix("Too many requests. Please try again later. The current maximum concurrent requests allowed for "))
        #expect(message.hasSuffix(" is 1."))
        #expect(try await first.value.status == 200)

        let after = try await run(#"{"topic": "after"}"#, mode: "blocking")
        #expect(after.status == 200)
    }

    @Test("admin config and request log")
    func adminEndpoint() async throws {
        _ = try await post("/_double/reset", "{}", headers: [:])
        let configured = try await post("/_double/config", #"{"status": 503, "retry_after": 3, "count": 1}"#, headers: [:])
        #expect(try json(configured)["count"] == .int(1))

        var headers = auth
        headers["X-Trace-Id"] = "trace-42"
        let forced = try await post("/v1/workflows/run", #"{"inputs": {"topic": "a"}, "response_mode": "blocking", "user": "log-user"}"#, headers: headers)
        #expect(forced.status == 503)
        #expect(forced.headers["retry-after"] == "3")
        let normal = try await run(#"{"topic": "b"}"#, mode: "blocking")
        #expect(normal.status == 200)

        let log = try json(try await get("/_double/requests", headers: [:]))
        let entries = try #require(log.arrayValue)
        #expect(entries.count == 2)
        #expect(entries.first?["user"] == .string("log-user"))
        #expect(entries.first?["trace_id"] == .string("trace-42"))
        #expect(entries.first?["status"] == .int(503))
        #expect(entries.first?["received_at_ms"]?.intValue != nil)

        let rejected = try await post("/_double/config", #"{"stauts": 500}"#, headers: [:])
        #expect(rejected.status == 400)

        _ = try await post("/_double/reset", "{}", headers: [:])
        let cleared = try json(try await get("/_double/requests", headers: [:]))
        #expect(cleared.arrayValue?.isEmpty == true)
    }

    @Test("logs list finished runs")
    func workflowLogs() async throws {
        _ = try await run(#"{"topic": "g", "fail": "yes"}"#, mode: "blocking")
        let logs = try json(try await get("/v1/workflows/logs?status=failed&limit=1"))
        let recorded = try SSEFrame.recordedJSON("workflows-logs-failed.http")
        #expect(logs.objectValue?.keys.sorted() == recorded.objectValue?.keys.sorted())
        let item = try #require(logs["data"]?.arrayValue?.first)
        let recordedItem = try #require(recorded["data"]?.arrayValue?.first)
        #expect(item.objectValue?.keys.sorted() == recordedItem.objectValue?.keys.sorted())
        #expect(item["workflow_run"]?["status"] == .string("failed"))
        #expect(try json(try await get("/v1/info"))["mode"] == .string("workflow"))
    }
}
