import Foundation

/// One run as the records store keeps it: the columns of a result, with the detail fields
/// (inputs, outputs, attempts, node trace) filled only when one run is read.
public struct RunRecord: Codable, Hashable, Sendable {
    public var triggerID: String
    public var jobID: String?
    public var app: String
    public var kind: String?
    public var status: String
    public var source: String?
    public var workflowRunID: String?
    /// The instant the run list is sorted by: scheduled, else emitted, started or finished.
    public var sortAt: Date
    public var scheduledAt: Date?
    public var emittedAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var queueDelayMilliseconds: Int64?
    public var runTimeMilliseconds: Int64?
    public var totalTokens: Int64?
    public var totalPrice: Double?
    public var currency: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var attemptCount: Int
    public var nodeCount: Int
    public var workerID: String?
    /// The trigger this run re-runs.
    public var rerunOf: String?

    // Detail fields.
    public var taskID: String?
    public var totalSteps: Int64?
    public var errorRetryable: Bool?
    public var errorNodeID: String?
    public var attempts: JSONValue?
    public var inputs: JSONValue?
    public var outputs: JSONValue?
    public var answer: String?
    /// True when inputs, outputs or the answer were cut to the size cap.
    public var ioTruncated: Bool?
    public var stoppedBy: String?
    public var mayStillRun: Bool?
    public var traceID: String?
    /// The top-level nodes of the trace; nodes inside iterations and loops are read per round.
    public var nodes: [NodeRecord]?
    /// Trigger ids of the recorded re-runs of this run, oldest first; a re-run is recorded once it ends.
    public var reruns: [String]?
    /// For a chained run: the trigger and job of the run whose end started it.
    public var parentTriggerID: String?
    public var parentJobID: String?
    /// The runs this run's end started through `on_success` or `on_failure`, oldest first.
    public var children: [RunLink]?

    enum CodingKeys: String, CodingKey {
        case app, kind, status, source, currency, attempts, inputs, outputs, answer, nodes, reruns
        case triggerID = "trigger_id"
        case jobID = "job_id"
        case workflowRunID = "workflow_run_id"
        case sortAt = "sort_at"
        case scheduledAt = "scheduled_at"
        case emittedAt = "emitted_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case queueDelayMilliseconds = "queue_delay_ms"
        case runTimeMilliseconds = "run_time_ms"
        case totalTokens = "total_tokens"
        case totalPrice = "total_price"
        case errorCode = "error_code"
        case errorMessage = "error_message"
        case attemptCount = "attempt_count"
        case nodeCount = "node_count"
        case workerID = "worker_id"
        case taskID = "task_id"
        case totalSteps = "total_steps"
        case errorRetryable = "error_retryable"
        case errorNodeID = "error_node_id"
        case ioTruncated = "io_truncated"
        case stoppedBy = "stopped_by"
        case mayStillRun = "may_still_run"
        case traceID = "trace_id"
        case rerunOf = "rerun_of"
        case parentTriggerID = "parent_trigger_id"
        case parentJobID = "parent_job_id"
        case children
    }
}

/// A run named from another run's detail: a chained child.
public struct RunLink: Codable, Hashable, Sendable {
    public var triggerID: String
    public var jobID: String?
    public var status: String
    public var sortAt: Date

    public init(triggerID: String, jobID: String?, status: String, sortAt: Date) {
        self.triggerID = triggerID
        self.jobID = jobID
        self.status = status
        self.sortAt = sortAt
    }

    enum CodingKeys: String, CodingKey {
        case status
        case triggerID = "trigger_id"
        case jobID = "job_id"
        case sortAt = "sort_at"
    }
}

/// One node execution of a stored run.
///
/// Iteration and loop containers carry `rounds`, the number of rounds recorded inside them;
/// their inner nodes name the container in `parentNodeID` and the round in `parentIndex`.
public struct NodeRecord: Codable, Hashable, Sendable {
    /// Position in the run's trace, from 0, in the order Dify reported the nodes.
    public var sequence: Int
    public var executionID: String
    public var nodeID: String
    public var nodeType: String
    public var title: String
    public var status: String
    public var elapsedMilliseconds: Int64?
    public var totalTokens: Int64?
    public var totalPrice: Double?
    public var currency: String?
    public var error: String?
    public var inputs: JSONValue?
    public var outputs: JSONValue?
    public var truncated: Bool
    public var parentNodeID: String?
    public var parentKind: String?
    public var parentIndex: Int?
    public var retries: Int?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var unfinished: Bool?
    public var rounds: Int?

    enum CodingKeys: String, CodingKey {
        case title, status, error, inputs, outputs, truncated, currency, retries, unfinished, rounds
        case sequence = "seq"
        case executionID = "node_execution_id"
        case nodeID = "node_id"
        case nodeType = "node_type"
        case elapsedMilliseconds = "elapsed_ms"
        case totalTokens = "total_tokens"
        case totalPrice = "total_price"
        case parentNodeID = "parent_node_id"
        case parentKind = "parent_kind"
        case parentIndex = "parent_index"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }
}

/// One schedule event as stored.
public struct EventRecord: Codable, Hashable, Sendable {
    public var id: String
    public var time: Date
    public var type: String
    public var jobID: String?
    public var triggerID: String?
    public var app: String?
    public var actor: String?
    public var detail: JSONValue?

    enum CodingKeys: String, CodingKey {
        case id, time, type, app, actor, detail
        case jobID = "job_id"
        case triggerID = "trigger_id"
    }
}

/// One alert as stored.
public struct AlertRecord: Codable, Hashable, Sendable {
    public var id: String
    public var time: Date
    public var kind: String
    public var severity: String
    public var jobID: String?
    public var app: String?
    public var triggerID: String?
    public var status: String?
    public var message: String
    public var channels: JSONValue?
    public var detail: JSONValue?

    enum CodingKeys: String, CodingKey {
        case id, time, kind, severity, app, status, message, channels, detail
        case jobID = "job_id"
        case triggerID = "trigger_id"
    }
}
