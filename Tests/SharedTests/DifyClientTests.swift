import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Shared

/// Collects stream events from `onEvent`, which runs on the client's delegate queue.
final class EventCollector: Sendable {
    private let events = Mutex<[DifyStreamEvent]>([])

    var onEvent: @Sendable (DifyStreamEvent) -> Void {
        { event in self.events.withLock { $0.append(event) } }
    }

    var all: [DifyStreamEvent] { events.withLock { $0 } }

    /// Waits until an event named `name` arrived, up to `timeout` seconds.
    func wait(for name: String, timeout: Double = 10) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if all.contains(where: { $0.name == name }) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}

@Suite(.serialized) struct DifyClientTests {
    static let apiKey = "app-testKEY0123456789"
    let server = DifyReplayServer.shared
    let client = DifyClient()

    func app(_ options: [String: String], name: String = "report-bot") throws -> DifyAppEndpoint {
        try DifyAppEndpoint(name: name, baseURL: server.baseURL(options), apiKey: Self.apiKey)
    }

    static func recordedEvents(_ fixture: String) throws -> [DifyStreamEvent] {
        var parser = SSEParser()
        let frames = try parser.feed(try DifyFixture.load(fixture).body) + parser.finish()
        return frames.compactMap(DifyStreamEvent.decode)
    }

    static func tag() -> String { UUID().uuidString }

    func runError(_ body: () async throws -> DifyRunOutcome) async -> DifyError? {
        do {
            let outcome = try await body()
            Issue.record("expected a DifyError, got outcome \(outcome.status)")
            return nil
        } catch let error as DifyError {
            return error
        } catch {
            Issue.record("expected a DifyError, got \(error)")
            return nil
        }
    }

    // MARK: - Streaming

    @Test func streamingSuccessDeliversEventsAndOutcome() async throws {
        let tag = Self.tag()
        let events = EventCollector()
        let request = WorkflowRunRequest(
            inputs: ["topic": "alpha", "mode": "plain"], user: "sched-user-1", traceID: "trigger-42_a")
        let outcome = try await client.runWorkflow(
            app: try app(["fixture": "workflows-run-streaming-success.http", "tag": tag]), request: request,
            onEvent: events.onEvent)

        #expect(outcome.status == "succeeded")
        #expect(outcome.runID == "5d03ab57-a307-4718-b363-d52e1266c892")
        #expect(outcome.taskID == "075b4766-7bd5-418e-9fd4-2230b8aadf1c")
        #expect(outcome.nodes.count == 4)
        #expect(events.all == (try Self.recordedEvents("workflows-run-streaming-success.http")))
        #expect(events.all.first?.name == "workflow_started")

        let sent = try #require(try await server.requests(tag: tag).first)
        #expect(sent.method == "POST")
        #expect(sent.path == "/v1/workflows/run")
        #expect(sent.headers?["authorization"] == "Bearer \(Self.apiKey)")
        #expect(sent.headers?["x-trace-id"] == "trigger-42_a")
        #expect(sent.headers?["content-type"] == "application/json")
        let body = try JSONValue.parse(sent.body ?? "")
        #expect(body["inputs"] == ["topic": "alpha", "mode": "plain"])
        #expect(body["user"] == "sched-user-1")
        #expect(body["response_mode"] == "streaming")
        #expect(body["trace_id"] == "trigger-42_a")
    }

    @Test func invalidTraceIDIsLeftOut() async throws {
        let tag = Self.tag()
        let request = WorkflowRunRequest(inputs: [:], user: "u", traceID: "has space/and slash")
        _ = try await client.runWorkflow(
            app: try app(["fixture": "workflows-run-streaming-success.http", "tag": tag]), request: request)
        let sent = try #require(try await server.requests(tag: tag).first)
        #expect(sent.headers?["x-trace-id"] == nil)
        #expect(try JSONValue.parse(sent.body ?? "")["trace_id"] == nil)
    }

    @Test(arguments: [1, 7, 64])
    func tinyChunksGiveSameResult(chunk: Int) async throws {
        let fixture = "workflows-run-streaming-iteration.http"
        let events = EventCollector()
        let outcome = try await client.runWorkflow(
            app: try app(["fixture": fixture, "chunk": String(chunk)]),
            request: WorkflowRunRequest(inputs: ["topic": "beta"], user: "u"), onEvent: events.onEvent)

        let recorded = try Self.recordedEvents(fixture)
        var builder = RunTraceBuilder()
        for event in recorded { builder.consume(event) }
        #expect(events.all == recorded)
        #expect(outcome == builder.outcome())
        #expect(outcome.nodes.first { $0.nodeID == "http_item" }?.parentIndex == 0)
    }

    @Test func failedRunIsAnOutcome() async throws {
        let outcome = try await client.runWorkflow(
            app: try app(["fixture": "workflows-run-streaming-failure.http"]),
            request: WorkflowRunRequest(inputs: ["topic": "gamma", "fail": "yes"], user: "u"))
        #expect(outcome.status == "failed")
        #expect(outcome.nodes.first { $0.nodeID == "http_main" }?.retries == 1)
    }

    @Test func streamCutMidRunThrowsStreamBrokenWithRunID() async throws {
        let fixture = "stop-stream.http"
        let body = try DifyFixture.load(fixture).body
        let lastFrame = try #require(body.firstRange(of: Data("event: ping".utf8)))
        let cut = String(body.distance(from: body.startIndex, to: lastFrame.lowerBound))

        for after in ["end", "close"] {
            let events = EventCollector()
            let error = await runError {
                try await client.runWorkflow(
                    app: try app(["fixture": fixture, "cut": cut, "after": after]),
                    request: WorkflowRunRequest(inputs: [:], user: "u"), onEvent: events.onEvent)
            }
            #expect(error?.code == .streamBroken, "after=\(after)")
            #expect(error?.runID == "f913f51d-e116-4bd8-99bf-7c82357e1beb")
            #expect(error?.taskID == "806c86f7-47fe-422f-bd3b-8df6c35cd07b")
            #expect(error?.retryable == false)
            #expect(error?.reason.contains("GET /workflows/run/f913f51d-e116-4bd8-99bf-7c82357e1beb") == true)
            #expect(error?.partialOutcome?.nodes.last?.status == "running")
            #expect(events.all.count == 4)
        }
    }

    @Test func streamCutBeforeWorkflowStartedIsRetryable() async throws {
        let error = await runError {
            try await client.runWorkflow(
                app: try app(["fixture": "workflows-run-streaming-success.http", "cut": "40", "after": "close"]),
                request: WorkflowRunRequest(inputs: [:], user: "u"))
        }
        #expect(error?.code == .streamBroken)
        #expect(error?.runID == nil)
        #expect(error?.taskID == nil)
        #expect(error?.retryable == true)
    }

    @Test func idleStreamTimesOut() async throws {
        let client = DifyClient(configuration: DifyClientConfiguration(streamIdleTimeout: .milliseconds(800)))
        let started = Date()
        let error = await runError {
            try await client.runWorkflow(
                app: try app(["fixture": "stop-stream.http", "cut": "800", "after": "hang"]),
                request: WorkflowRunRequest(inputs: [:], user: "u"))
        }
        #expect(error?.code == .streamBroken)
        #expect(error?.runID == "f913f51d-e116-4bd8-99bf-7c82357e1beb")
        #expect(error?.reason.contains("streamIdleTimeout") == true)
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func streamOutlivesRequestTimeout() async throws {
        let client = DifyClient(
            configuration: DifyClientConfiguration(requestTimeout: .milliseconds(500), streamIdleTimeout: .seconds(2)))
        let outcome = try await client.runWorkflow(
            app: try app(["fixture": "workflows-run-streaming-success.http", "chunk": "500", "delay_ms": "100"]),
            request: WorkflowRunRequest(inputs: [:], user: "u"))
        #expect(outcome.status == "succeeded")
    }

    @Test func slowHeadersTimeOutByMode() async throws {
        let client = DifyClient(
            configuration: DifyClientConfiguration(requestTimeout: .milliseconds(300), blockingTimeout: .milliseconds(300)))
        let slow = ["fixture": "workflows-run-blocking-success.http", "head_delay_ms": "1500"]

        let streaming = await runError {
            try await client.runWorkflow(app: try app(slow), request: WorkflowRunRequest(inputs: [:], user: "u"))
        }
        #expect(streaming?.code == .timeout)
        #expect(streaming?.retryable == true)
        #expect(streaming?.reason.contains("requestTimeout") == true)

        let blocking = await runError {
            try await client.runWorkflow(
                app: try app(slow), request: WorkflowRunRequest(inputs: [:], user: "u", responseMode: .blocking))
        }
        #expect(blocking?.code == .timeout)
        #expect(blocking?.retryable == false)
        #expect(blocking?.reason.contains("may still be going on") == true)
    }

    @Test func cancellationStopsTheRequestPromptly() async throws {
        let tag = Self.tag()
        let events = EventCollector()
        let app = try app(["fixture": "stop-stream.http", "cut": "2500", "after": "hang", "tag": tag])
        let client = self.client
        let run = Task {
            try await client.runWorkflow(
                app: app, request: WorkflowRunRequest(inputs: [:], user: "u"), onEvent: events.onEvent)
        }
        #expect(await events.wait(for: "workflow_started"))

        let cancelledAt = Date()
        run.cancel()
        do {
            let outcome = try await run.value
            Issue.record("expected cancellation, got \(outcome.status)")
        } catch let error as DifyError {
            #expect(error.code == .cancelled)
            #expect(error.runID == "f913f51d-e116-4bd8-99bf-7c82357e1beb")
            #expect(error.taskID == "806c86f7-47fe-422f-bd3b-8df6c35cd07b")
            #expect(!error.retryable)
        }
        #expect(Date().timeIntervalSince(cancelledAt) < 5)

        // The server detects the closed connection.
        var closed = false
        for _ in 0..<100 where !closed {
            closed = !(try await server.requests(tag: tag + ":closed")).isEmpty
            if !closed { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(closed)
    }

    @Test func cancelledBeforeStartThrowsCancelled() async throws {
        let app = try app(["fixture": "workflows-run-streaming-success.http"])
        let client = self.client
        let run = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.runWorkflow(app: app, request: WorkflowRunRequest(inputs: [:], user: "u"))
        }
        await #expect(throws: DifyError.self) { try await run.value }
    }

    @Test func manyConcurrentStreamsKeepTheirOwnEvents() async throws {
        let fixtures = ["workflows-run-streaming-success.http", "workflows-run-streaming-iteration.http", "stop-stream.http"]
        let expected = try fixtures.map { try Self.recordedEvents($0).first?.workflowRunID }
        let client = self.client
        let apps = try (0..<60).map { try app(["fixture": fixtures[$0 % 3], "chunk": "300", "delay_ms": "5"]) }

        let runIDs = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for (index, app) in apps.enumerated() {
                group.addTask {
                    let events = EventCollector()
                    let outcome = try await client.runWorkflow(
                        app: app, request: WorkflowRunRequest(inputs: [:], user: "u"), onEvent: events.onEvent)
                    #expect(events.all.allSatisfy { $0.workflowRunID == outcome.runID })
                    return (index, outcome.runID)
                }
            }
            var results: [Int: String?] = [:]
            for try await (index, runID) in group { results[index] = runID }
            return results
        }
        for index in apps.indices {
            #expect(runIDs[index] == expected[index % 3])
        }
    }

    // MARK: - Chat and completion streams

    @Test func chatflowStreamWaitsForBothFinalEvents() async throws {
        let frames = [
            #"{"event":"workflow_started","task_id":"t1","workflow_run_id":"r1","data":{"id":"r1","created_at":1796413527}}"#,
            #"{"event":"node_started","task_id":"t1","workflow_run_id":"r1","data":{"id":"n1","node_id":"llm","node_type":"llm","title":"LLM"}}"#,
            #"{"event":"message","task_id":"t1","message_id":"m1","conversation_id":"c1","answer":"Hel"}"#,
            #"{"event":"message","task_id":"t1","message_id":"m1","conversation_id":"c1","answer":"lo"}"#,
            #"{"event":"node_finished","task_id":"t1","workflow_run_id":"r1","data":{"id":"n1","node_id":"llm","status":"succeeded","execution_metadata":{"total_tokens":12,"total_price":"0.0001","currency":"USD"}}}"#,
            #"{"event":"message_end","task_id":"t1","message_id":"m1","conversation_id":"c1","metadata":{"usage":{"total_tokens":12}}}"#,
            #"{"event":"workflow_finished","task_id":"t1","workflow_run_id":"r1","data":{"id":"r1","status":"succeeded","total_tokens":12,"total_steps":3}}"#,
        ]
        try await server.upload(name: "chatflow", sseBody: frames.map { "data: \($0)\n\n" }.joined())
        let tag = Self.tag()
        let outcome = try await client.runChat(
            app: try app(["fixture": "chatflow", "tag": tag]),
            request: ChatRequest(query: "Hi", inputs: ["x": 1], user: "u", conversationID: "c0"))
        #expect(outcome.status == "succeeded")
        #expect(outcome.answer == "Hello")
        #expect(outcome.runID == "r1")
        #expect(outcome.conversationID == "c1")
        #expect(outcome.totalTokens == 12)
        #expect(outcome.totalSteps == 3)
        #expect(outcome.totalPrice == 0.0001)
        #expect(outcome.nodes.count == 1)

        let sent = try #require(try await server.requests(tag: tag).first)
        #expect(sent.path == "/v1/chat-messages")
        let body = try JSONValue.parse(sent.body ?? "")
        #expect(body["query"] == "Hi")
        #expect(body["conversation_id"] == "c0")
        #expect(body["inputs"] == ["x": 1])
        #expect(body["response_mode"] == "streaming")
    }

    @Test func chatflowWithoutWorkflowFinishedIsBroken() async throws {
        let frames = [
            #"{"event":"workflow_started","task_id":"t2","workflow_run_id":"r2","data":{"id":"r2"}}"#,
            #"{"event":"message","task_id":"t2","message_id":"m2","answer":"partial"}"#,
            #"{"event":"message_end","task_id":"t2","message_id":"m2","metadata":{}}"#,
        ]
        try await server.upload(name: "chatflow-cut", sseBody: frames.map { "data: \($0)\n\n" }.joined())
        let error = await runError {
            try await client.runChat(app: try app(["fixture": "chatflow-cut"]), request: ChatRequest(query: "q", user: "u"))
        }
        #expect(error?.code == .streamBroken)
        #expect(error?.runID == "r2")
        #expect(error?.partialOutcome?.answer == "partial")
    }

    @Test func completionStreamEndsAtMessageEnd() async throws {
        let frames = [
            #"{"event":"message","task_id":"t3","message_id":"m3","answer":"Done"}"#,
            #"{"event":"message_end","task_id":"t3","message_id":"m3","metadata":{"usage":{"total_tokens":5,"latency":0.25}}}"#,
            #"{"event":"tts_message_end","task_id":"t3","message_id":"m3","audio":""}"#,
        ]
        try await server.upload(name: "completion", sseBody: frames.map { "data: \($0)\n\n" }.joined())
        let tag = Self.tag()
        let outcome = try await client.runCompletion(
            app: try app(["fixture": "completion", "tag": tag]), request: CompletionRequest(inputs: ["q": "x"], user: "u"))
        #expect(outcome.answer == "Done")
        #expect(outcome.taskID == "t3")
        #expect(outcome.elapsedMilliseconds == 250)
        #expect(outcome.runID == nil)
        #expect(try await server.requests(tag: tag).first?.path == "/v1/completion-messages")
    }

    @Test func errorEventMidStreamIsClassified() async throws {
        let frames = [
            #"{"event":"workflow_started","task_id":"t4","workflow_run_id":"r4","data":{"id":"r4"}}"#,
            #"{"event":"error","workflow_run_id":"r4","status":400,"code":"provider_quota_exceeded","message":"Your quota has been used up."}"#,
        ]
        try await server.upload(name: "error-event", sseBody: frames.map { "data: \($0)\n\n" }.joined())
        let error = await runError {
            try await client.runWorkflow(app: try app(["fixture": "error-event"]), request: WorkflowRunRequest(inputs: [:], user: "u"))
        }
        #expect(error?.code == .providerError)
        #expect(error?.retryable == false)
        #expect(error?.runID == "r4")
        #expect(error?.taskID == "t4")
        #expect(error?.reason.contains("quota has been used up") == true)
    }

    // MARK: - Blocking

    @Test func blockingSuccessParsesAnswer() async throws {
        let tag = Self.tag()
        let outcome = try await client.runWorkflow(
            app: try app(["fixture": "workflows-run-blocking-success.http", "tag": tag]),
            request: WorkflowRunRequest(inputs: ["topic": "alpha"], user: "sched-user-1", responseMode: .blocking))
        #expect(outcome.status == "succeeded")
        #expect(outcome.runID == "f8e7f04f-a03d-4142-a12b-d5941228ed73")
        #expect(outcome.taskID == "cc0689d5-b5de-41c1-bd07-2eb6fa5a4109")
        #expect(outcome.totalSteps == 4)
        #expect(outcome.elapsedMilliseconds == 37)
        #expect(outcome.finishedAt == Date(timeIntervalSince1970: 1_796_413_527))
        #expect(outcome.outputs?["topic"] == "alpha")
        #expect(outcome.nodes.isEmpty)
        let sent = try #require(try await server.requests(tag: tag).first)
        #expect(try JSONValue.parse(sent.body ?? "")["response_mode"] == "blocking")
    }

    @Test func blockingFailureIsAnOutcome() async throws {
        let outcome = try await client.runWorkflow(
            app: try app(["fixture": "workflows-run-blocking-failure.http"]),
            request: WorkflowRunRequest(inputs: [:], user: "u", responseMode: .blocking))
        #expect(outcome.status == "failed")
        #expect(outcome.error?.hasPrefix("Reached maximum retries") == true)
    }

    @Test func blockingChatAnswerParses() throws {
        let body = #"""
            {"event": "message", "task_id": "t", "id": "m", "message_id": "m", "conversation_id": "c", "mode": "chat",
             "answer": "Hello", "metadata": {"usage": {"total_tokens": 9, "total_price": "0.002", "currency": "USD", "latency": 0.5}},
             "created_at": 1705407629}
            """#
        let outcome = try DifyClient.blockingOutcome(
            Data(body.utf8), kind: .chat, context: DifyRequestContext(app: "a", method: "POST", path: "/chat-messages"))
        #expect(outcome.answer == "Hello")
        #expect(outcome.conversationID == "c")
        #expect(outcome.totalTokens == 9)
        #expect(outcome.totalPrice == 0.002)
        #expect(outcome.elapsedMilliseconds == 500)
        #expect(outcome.status == "succeeded")
    }

    // MARK: - Errors

    @Test func tooManyRequestsIsThrottle() async throws {
        let error = await runError {
            try await client.runWorkflow(
                app: try app(["fixture": "error-concurrency-limit-streaming.http"]),
                request: WorkflowRunRequest(inputs: [:], user: "u"))
        }
        #expect(error?.code == .throttled)
        #expect(error?.isThrottle == true)
        #expect(error?.retryable == true)
        #expect(error?.httpStatus == 400)
    }

    @Test func unauthorizedNamesAppNotKey() async throws {
        let error = await runError {
            try await client.runWorkflow(
                app: try app(["fixture": "error-invalid-api-key.http"]), request: WorkflowRunRequest(inputs: [:], user: "u"))
        }
        #expect(error?.code == .unauthorized)
        #expect(error?.retryable == false)
        #expect(error?.reason.contains("'report-bot'") == true)
        #expect(error?.reason.contains(Self.apiKey) == false)
        #expect(error.map { "\($0)" }?.contains(Self.apiKey) == false)
    }

    @Test func unknownRouteNamesBaseURL() async throws {
        let error = await runError {
            try await client.runWorkflow(
                app: try app(["fixture": "error-unknown-route.http"]), request: WorkflowRunRequest(inputs: [:], user: "u"))
        }
        #expect(error?.code == .routeNotFound)
        #expect(error?.reason.contains("base_url") == true)
        #expect(error?.reason.contains("text/html") == true)
    }

    @Test func refusedConnectionIsRetryableNetworkError() async throws {
        let port = try FreePort.next()
        let app = try DifyAppEndpoint(name: "down", baseURL: "http://127.0.0.1:\(port)/v1", apiKey: Self.apiKey)
        let error = await runError {
            try await client.runWorkflow(app: app, request: WorkflowRunRequest(inputs: [:], user: "u"))
        }
        #expect(error?.code == .network)
        #expect(error?.retryable == true)
        #expect(error?.reason.contains("'down'") == true)
    }

    @Test func emptyUserIsRejectedBeforeSending() async throws {
        let error = await runError {
            try await client.runWorkflow(
                app: try app(["fixture": "workflows-run-streaming-success.http"]),
                request: WorkflowRunRequest(inputs: [:], user: " "))
        }
        #expect(error?.code == .invalidRequest)
    }

    // MARK: - Other endpoints

    @Test func stopTaskPostsUser() async throws {
        for (kind, path) in [
            (DifyAppKind.workflow, "/v1/workflows/tasks/task-1/stop"), (.chatflow, "/v1/chat-messages/task-1/stop"),
            (.completion, "/v1/completion-messages/task-1/stop"),
        ] {
            let tag = Self.tag()
            try await client.stopTask(
                app: try app(["fixture": "stop-response.http", "tag": tag]), taskID: "task-1", user: "sched-user-1",
                kind: kind)
            let sent = try #require(try await server.requests(tag: tag).first)
            #expect(sent.path == path)
            #expect(try JSONValue.parse(sent.body ?? "") == ["user": "sched-user-1"])
        }
        await #expect(throws: DifyError.self) {
            try await client.stopTask(
                app: try app(["fixture": "stop-missing-user.http"]), taskID: "t", user: "u", kind: .workflow)
        }
    }

    @Test func getWorkflowRunReadsRecordedRuns() async throws {
        let runID = "f913f51d-e116-4bd8-99bf-7c82357e1beb"
        let tag = Self.tag()
        let run = try #require(
            try await client.getWorkflowRun(app: try app(["fixture": "get-run-stopped.http", "tag": tag]), runID: runID))
        #expect(run.status == "stopped")
        #expect(run.isFinal)
        #expect(run.inputs?["topic"] == "stopme")
        #expect(run.error == "Aborted: User requested stop")
        #expect(run.finishedAt == Date(timeIntervalSince1970: 1_796_413_584))
        #expect(try await server.requests(tag: tag).first?.path == "/v1/workflows/run/\(runID)")

        let succeeded = try #require(
            try await client.getWorkflowRun(app: try app(["fixture": "get-run-succeeded.http"]), runID: runID))
        #expect(succeeded.outputs?["topic"] == "alpha")
        #expect(succeeded.outcome(taskID: "t").elapsedMilliseconds == 37)

        let unknown = try await client.getWorkflowRun(app: try app(["fixture": "error-unknown-run-id.http"]), runID: runID)
        #expect(unknown == nil)

        await #expect(throws: DifyError.self) {
            _ = try await client.getWorkflowRun(app: try app(["fixture": "error-run-id-not-uuid.http"]), runID: "nope")
        }
    }

    @Test func infoAndParameters() async throws {
        let info = try await client.info(app: try app(["fixture": "info.http"]))
        #expect(info.mode == "workflow")
        #expect(info.kind == .workflow)
        #expect(info.name == "scheduler-fixture-workflow")

        let parameters = try await client.parameters(app: try app(["fixture": "parameters.http"]))
        #expect(parameters.inputs.map(\.name) == ["topic", "fail", "sleep", "mode"])
        #expect(parameters.inputs[0] == DifyInputVariable(kind: "text-input", name: "topic", label: "topic", required: true, maxLength: 256))
        #expect(parameters.inputs[1].options == ["no", "yes"])
        #expect(parameters.inputs[2].kind == "number")
        #expect(parameters.fileUploadEnabled == false)
    }

    @Test func endpointAcceptsTrailingSlashAndHidesKey() throws {
        let endpoint = try DifyAppEndpoint(name: "a", baseURL: "http://dify.internal/v1/", apiKey: Self.apiKey)
        #expect(endpoint.url("/workflows/run").absoluteString == "http://dify.internal/v1/workflows/run")
        #expect(!"\(endpoint)".contains(Self.apiKey))
        #expect(!String(reflecting: endpoint).contains(Self.apiKey))
        var dumped = ""
        dump(endpoint, to: &dumped)
        #expect(!dumped.contains(Self.apiKey))

        #expect(throws: DifyError.self) { try DifyAppEndpoint(name: "a", baseURL: "dify.internal/v1", apiKey: "k") }
        #expect(throws: DifyError.self) { try DifyAppEndpoint(name: "a", baseURL: "http://d/v1", apiKey: "k\n") }
    }
}
