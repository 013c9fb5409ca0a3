import Foundation

/// `response_mode` of a run request.
public enum DifyResponseMode: String, Sendable, Hashable {
    /// Server-Sent Events as the run goes; the only mode in which a run can be stopped.
    case streaming
    /// One JSON response when the run ends; Dify Cloud cuts such calls after about 100 s.
    case blocking
}

/// The body of `POST /workflows/run` (or `/workflows/{workflow_id}/run`).
public struct WorkflowRunRequest: Sendable, Hashable {
    /// Values keyed by the Start node's variable names.
    public var inputs: [String: JSONValue]
    /// The end-user id Dify records; stopping the run later needs the same value.
    public var user: String
    public var responseMode: DifyResponseMode
    /// Sent as `trace_id` and `X-Trace-Id` when it matches `^[a-zA-Z0-9\-_]{1,128}$`, else left out.
    public var traceID: String?
    /// File objects (`{type, transfer_method, url | upload_file_id}`), sent as `files`.
    public var files: [JSONValue]?
    /// Runs this published workflow version through `/workflows/{workflow_id}/run`.
    public var workflowID: String?

    public init(
        inputs: [String: JSONValue], user: String, responseMode: DifyResponseMode = .streaming,
        traceID: String? = nil, files: [JSONValue]? = nil, workflowID: String? = nil
    ) {
        self.inputs = inputs
        self.user = user
        self.responseMode = responseMode
        self.traceID = traceID
        self.files = files
        self.workflowID = workflowID
    }
}

/// The body of `POST /chat-messages`, for chatflow, chat and agent-chat apps.
public struct ChatRequest: Sendable, Hashable {
    public var query: String
    public var inputs: [String: JSONValue]
    public var user: String
    public var responseMode: DifyResponseMode
    /// Continues this conversation; nil or empty starts a new one.
    public var conversationID: String?
    public var traceID: String?
    public var files: [JSONValue]?
    /// Chatflow only: runs this published workflow version.
    public var workflowID: String?
    /// Whether Dify names a new conversation from its first message; nil leaves Dify's default.
    public var autoGenerateName: Bool?

    public init(
        query: String, inputs: [String: JSONValue] = [:], user: String, responseMode: DifyResponseMode = .streaming,
        conversationID: String? = nil, traceID: String? = nil, files: [JSONValue]? = nil,
        workflowID: String? = nil, autoGenerateName: Bool? = nil
    ) {
        self.query = query
        self.inputs = inputs
        self.user = user
        self.responseMode = responseMode
        self.conversationID = conversationID
        self.traceID = traceID
        self.files = files
        self.workflowID = workflowID
        self.autoGenerateName = autoGenerateName
    }
}

/// The body of `POST /completion-messages`.
public struct CompletionRequest: Sendable, Hashable {
    public var inputs: [String: JSONValue]
    public var user: String
    public var responseMode: DifyResponseMode
    public var traceID: String?
    public var files: [JSONValue]?

    public init(
        inputs: [String: JSONValue], user: String, responseMode: DifyResponseMode = .streaming,
        traceID: String? = nil, files: [JSONValue]? = nil
    ) {
        self.inputs = inputs
        self.user = user
        self.responseMode = responseMode
        self.traceID = traceID
        self.files = files
    }
}

enum DifyTraceID {
    /// True when `value` matches Dify's `^[a-zA-Z0-9\-_]{1,128}$`.
    static func isValid(_ value: String) -> Bool {
        let bytes = value.utf8
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}
