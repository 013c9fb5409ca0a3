import Foundation

/// Builds a run's node trace and final outcome from its stream events.
///
/// Feed every event in arrival order with `consume(_:)`. Nodes inside an iteration or a loop
/// get the container's node id, its kind and the round (from the node event's own
/// `iteration_index`/`loop_index` when Dify sends one, else from the last `iteration_next`
/// or `loop_next`). `node_retry` events count as retries of their node. When the run ends,
/// nodes that started and never finished are marked `unfinished`, because Dify 1.9.2 sends
/// no `node_finished` for the node that was running when a run was stopped.
///
/// A workflow run is finished at `workflow_finished`. A chatflow (a chat stream that carries
/// `workflow_started`) waits for both `workflow_finished` and `message_end`, in either order.
/// Chat and completion apps finish at `message_end`. `error` and `workflow_paused` end any
/// stream.
public struct RunTraceBuilder: Sendable {
    public let kind: DifyAppKind

    public private(set) var runID: String?
    public private(set) var taskID: String?
    /// The `error` event that ended the stream, if one did.
    public private(set) var streamError: DifyStreamError?
    public private(set) var sawWorkflowStarted = false

    private var workflowID: String?
    private var createdAt: Date?
    private var nodes: [NodeTrace] = []
    private var nodeIndexByExecutionID: [String: Int] = [:]
    private var containers: [String: Container] = [:]
    private var text = ""
    private var answer: String?
    private var messageID: String?
    private var conversationID: String?
    private var summary: DifyWorkflowSummary?
    private var paused = false
    private var messageEnd: DifyMessageEnd?

    private struct Container {
        var traceIndex: Int
        var kind: String
        var round: Int?
    }

    public init(kind: DifyAppKind = .workflow) {
        self.kind = kind
    }

    /// True once the events that end this kind of stream have all arrived.
    public var isFinished: Bool {
        if streamError != nil || paused { return true }
        let needsWorkflow = kind == .workflow || kind == .chatflow || sawWorkflowStarted
        let needsMessage = kind != .workflow
        return (!needsWorkflow || summary != nil) && (!needsMessage || messageEnd != nil)
    }

    /// True when the stream may end here without losing the run's result: it is finished, or
    /// a chatflow's `workflow_finished` arrived and only `message_end` is missing.
    public var canEndHere: Bool {
        isFinished || summary != nil
    }

    // MARK: - Events

    public mutating func consume(_ event: DifyStreamEvent) {
        if taskID == nil, let id = event.taskID { taskID = id }
        if runID == nil, let id = event.workflowRunID { runID = id }

        switch event {
        case .workflowStarted(let started):
            sawWorkflowStarted = true
            runID = started.runID ?? runID
            taskID = started.taskID ?? taskID
            workflowID = started.workflowID
            createdAt = started.createdAt
        case .nodeStarted(let node):
            startNode(node)
        case .nodeFinished(let node):
            finishNode(node)
        case .nodeRetry(let node):
            retryNode(node)
        case .iterationStarted(let container):
            startContainer(container, kind: "iteration")
        case .loopStarted(let container):
            startContainer(container, kind: "loop")
        case .iterationNext(let container), .loopNext(let container):
            advanceContainer(container)
        case .iterationCompleted(let container), .loopCompleted(let container):
            completeContainer(container)
        case .textChunk(let chunk):
            text += chunk.text
        case .textReplace(let chunk):
            text = chunk.text
        case .workflowFinished(let finished):
            summary = finished
            runID = finished.runID ?? runID
        case .workflowPaused(let pausedSummary):
            summary = pausedSummary
            paused = true
        case .error(let error):
            streamError = error
        case .message(let chunk):
            answer = (answer ?? "") + chunk.answer
            messageID = chunk.messageID ?? messageID
            conversationID = chunk.conversationID ?? conversationID
        case .messageReplace(let chunk):
            answer = chunk.answer
        case .messageEnd(let end):
            messageEnd = end
            messageID = end.messageID ?? messageID
            conversationID = end.conversationID ?? conversationID
        case .agentLog, .tts, .ping, .unknown:
            break
        }
    }

    // MARK: - Nodes

    private mutating func startNode(_ event: DifyNodeEvent) {
        let executionID = event.executionID ?? "\(event.nodeID ?? "node")#\(nodes.count)"
        var trace = NodeTrace(
            executionID: executionID,
            nodeID: event.nodeID ?? "",
            nodeType: event.nodeType ?? "",
            title: event.title ?? "",
            status: event.status ?? "running",
            inputs: event.inputs,
            startedAt: event.createdAt?.unixSeconds
        )
        setParent(of: &trace, from: event)
        if let index = nodeIndexByExecutionID[executionID] {
            nodes[index] = trace
        } else {
            nodeIndexByExecutionID[executionID] = nodes.count
            nodes.append(trace)
        }
    }

    private mutating func finishNode(_ event: DifyNodeEvent) {
        let index = traceIndex(for: event)
        var trace = nodes[index]
        trace.status = event.status ?? "succeeded"
        trace.error = event.error
        trace.elapsedMilliseconds = milliseconds(fromSeconds: event.elapsedTime)
        trace.totalTokens = event.totalTokens
        trace.totalPrice = event.totalPrice
        trace.currency = event.currency
        trace.inputs = event.inputs ?? trace.inputs
        trace.outputs = event.outputs
        trace.truncated = event.truncated ? true : nil
        trace.startedAt = trace.startedAt ?? event.createdAt?.unixSeconds
        trace.finishedAt = event.finishedAt?.unixSeconds
        setParent(of: &trace, from: event)
        nodes[index] = trace
    }

    private mutating func retryNode(_ event: DifyNodeEvent) {
        let index = traceIndex(for: event)
        nodes[index].retries = (nodes[index].retries ?? 0) + 1
        nodes[index].error = event.error ?? nodes[index].error
    }

    /// Finds the trace an end or retry event belongs to, by execution id first. Failing that,
    /// it takes the latest running execution of the same node, because older Dify builds gave
    /// retries their own id, and else starts a trace for a node whose start was never seen.
    private mutating func traceIndex(for event: DifyNodeEvent) -> Int {
        if let id = event.executionID, let index = nodeIndexByExecutionID[id] { return index }
        if let nodeID = event.nodeID,
            let index = nodes.lastIndex(where: { $0.nodeID == nodeID && $0.status == "running" })
        {
            if let id = event.executionID { nodeIndexByExecutionID[id] = index }
            return index
        }
        var started = event
        started.status = "running"
        startNode(started)
        return nodes.count - 1
    }

    private func setParent(of trace: inout NodeTrace, from event: DifyNodeEvent) {
        if let parent = event.iterationID {
            trace.parentNodeID = parent
            trace.parentKind = "iteration"
            trace.parentIndex = event.iterationIndex ?? trace.parentIndex ?? containers[parent]?.round
        } else if let parent = event.loopID {
            trace.parentNodeID = parent
            trace.parentKind = "loop"
            trace.parentIndex = event.loopIndex ?? trace.parentIndex ?? containers[parent]?.round
        }
    }

    // MARK: - Iterations and loops

    private mutating func startContainer(_ event: DifyContainerEvent, kind: String) {
        let id = event.id ?? event.nodeID ?? kind
        var trace = NodeTrace(
            executionID: id,
            nodeID: event.nodeID ?? id,
            nodeType: event.nodeType ?? kind,
            title: event.title ?? "",
            status: "running",
            inputs: event.inputs,
            truncated: event.truncated ? true : nil,
            startedAt: event.createdAt?.unixSeconds
        )
        if let parent = event.iterationID ?? event.loopID {
            trace.parentNodeID = parent
            trace.parentKind = event.iterationID != nil ? "iteration" : "loop"
            trace.parentIndex = containers[parent]?.round
        }
        containers[id] = Container(traceIndex: nodes.count, kind: kind, round: nil)
        nodes.append(trace)
    }

    private mutating func advanceContainer(_ event: DifyContainerEvent) {
        let id = event.id ?? event.nodeID ?? ""
        guard var container = containers[id] else { return }
        container.round = event.index ?? (container.round.map { $0 + 1 } ?? 0)
        containers[id] = container
    }

    private mutating func completeContainer(_ event: DifyContainerEvent) {
        let id = event.id ?? event.nodeID ?? ""
        guard let container = containers[id] else { return }
        var trace = nodes[container.traceIndex]
        trace.status = event.status ?? "succeeded"
        trace.error = event.error
        trace.outputs = event.outputs
        trace.inputs = event.inputs ?? trace.inputs
        trace.elapsedMilliseconds = milliseconds(fromSeconds: event.elapsedTime)
        trace.totalTokens = event.totalTokens
        trace.totalPrice = event.totalPrice
        trace.currency = event.currency
        trace.truncated = event.truncated || trace.truncated == true ? true : nil
        trace.finishedAt = event.finishedAt?.unixSeconds
        nodes[container.traceIndex] = trace
    }

    // MARK: - Outcome

    /// Returns the outcome so far. Once a final event arrived, nodes still running are marked
    /// `unfinished`.
    public func outcome() -> DifyRunOutcome {
        var trace = nodes
        if summary != nil || streamError != nil || messageEnd != nil {
            for index in trace.indices where trace[index].status == "running" {
                trace[index].unfinished = true
            }
        }

        var outcome = DifyRunOutcome(
            kind: kind, runID: runID, taskID: taskID, workflowID: summary?.workflowID ?? workflowID,
            status: status, outputs: summary?.outputs, error: errorText,
            totalTokens: summary?.totalTokens ?? messageEnd?.usage?.totalTokens,
            totalSteps: summary?.totalSteps,
            elapsedMilliseconds: milliseconds(fromSeconds: summary?.elapsedTime ?? messageEnd?.usage?.latency),
            createdAt: summary?.createdAt ?? createdAt, finishedAt: summary?.finishedAt,
            text: text, answer: answer, messageID: messageID, conversationID: conversationID,
            usage: messageEnd?.usage, exceptionsCount: summary?.exceptionsCount, nodes: trace
        )
        (outcome.totalPrice, outcome.currency) = price(of: trace)
        return outcome
    }

    private var status: String {
        if streamError != nil { return "failed" }
        if let status = summary?.status { return status }
        if paused { return "paused" }
        if messageEnd != nil { return "succeeded" }
        return "running"
    }

    private var errorText: String? {
        if let streamError {
            let code = streamError.code.map { "\($0): " } ?? ""
            return code + (streamError.message ?? "the stream ended with an error event")
        }
        return summary?.error
    }

    /// Sums the price of nodes outside containers' own totals (an iteration's price already
    /// includes its inner nodes); falls back to `message_end` usage.
    private func price(of trace: [NodeTrace]) -> (Double?, String?) {
        let containerIDs = Set(containers.keys)
        let priced = trace.filter { $0.totalPrice != nil && !containerIDs.contains($0.executionID) }
        guard !priced.isEmpty else { return (messageEnd?.usage?.totalPrice, messageEnd?.usage?.currency) }

        let currencies = Set(priced.compactMap(\.currency))
        guard currencies.count <= 1 else { return (nil, nil) }
        return (priced.reduce(0) { $0 + ($1.totalPrice ?? 0) }, currencies.first)
    }
}
