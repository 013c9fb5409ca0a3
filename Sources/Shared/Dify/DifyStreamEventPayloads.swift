import Foundation

// The payload types of `DifyStreamEvent`. Each keeps the members a scheduler uses, typed,
// and the raw JSON where the shape is free-form (inputs, outputs, metadata).

/// `workflow_started`: the run exists in Dify from here on.
public struct DifyWorkflowStarted: Sendable, Hashable {
    public var taskID: String?
    /// The workflow run id (`data.id`, else the envelope's `workflow_run_id`).
    public var runID: String?
    public var workflowID: String?
    public var inputs: JSONValue?
    public var createdAt: Date?
    /// `initial` or `resumption` in newer Dify releases.
    public var reason: String?

    init(json: JSONValue, data: JSONValue) {
        taskID = json.text("task_id")
        runID = data.text("id") ?? json.text("workflow_run_id")
        workflowID = data.text("workflow_id")
        inputs = data.present("inputs")
        createdAt = data.date("created_at")
        reason = data.text("reason")
    }
}

/// `node_started`, `node_finished` and `node_retry`.
public struct DifyNodeEvent: Sendable, Hashable {
    public var taskID: String?
    public var workflowRunID: String?
    /// The node execution id (`data.id`).
    public var executionID: String?
    public var nodeID: String?
    public var nodeType: String?
    public var title: String?
    public var index: Int64?
    public var predecessorNodeID: String?
    public var inputs: JSONValue?
    public var processData: JSONValue?
    public var outputs: JSONValue?
    public var status: String?
    public var error: String?
    /// Seconds, as Dify reports them.
    public var elapsedTime: Double?
    public var executionMetadata: JSONValue?
    public var totalTokens: Int64?
    public var totalPrice: Double?
    public var currency: String?
    public var createdAt: Date?
    public var finishedAt: Date?
    /// The iteration node's id when this node runs inside an iteration.
    public var iterationID: String?
    /// The iteration round (from 0), from `data.iteration_index` or `execution_metadata`.
    public var iterationIndex: Int?
    public var loopID: String?
    public var loopIndex: Int?
    /// `node_retry` only: which retry this is, as Dify counts it.
    public var retryIndex: Int?
    /// True when Dify cut inputs, process data or outputs (`*_truncated`).
    public var truncated: Bool

    init(taskID: String?, workflowRunID: String?, data: JSONValue) {
        self.taskID = taskID
        self.workflowRunID = workflowRunID
        executionID = data.text("id")
        nodeID = data.text("node_id")
        nodeType = data.text("node_type")
        title = data.text("title")
        index = data.integer("index")
        predecessorNodeID = data.text("predecessor_node_id")
        inputs = data.present("inputs")
        processData = data.present("process_data")
        outputs = data.present("outputs")
        status = data.text("status")
        error = data.text("error")
        elapsedTime = data.number("elapsed_time")

        let metadata = data.present("execution_metadata")
        executionMetadata = metadata
        totalTokens = metadata?.integer("total_tokens")
        totalPrice = metadata?.number("total_price")
        currency = metadata?.text("currency")

        createdAt = data.date("created_at")
        finishedAt = data.date("finished_at")
        iterationID = data.text("iteration_id") ?? metadata?.text("iteration_id")
        iterationIndex = (data.integer("iteration_index") ?? metadata?.integer("iteration_index")).map { Int($0) }
        loopID = data.text("loop_id") ?? metadata?.text("loop_id")
        loopIndex = (data.integer("loop_index") ?? metadata?.integer("loop_index")).map { Int($0) }
        retryIndex = data.integer("retry_index").map { Int($0) }
        truncated =
            data.flag("inputs_truncated") == true || data.flag("outputs_truncated") == true
            || data.flag("process_data_truncated") == true
    }
}

/// `iteration_*` and `loop_*` events. Dify 1.9.2 sends the container node's id as `id`.
public struct DifyContainerEvent: Sendable, Hashable {
    public var taskID: String?
    public var workflowRunID: String?
    public var id: String?
    public var nodeID: String?
    public var nodeType: String?
    public var title: String?
    /// `*_next` only: the round that starts, from 0.
    public var index: Int?
    public var inputs: JSONValue?
    public var outputs: JSONValue?
    public var status: String?
    public var error: String?
    public var elapsedTime: Double?
    public var totalTokens: Int64?
    public var totalPrice: Double?
    public var currency: String?
    public var steps: Int64?
    /// `iteration_length` or `loop_length` from `data.metadata`, when given.
    public var length: Int?
    public var createdAt: Date?
    public var finishedAt: Date?
    /// The enclosing iteration or loop, for a container nested in another, when Dify sends it.
    public var iterationID: String?
    public var loopID: String?
    public var truncated: Bool

    init(taskID: String?, workflowRunID: String?, data: JSONValue) {
        self.taskID = taskID
        self.workflowRunID = workflowRunID
        id = data.text("id")
        nodeID = data.text("node_id")
        nodeType = data.text("node_type")
        title = data.text("title")
        index = data.integer("index").map { Int($0) }
        inputs = data.present("inputs")
        outputs = data.present("outputs")
        status = data.text("status")
        error = data.text("error")
        elapsedTime = data.number("elapsed_time")

        let metadata = data.present("execution_metadata")
        totalTokens = data.integer("total_tokens") ?? metadata?.integer("total_tokens")
        totalPrice = metadata?.number("total_price")
        currency = metadata?.text("currency")
        steps = data.integer("steps")
        let lengths = data.present("metadata")
        length = (lengths?.integer("iteration_length") ?? lengths?.integer("loop_length")).map { Int($0) }

        createdAt = data.date("created_at")
        finishedAt = data.date("finished_at")
        iterationID = data.text("iteration_id")
        loopID = data.text("loop_id")
        truncated = data.flag("inputs_truncated") == true || data.flag("outputs_truncated") == true
    }
}

/// `text_chunk` and `text_replace`.
public struct DifyTextChunk: Sendable, Hashable {
    public var taskID: String?
    public var workflowRunID: String?
    public var text: String
    public var fromVariableSelector: [String]?

    init(taskID: String?, workflowRunID: String?, data: JSONValue) {
        self.taskID = taskID
        self.workflowRunID = workflowRunID
        text = data.text("text") ?? ""
        fromVariableSelector = data.texts("from_variable_selector")
    }
}

/// `workflow_finished` and `workflow_paused`: the run-level summary.
public struct DifyWorkflowSummary: Sendable, Hashable {
    public var taskID: String?
    public var runID: String?
    public var workflowID: String?
    /// `succeeded`, `failed`, `stopped`, `partial-succeeded` or `paused`.
    public var status: String?
    public var outputs: JSONValue?
    public var error: String?
    public var elapsedTime: Double?
    public var totalTokens: Int64?
    public var totalSteps: Int64?
    public var createdAt: Date?
    public var finishedAt: Date?
    public var exceptionsCount: Int64?
    /// `workflow_paused` only: the nodes waiting, and why.
    public var pausedNodes: [String]?
    public var reasons: JSONValue?

    init(json: JSONValue, data: JSONValue) {
        taskID = json.text("task_id")
        runID = data.text("id") ?? json.text("workflow_run_id")
        workflowID = data.text("workflow_id")
        status = data.text("status")
        outputs = data.present("outputs")
        error = data.text("error")
        elapsedTime = data.number("elapsed_time")
        totalTokens = data.integer("total_tokens")
        totalSteps = data.integer("total_steps")
        createdAt = data.date("created_at")
        finishedAt = data.date("finished_at")
        exceptionsCount = data.integer("exceptions_count")
        pausedNodes = data.texts("paused_nodes")
        reasons = data.present("reasons")
    }
}

/// The `error` event that ends a stream: `{event, workflow_run_id, status, code, message}`.
public struct DifyStreamError: Sendable, Hashable {
    public var taskID: String?
    public var workflowRunID: String?
    public var messageID: String?
    /// The HTTP status Dify would have returned.
    public var status: Int?
    public var code: String?
    public var message: String?

    init(json: JSONValue) {
        let data = json.present("data")
        taskID = json.text("task_id")
        workflowRunID = json.text("workflow_run_id")
        messageID = json.text("message_id")
        status = (json.integer("status") ?? data?.integer("status")).map { Int($0) }
        code = json.text("code") ?? data?.text("code")
        message = json.text("message") ?? data?.text("message")
    }
}

/// `message` and `agent_message` (a piece of the answer) and `message_replace` (the whole answer).
public struct DifyMessageChunk: Sendable, Hashable {
    public var taskID: String?
    public var workflowRunID: String?
    public var messageID: String?
    public var conversationID: String?
    public var answer: String
    public var createdAt: Date?

    init(json: JSONValue) {
        taskID = json.text("task_id")
        workflowRunID = json.text("workflow_run_id")
        messageID = json.text("message_id") ?? json.text("id")
        conversationID = json.text("conversation_id")
        answer = json.text("answer") ?? ""
        createdAt = json.date("created_at")
    }
}

/// `metadata.usage` of `message_end` and of blocking chat responses.
public struct DifyUsage: Sendable, Hashable {
    public var promptTokens: Int64?
    public var completionTokens: Int64?
    public var totalTokens: Int64?
    public var totalPrice: Double?
    public var currency: String?
    /// Seconds.
    public var latency: Double?

    init(json: JSONValue) {
        promptTokens = json.integer("prompt_tokens")
        completionTokens = json.integer("completion_tokens")
        totalTokens = json.integer("total_tokens")
        totalPrice = json.number("total_price")
        currency = json.text("currency")
        latency = json.number("latency")
    }
}

/// `message_end`: the answer is complete.
public struct DifyMessageEnd: Sendable, Hashable {
    public var taskID: String?
    public var workflowRunID: String?
    public var messageID: String?
    public var conversationID: String?
    public var usage: DifyUsage?
    public var metadata: JSONValue?

    init(json: JSONValue) {
        taskID = json.text("task_id")
        workflowRunID = json.text("workflow_run_id")
        messageID = json.text("message_id") ?? json.text("id")
        conversationID = json.text("conversation_id")
        metadata = json.present("metadata")
        usage = metadata?.present("usage").map(DifyUsage.init(json:))
    }
}

/// `agent_log`: a step of an agent node.
public struct DifyAgentLog: Sendable, Hashable {
    public var taskID: String?
    public var nodeExecutionID: String?
    public var id: String?
    public var label: String?
    public var parentID: String?
    public var status: String?
    public var error: String?
    public var nodeID: String?
    public var data: JSONValue?

    init(taskID: String?, data: JSONValue) {
        self.taskID = taskID
        nodeExecutionID = data.text("node_execution_id")
        id = data.text("id")
        label = data.text("label")
        parentID = data.text("parent_id")
        status = data.text("status")
        error = data.text("error")
        nodeID = data.text("node_id")
        self.data = data.present("data")
    }
}

/// `tts_message` (a base64 audio piece) and `tts_message_end`.
public struct DifyTTSChunk: Sendable, Hashable {
    public var taskID: String?
    public var messageID: String?
    public var audio: String
    public var isEnd: Bool
    public var createdAt: Date?

    init(json: JSONValue, isEnd: Bool) {
        taskID = json.text("task_id")
        messageID = json.text("message_id")
        audio = json.text("audio") ?? ""
        self.isEnd = isEnd
        createdAt = json.date("created_at")
    }
}
