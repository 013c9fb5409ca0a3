import Foundation
import Shared

/// Plays one chat-messages (chatflow) or completion-messages run.
///
/// NOTE: nothing of these two modes was recorded from a real Dify; the event names and fields
/// follow Dify's API reference: a chatflow streams `workflow_started`, node events, `message`
/// chunks, `workflow_finished` and `message_end`; a completion app streams `message` chunks and
/// `message_end`. The answer echoes the query (or the topic for completion apps).
final class MessageSimulation: @unchecked Sendable {
    // Used by the one task that runs `run()`, like ``WorkflowSimulation``.
    enum Endpoint: Sendable {
        case chat
        case completion
    }

    private let setup: RunSetup
    private let endpoint: Endpoint
    private let emit: @Sendable ([[UInt8]]) -> Void
    let messageID = UUID().uuidString.lowercased()
    let conversationID: String
    private var pending: [[UInt8]] = []
    private let started = ContinuousClock.now

    init(setup: RunSetup, endpoint: Endpoint, emit: @escaping @Sendable ([[UInt8]]) -> Void) {
        self.setup = setup
        self.endpoint = endpoint
        self.emit = emit
        conversationID = endpoint == .chat ? (setup.conversationID ?? UUID().uuidString.lowercased()) : ""
    }

    var answer: String {
        endpoint == .chat ? "Echo: \(setup.query)" : "Echo: \(setup.topic)"
    }

    func run() async -> RunOutcome {
        let createdAt = WorkflowSimulation.unixTime()
        if endpoint == .chat {
            workflowEvent("workflow_started", .object([
                ("id", .string(setup.runID)), ("workflow_id", .string(setup.app.workflowID)),
                ("inputs", setup.inputs), ("created_at", .int(createdAt)),
            ]))
        }
        flush()

        var stopped = false
        do {
            try await Task.sleep(for: .milliseconds(Int64(setup.sleepSeconds * 1000)))
            while setup.hang { try await Task.sleep(for: .seconds(3600)) }
        } catch {
            stopped = true
        }

        if !stopped {
            for word in answer.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
                messageEvent("message", [("answer", .string(word.offset == 0 ? String(word.element) : " " + word.element))])
            }
        }
        let elapsed = WorkflowSimulation.seconds(since: started)
        let status = stopped ? "stopped" : "succeeded"
        let outputs: OrderedJSON = stopped ? .object([]) : .object([("answer", .string(answer))])
        if endpoint == .chat {
            workflowEvent("workflow_finished", .object([
                ("id", .string(setup.runID)), ("workflow_id", .string(setup.app.workflowID)),
                ("status", .string(stopped ? "failed" : "succeeded")), ("outputs", outputs),
                ("error", stopped ? .string(WorkflowSimulation.stopMessage) : .null), ("elapsed_time", .double(elapsed)),
                ("total_tokens", .int(setup.tokens)), ("total_steps", .int(2)),
                ("created_at", .int(createdAt)), ("finished_at", .int(WorkflowSimulation.unixTime())),
                ("exceptions_count", .int(0)), ("files", .array([])),
            ]))
        }
        messageEvent("message_end", [("metadata", .object([("usage", usage(latency: elapsed)), ("retriever_resources", .array([]))])), ("files", .null)])
        flush()
        return RunOutcome(
            status: status, streamStatus: stopped ? "failed" : status, outputs: outputs,
            error: stopped ? WorkflowSimulation.stopMessage : nil, elapsed: elapsed, totalTokens: setup.tokens,
            totalSteps: 2, exceptionsCount: 0, finishedAt: Date()
        )
    }

    /// Builds the blocking response: one `message` object with the whole answer and its usage.
    func blockingBody(outcome: RunOutcome) -> OrderedJSON {
        var members: [(String, OrderedJSON)] = [
            ("event", .string("message")), ("task_id", .string(setup.taskID)), ("id", .string(messageID)),
            ("message_id", .string(messageID)),
        ]
        if endpoint == .chat { members.append(("conversation_id", .string(conversationID))) }
        members += [
            ("mode", .string(setup.app.mode.infoMode)),
            ("answer", .string(outcome.status == "succeeded" ? answer : "")),
            ("metadata", .object([("usage", usage(latency: outcome.elapsed)), ("retriever_resources", .array([]))])),
            ("created_at", .int(Int(setup.createdAt.timeIntervalSince1970))),
        ]
        return .object(members)
    }

    private func usage(latency: Double) -> OrderedJSON {
        .object([
            ("prompt_tokens", .int(0)), ("completion_tokens", .int(setup.tokens)), ("total_tokens", .int(setup.tokens)),
            ("total_price", .string("0.0")), ("currency", .string("USD")), ("latency", .double(latency)),
        ])
    }

    private func workflowEvent(_ name: String, _ data: OrderedJSON) {
        frame(.object([
            ("event", .string(name)), ("conversation_id", .string(conversationID)), ("message_id", .string(messageID)),
            ("created_at", .int(WorkflowSimulation.unixTime())), ("task_id", .string(setup.taskID)),
            ("workflow_run_id", .string(setup.runID)), ("data", data),
        ]))
    }

    private func messageEvent(_ name: String, _ fields: [(String, OrderedJSON)]) {
        var members: [(String, OrderedJSON)] = [("event", .string(name))]
        if endpoint == .chat { members.append(("conversation_id", .string(conversationID))) }
        members += [
            ("message_id", .string(messageID)), ("created_at", .int(WorkflowSimulation.unixTime())),
            ("task_id", .string(setup.taskID)), ("id", .string(messageID)),
        ]
        frame(.object(members + fields))
    }

    private func frame(_ value: OrderedJSON) {
        var bytes = Array("data: ".utf8)
        value.write(to: &bytes, style: .compact)
        bytes += Array("\n\n".utf8)
        pending.append(bytes)
    }

    private func flush() {
        guard !pending.isEmpty else { return }
        emit(pending)
        pending = []
    }
}
