import Foundation

/// The kind of Dify app, which decides the endpoints used to run and stop it.
public enum DifyAppKind: String, Sendable, Hashable, CaseIterable {
    /// `POST /workflows/run`, stop with `/workflows/tasks/{task_id}/stop`.
    case workflow
    /// An advanced-chat app: `POST /chat-messages`, with workflow events in its stream.
    case chatflow
    /// A basic chat or agent-chat app: `POST /chat-messages`.
    case chat
    /// `POST /completion-messages`.
    case completion

    /// Maps the `mode` of `GET /info` (`workflow`, `advanced-chat`, `chat`, `agent-chat`,
    /// `completion`); nil for a mode this client does not know.
    public init?(infoMode: String) {
        switch infoMode {
        case "workflow": self = .workflow
        case "advanced-chat": self = .chatflow
        case "chat", "agent-chat": self = .chat
        case "completion": self = .completion
        default: return nil
        }
    }
}

/// What a Dify run ended with, as assembled from its stream or its blocking response.
public struct DifyRunOutcome: Sendable, Hashable {
    public var kind: DifyAppKind
    /// The workflow run id; nil for chat and completion apps without a workflow.
    public var runID: String?
    public var taskID: String?
    public var workflowID: String?
    /// Dify's run status: `succeeded`, `failed`, `stopped`, `partial-succeeded`, `paused`;
    /// `running` while no final event has arrived. Chat and completion responses that reached
    /// `message_end` are `succeeded`.
    public var status: String
    public var outputs: JSONValue?
    public var error: String?
    public var totalTokens: Int64?
    public var totalSteps: Int64?
    public var elapsedMilliseconds: Int64?
    public var createdAt: Date?
    public var finishedAt: Date?
    /// Summed from the nodes' `execution_metadata` when any node reported a price, else from
    /// `message_end` usage; nil when nodes reported more than one currency.
    public var totalPrice: Double?
    public var currency: String?
    /// `text_chunk` texts in arrival order (a workflow's streamed End-node output).
    public var text: String
    /// `message` answer pieces joined (chat and completion apps).
    public var answer: String?
    public var messageID: String?
    public var conversationID: String?
    public var usage: DifyUsage?
    public var exceptionsCount: Int64?
    /// Node executions in the order they started; empty for blocking responses.
    public var nodes: [NodeTrace]

    public init(
        kind: DifyAppKind, runID: String? = nil, taskID: String? = nil, workflowID: String? = nil,
        status: String, outputs: JSONValue? = nil, error: String? = nil, totalTokens: Int64? = nil,
        totalSteps: Int64? = nil, elapsedMilliseconds: Int64? = nil, createdAt: Date? = nil,
        finishedAt: Date? = nil, totalPrice: Double? = nil, currency: String? = nil, text: String = "",
        answer: String? = nil, messageID: String? = nil, conversationID: String? = nil,
        usage: DifyUsage? = nil, exceptionsCount: Int64? = nil, nodes: [NodeTrace] = []
    ) {
        self.kind = kind
        self.runID = runID
        self.taskID = taskID
        self.workflowID = workflowID
        self.status = status
        self.outputs = outputs
        self.error = error
        self.totalTokens = totalTokens
        self.totalSteps = totalSteps
        self.elapsedMilliseconds = elapsedMilliseconds
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.totalPrice = totalPrice
        self.currency = currency
        self.text = text
        self.answer = answer
        self.messageID = messageID
        self.conversationID = conversationID
        self.usage = usage
        self.exceptionsCount = exceptionsCount
        self.nodes = nodes
    }

    /// True for the statuses Dify treats as final.
    public var isFinal: Bool {
        ["succeeded", "failed", "stopped", "partial-succeeded"].contains(status)
    }
}

/// Converts Dify's elapsed seconds to whole milliseconds.
func milliseconds(fromSeconds seconds: Double?) -> Int64? {
    guard let seconds, seconds.isFinite, seconds >= 0, seconds < 9.0e15 else { return nil }
    return Int64((seconds * 1000).rounded())
}
