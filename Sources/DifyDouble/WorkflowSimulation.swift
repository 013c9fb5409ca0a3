import Foundation
import Shared

/// Plays one run of the recorded workflow app, emitting its Server-Sent Events with timing.
///
/// The graph is the one recorded from Dify 1.9.2. Start leads to an HTTP node calling a stub,
/// whose delay is the `sleep` input and which, with `fail=yes`, fails, retries once after
/// 200 ms and fails again. IF/ELSE on `mode` then leads to End, or to a time tool and an
/// iteration with one inner HTTP node before End. Frames are batched and handed to `emit` before each wait and at the end,
/// so a run without delays costs two hand-overs.
///
/// - Important: cancelling the task that runs `run()` is how a stop arrives; the outcome then
///   says `stopped` and the last frame is `workflow_finished` with status `failed` and error
///   `Aborted: User requested stop`, as Dify 1.9.2 streams it.
final class WorkflowSimulation: @unchecked Sendable {
    // Used by the one task that runs `run()`; `emit` is the only way out.
    private let setup: RunSetup
    private let emit: @Sendable ([[UInt8]]) -> Void
    private var pending: [[UInt8]] = []
    private var lastFrame = ContinuousClock.now
    private var nodesStarted = 0
    private let started = ContinuousClock.now
    private let framePrefix: [UInt8]

    static let stopMessage = "Aborted: User requested stop"
    private static let pingFrame = Array("event: ping\n\n".utf8)
    private static let stubHost = "127.0.0.1:8765"

    init(setup: RunSetup, emit: @escaping @Sendable ([[UInt8]]) -> Void) {
        self.setup = setup
        self.emit = emit
        framePrefix = Array("\",\"workflow_run_id\":\"\(setup.runID)\",\"task_id\":\"\(setup.taskID)\",\"data\":".utf8)
    }

    // MARK: - The graph

    func run() async -> RunOutcome {
        let now = Self.unixTime()
        event("workflow_started", .object([
            ("id", .string(setup.runID)),
            ("workflow_id", .string(setup.app.workflowID)),
            ("inputs", setup.inputs),
            ("created_at", .int(now)),
        ]))
        flush()

        do {
            return try await runNodes()
        } catch {
            return finish(status: "failed", outputs: .object([]), error: Self.stopMessage, exceptions: 0, stopped: true)
        }
    }

    private func runNodes() async throws -> RunOutcome {
        let start = nodeStarted(id: "start", type: "start", title: "Start")
        nodeFinished(start, inputs: setup.inputs, processData: .object([]), outputs: setup.inputs)

        let http = nodeStarted(id: "http_main", type: "http-request", title: "Call stub")
        let request = stubRequest(path: "/work", query: "topic=\(Self.queryEscape(setup.topic))&fail=\(setup.fail ?? "")&sleep=\(setup.sleepQueryValue)")
        try await wait(seconds: setup.sleepSeconds)
        if setup.hang {
            while true { try await wait(seconds: 3600) }
        }
        if setup.fail == "yes" {
            let url = "http://\(Self.stubHost)/work?topic=\(Self.queryEscape(setup.topic))&fail=yes&sleep=\(setup.sleepQueryValue)"
            let message = "Reached maximum retries (0) for URL \(url)"
            try await wait(seconds: 0.2)
            nodeFinished(http, event: "node_retry", inputs: .object([]), processData: request, outputs: .object([]), status: "retry", error: message, retryIndex: 1)
            try await wait(seconds: setup.sleepSeconds)
            nodeFinished(http, inputs: .object([]), processData: request, outputs: .object([]), status: "failed", error: message)
            // Dify 1.9.2 counts the retry as a step: the recorded failed run reports 3 steps.
            nodesStarted += 1
            return finish(status: "failed", outputs: .object([]), error: message, exceptions: 2, stopped: false)
        }
        let body = stubBody()
        nodeFinished(http, inputs: .object([]), processData: request, outputs: stubOutputs(body))

        let iterate = setup.mode == "iterate"
        let branch = nodeStarted(id: "branch", type: "if-else", title: "IF/ELSE")
        if !iterate {
            textChunk("200", ["http_main", "status_code"])
            textChunk("\n", ["end_plain", "answer"])
            textChunk(body, ["http_main", "body"])
            textChunk("\n", ["end_plain", "answer"])
            textChunk(setup.topic, ["start", "topic"])
        }
        nodeFinished(branch, inputs: branchInputs(), processData: branchProcessData(iterate), outputs: .object([
            ("result", .bool(iterate)), ("selected_case_id", .string(iterate ? "true" : "false")),
        ]))

        if !iterate {
            let outputs: OrderedJSON = .object([("status_code", .int(200)), ("body", .string(body)), ("topic", .string(setup.topic))])
            let end = nodeStarted(id: "end_plain", type: "end", title: "End plain")
            nodeFinished(end, inputs: outputs, processData: .object([]), outputs: outputs)
            return finish(status: "succeeded", outputs: outputs, error: nil, exceptions: 0, stopped: false)
        }
        return try await runIterationBranch(body: body)
    }

    private func runIterationBranch(body: String) async throws -> RunOutcome {
        let time = Self.clockText()
        let clock = nodeStarted(id: "clock", type: "tool", title: "Current Time", extras: .object([
            ("icon", .string("\(setup.publicBaseURL)/console/api/workspaces/current/tool-provider/builtin/time/icon")),
        ]))
        nodeFinished(
            clock, inputs: .object([]), processData: .object([]),
            outputs: .object([("text", .string(time)), ("files", .array([])), ("json", .array([.object([("data", .array([]))])]))]),
            metadata: .object([("tool_info", .object([
                ("provider_type", .string("builtin")), ("provider_id", .string("time")), ("plugin_unique_identifier", .null),
            ]))])
        )

        let iterationStart = ContinuousClock.now
        let iteratorInputs: OrderedJSON = .object([("iterator_selector", .array([.object([("data", .array([]))])]))])
        event("iteration_started", .object([
            ("id", .string("iter")), ("node_id", .string("iter")), ("node_type", .string("iteration")),
            ("title", .string("Iteration")), ("created_at", .int(Self.unixTime())), ("extras", .object([])),
            ("metadata", .object([("iteration_length", .int(1))])), ("inputs", iteratorInputs), ("inputs_truncated", .bool(false)),
        ]))
        event("iteration_next", .object([
            ("id", .string("iter")), ("node_id", .string("iter")), ("node_type", .string("iteration")),
            ("title", .string("Iteration")), ("index", .int(0)), ("created_at", .int(Self.unixTime())), ("extras", .object([])),
        ]))
        let item = nodeStarted(id: "http_item", type: "http-request", title: "Per-item call", iterationID: "iter")
        let request = stubRequest(path: "/item", query: "topic=\(Self.queryEscape(setup.topic))&index=0&sleep=\(setup.sleepQueryValue)")
        try await wait(seconds: setup.sleepSeconds)
        nodeFinished(
            item, inputs: .object([]), processData: request, outputs: stubOutputs(body),
            metadata: .object([("iteration_id", .string("iter")), ("iteration_index", .int(0))])
        )
        let iterationElapsed = Self.seconds(since: iterationStart)
        let finishedAt = Self.unixTime()
        event("iteration_completed", .object([
            ("id", .string("iter")), ("node_id", .string("iter")), ("node_type", .string("iteration")),
            ("title", .string("Iteration")), ("outputs", .object([("output", .array([.string(body)]))])),
            ("outputs_truncated", .bool(false)), ("created_at", .int(finishedAt)), ("extras", .object([])),
            ("inputs", iteratorInputs), ("inputs_truncated", .bool(false)), ("status", .string("succeeded")),
            ("error", .null), ("elapsed_time", .double(iterationElapsed)), ("total_tokens", .int(0)),
            ("execution_metadata", .object([
                ("total_tokens", .int(0)), ("total_price", .string("0.0")), ("currency", .string("USD")),
                ("iteration_duration_map", .object([("0", .double(iterationElapsed))])),
            ])),
            ("finished_at", .int(finishedAt)), ("steps", .int(1)),
        ]))

        textChunk("200", ["http_main", "status_code"])
        textChunk("\n", ["end_iter", "answer"])
        textChunk(time, ["clock", "text"])
        textChunk("", ["clock", "text"])
        textChunk("\n", ["end_iter", "answer"])
        textChunk("- " + body, ["iter", "output"])

        let outputs: OrderedJSON = .object([("status_code", .int(200)), ("time", .string(time)), ("items", .array([.string(body)]))])
        let end = nodeStarted(id: "end_iter", type: "end", title: "End iterate")
        nodeFinished(end, inputs: outputs, processData: .object([]), outputs: outputs)
        return finish(status: "succeeded", outputs: outputs, error: nil, exceptions: 0, stopped: false)
    }

    // MARK: - Events

    private struct StartedNode {
        let executionID: String
        let nodeID: String
        let type: String
        let title: String
        let iterationID: String?
        let createdAt: Int
        let started: ContinuousClock.Instant
    }

    private func nodeStarted(id: String, type: String, title: String, extras: OrderedJSON = .object([]), iterationID: String? = nil) -> StartedNode {
        nodesStarted += 1
        let node = StartedNode(
            executionID: UUID().uuidString.lowercased(), nodeID: id, type: type, title: title,
            iterationID: iterationID, createdAt: Self.unixTime(), started: .now
        )
        event("node_started", .object([
            ("id", .string(node.executionID)), ("node_id", .string(id)), ("node_type", .string(type)),
            ("title", .string(title)), ("index", .int(1)), ("predecessor_node_id", .null), ("inputs", .null),
            ("inputs_truncated", .bool(false)), ("created_at", .int(node.createdAt)), ("extras", extras),
            ("iteration_id", .optionalString(iterationID)), ("loop_id", .null), ("agent_strategy", .null),
        ]))
        return node
    }

    private func nodeFinished(
        _ node: StartedNode,
        event name: String = "node_finished",
        inputs: OrderedJSON,
        processData: OrderedJSON,
        outputs: OrderedJSON,
        status: String = "succeeded",
        error: String? = nil,
        metadata: OrderedJSON = .null,
        retryIndex: Int? = nil
    ) {
        var members: [(String, OrderedJSON)] = [
            ("id", .string(node.executionID)), ("node_id", .string(node.nodeID)), ("node_type", .string(node.type)),
            ("title", .string(node.title)), ("index", .int(1)), ("predecessor_node_id", .null), ("inputs", inputs),
            ("inputs_truncated", .bool(false)), ("process_data", processData), ("process_data_truncated", .bool(false)),
            ("outputs", outputs), ("outputs_truncated", .bool(false)), ("status", .string(status)),
            ("error", .optionalString(error)), ("elapsed_time", .double(Self.seconds(since: node.started))),
            ("execution_metadata", metadata), ("created_at", .int(node.createdAt)), ("finished_at", .int(Self.unixTime())),
            ("files", .array([])), ("iteration_id", .optionalString(node.iterationID)), ("loop_id", .null),
        ]
        if let retryIndex { members.append(("retry_index", .int(retryIndex))) }
        event(name, .object(members))
    }

    private func textChunk(_ text: String, _ selector: [String]) {
        event("text_chunk", .object([("text", .string(text)), ("from_variable_selector", .array(selector.map(OrderedJSON.string)))]))
    }

    private func finish(status: String, outputs: OrderedJSON, error: String?, exceptions: Int, stopped: Bool) -> RunOutcome {
        let outcome = RunOutcome(
            status: stopped ? "stopped" : status,
            streamStatus: status,
            outputs: outputs,
            error: error,
            elapsed: Self.seconds(since: started),
            totalTokens: setup.tokens,
            totalSteps: nodesStarted,
            exceptionsCount: exceptions,
            finishedAt: Date()
        )
        event("workflow_finished", .object([
            ("id", .string(setup.runID)), ("workflow_id", .string(setup.app.workflowID)), ("status", .string(status)),
            ("outputs", outputs), ("error", .optionalString(error)), ("elapsed_time", .double(outcome.elapsed)),
            ("total_tokens", .int(setup.tokens)), ("total_steps", .int(nodesStarted)),
            ("created_by", .object([("id", .string(setup.endUserID)), ("user", .string(setup.user))])),
            ("created_at", .int(Int(setup.createdAt.timeIntervalSince1970))), ("finished_at", .int(Self.unixTime())),
            ("exceptions_count", .int(exceptions)), ("files", .array([])),
        ]))
        flush()
        return outcome
    }

    private func event(_ name: String, _ data: OrderedJSON) {
        var frame: [UInt8] = Array("data: {\"event\":\"".utf8)
        frame.reserveCapacity(1024)
        frame.append(contentsOf: name.utf8)
        frame.append(contentsOf: framePrefix)
        data.write(to: &frame, style: .compact)
        frame.append(contentsOf: "}\n\n".utf8)
        pending.append(frame)
    }

    private func flush() {
        guard !pending.isEmpty else { return }
        emit(pending)
        pending = []
        lastFrame = .now
    }

    /// Waits `seconds`, sending `event: ping` after each ping interval without other frames.
    private func wait(seconds: Double) async throws {
        flush()
        guard seconds > 0 else { return }
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while true {
            let nextPing = lastFrame + setup.pingInterval
            if nextPing >= deadline {
                try await Task.sleep(until: deadline, clock: .continuous)
                return
            }
            try await Task.sleep(until: nextPing, clock: .continuous)
            pending.append(Self.pingFrame)
            flush()
        }
    }

    // MARK: - Stub node values

    private func stubRequest(path: String, query: String) -> OrderedJSON {
        .object([("request", .string("GET \(path)?\(query) HTTP/1.1\r\nHost: \(Self.stubHost)\r\n\r\n"))])
    }

    private func stubBody() -> String {
        let topic = setup.topic
        return OrderedJSON.object([
            ("ok", .bool(true)), ("topic", .string(topic)), ("slept", .double(setup.sleepSeconds)),
            ("items", .array([.string("\(topic)-1"), .string("\(topic)-2"), .string("\(topic)-3")])),
        ]).text(.python)
    }

    private func stubOutputs(_ body: String) -> OrderedJSON {
        .object([
            ("status_code", .int(200)),
            ("body", .string(body)),
            ("headers", .object([
                ("content-length", .string(String(body.utf8.count))), ("content-type", .string("application/json")),
                ("date", .string(Self.httpDate())), ("server", .string("BaseHTTP/0.6 Python/3.11.7")),
            ])),
            ("files", .array([])),
        ])
    }

    private func branchInputs() -> OrderedJSON {
        .object([("conditions", .array([.object([
            ("actual_value", .optionalString(setup.mode)), ("comparison_operator", .string("is")), ("expected_value", .string("iterate")),
        ])]))])
    }

    private func branchProcessData(_ result: Bool) -> OrderedJSON {
        .object([("condition_results", .array([.object([
            ("final_result", .bool(result)),
            ("group", .object([
                ("case_id", .string("true")),
                ("conditions", .array([.object([
                    ("comparison_operator", .string("is")), ("sub_variable_condition", .null),
                    ("value", .string("iterate")), ("variable_selector", .array([.string("start"), .string("mode")])),
                ])])),
                ("logical_operator", .string("and")),
            ])),
            ("results", .array([.bool(result)])),
        ])]))])
    }

    // MARK: - Formatting

    static func unixTime() -> Int { Int(Date().timeIntervalSince1970) }

    static func seconds(since instant: ContinuousClock.Instant) -> Double {
        let (seconds, attoseconds) = (ContinuousClock.now - instant).components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return (value * 1_000_000).rounded() / 1_000_000
    }

    /// Escapes a query value as the stub URL shows it: unreserved characters stay, space is `+`.
    static func queryEscape(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                result += "+"
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    /// Current UTC time as the builtin time tool prints it (`2026-12-04 19:45:28`).
    static func clockText() -> String {
        format("%Y-%m-%d %H:%M:%S")
    }

    /// Current time as an HTTP `Date` header value.
    static func httpDate() -> String {
        format("%a, %d %b %Y %H:%M:%S GMT")
    }

    private static func format(_ pattern: String) -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, pattern, &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The end state of a simulated run.
struct RunOutcome: Sendable {
    /// Status `GET /v1/workflows/run/{id}` reports (`stopped` after a stop).
    let status: String
    /// Status the stream's `workflow_finished` carried (`failed` after a stop).
    let streamStatus: String
    let outputs: OrderedJSON
    let error: String?
    let elapsed: Double
    let totalTokens: Int
    let totalSteps: Int
    let exceptionsCount: Int
    let finishedAt: Date
}
