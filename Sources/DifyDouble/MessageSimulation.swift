import Foundation
import Shared

/// Plays one chat-messages (chatflow) or completion-messages run.
///
/// NOTE: nothing of these two modes was recorded from a real Dify; the event names and fields
/// follow Dify's API reference: a chatflow streams `workflow_started`, node events, `message`
/// chunks, `workflow_finished` and `message_end`; a completion app streams `message` chunks and
/// `message_end`. The answer echoes the query (or the topic for completion apps). A chatflow
/// runs three nodes (Start, an LLM node, Answer); with `fail: "yes"` the LLM node fails, the
/// run ends with `workflow_finished` `failed` and an `error` event instead of `message_end`.
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
    /// Node execution ids by node id, so a node's `node_finished` repeats its `node_started` id.
    private var executionIDs: [String: String] = [:]

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
        if endpoint == .chat {
            nodeEvent("node_started", id: "start", type: "start", title: "Start", status: nil)
            nodeEvent("node_finished", id: "start", type: "start", title: "Start", status: "succeeded", outputs: setup.inputs)
            nodeEvent("node_started", id: "llm", type: "llm", title: "LLM", status: nil)
        }
        flush()

        // A hanging run streams the first word of its answer, as a model that stalls mid-answer
        // does, so the client has the task id it needs to stop the run.
        let words = answer.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var sent = 0
        if setup.hang {
            messageEvent("message", [("answer", .string(words[0]))])
            sent = 1
            flush()
        }

        var stopped = false
        do {
            try await Task.sleep(for: .milliseconds(Int64(setup.sleepSeconds * 1000)))
            while setup.hang { try await Task.sleep(for: .seconds(3600)) }
        } catch {
            stopped = true
        }
        if endpoint == .chat, !stopped, setup.fail == "yes" {
            return failChatflow(createdAt: createdAt)
        }
        if endpoint == .chat, !stopped {
            let usage: OrderedJSON = .object([("total_tokens", .int(setup.tokens)), ("total_price", .string(setup.price)), ("currency", .string("USD"))])
            nodeEvent("node_finished", id: "llm", type: "llm", title: "LLM", status: "succeeded", outputs: .object([("text", .string(answer))]), metadata: usage)
            nodeEvent("node_started", id: "answer", type: "answer", title: "Answer", status: nil)
            nodeEvent("node_finished", id: "answer", type: "answer", title: "Answer", status: "succeeded", outputs: .object([("answer", .string(answer))]))
        }

        if !stopped {
            for (index, word) in words.enumerated().dropFirst(sent) {
                messageEvent("message", [("answer", .string(index == 0 ? word : " " + word))])
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
                ("total_tokens", .int(setup.tokens)), ("total_steps", .int(stopped ? 2 : 3)),
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

    /// Ends a chatflow whose LLM node failed.
    ///
    /// NOTE: not recorded. A failed chatflow is assumed to end as Dify's advanced-chat pipeline
    /// reads: `workflow_finished` with `status: "failed"`, then an `error` event, and no
    /// `message_end`.
    private func failChatflow(createdAt: Int) -> RunOutcome {
        let error = "Model invocation failed: the double was asked to fail (fail: yes)"
        let elapsed = WorkflowSimulation.seconds(since: started)
        nodeEvent("node_finished", id: "llm", type: "llm", title: "LLM", status: "failed", error: error)
        workflowEvent("workflow_finished", .object([
            ("id", .string(setup.runID)), ("workflow_id", .string(setup.app.workflowID)),
            ("status", .string("failed")), ("outputs", .object([])), ("error", .string(error)),
            ("elapsed_time", .double(elapsed)), ("total_tokens", .int(0)), ("total_steps", .int(2)),
            ("created_at", .int(createdAt)), ("finished_at", .int(WorkflowSimulation.unixTime())),
            ("exceptions_count", .int(0)), ("files", .array([])),
        ]))
        messageEvent("error", [("status", .int(400)), ("code", .string("invalid_param")), ("message", .string("Run failed: \(error)"))])
        flush()
        return RunOutcome(
            status: "failed", streamStatus: "failed", outputs: .object([]), error: error, elapsed: elapsed,
            totalTokens: 0, totalSteps: 2, exceptionsCount: 0, finishedAt: Date())
    }

    private func nodeEvent(
        _ name: String, id: String, type: String, title: String, status: String?, outputs: OrderedJSON = .null,
        error: String? = nil, metadata: OrderedJSON = .null
    ) {
        var members: [(String, OrderedJSON)] = [
            ("id", .string(executionID(of: id))), ("node_id", .string(id)), ("node_type", .string(type)),
            ("title", .string(title)), ("index", .int(1)), ("predecessor_node_id", .null), ("inputs", .null),
            ("created_at", .int(WorkflowSimulation.unixTime())), ("extras", .object([])),
            ("iteration_id", .null), ("loop_id", .null),
        ]
        if let status {
            members += [
                ("process_data", .null), ("outputs", outputs), ("status", .string(status)), ("error", .optionalString(error)),
                ("elapsed_time", .double(WorkflowSimulation.seconds(since: started))), ("execution_metadata", metadata),
                ("finished_at", .int(WorkflowSimulation.unixTime())), ("files", .array([])),
            ]
        }
        workflowEvent(name, .object(members))
    }

    private func executionID(of nodeID: String) -> String {
        if let known = executionIDs[nodeID] { return known }
        let id = UUID().uuidString.lowercased()
        executionIDs[nodeID] = id
        return id
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
            ("total_price", .string(setup.price)), ("currency", .string("USD")), ("latency", .double(latency)),
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
