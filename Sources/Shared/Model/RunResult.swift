import Foundation

/// The final outcome of one trigger, published to the `results` topic keyed by job id.
///
/// Every trigger ends in exactly one result, which carries all its attempts.
public struct RunResult: Codable, Hashable, Sendable {
    public static let currentVersion = 1

    public var version: Int
    public var triggerID: String
    public var jobID: String?
    public var app: String
    public var kind: JobKind?
    public var status: RunStatus
    public var source: TriggerSource?
    public var workflowRunID: String?
    public var taskID: String?
    public var inputs: [String: JSONValue]?
    public var outputs: JSONValue?
    /// True when `inputs` or `outputs` were cut to the size cap.
    public var ioTruncated: Bool?
    /// Chatflow and completion answer, or the text of a workflow's `text_chunk` events.
    public var answer: String?
    /// Chatflow conversation the run's message belongs to: the job's fixed one or a new one.
    public var conversationID: String?
    /// Dify message id of a chatflow or completion run.
    public var messageID: String?
    public var error: RunError?
    public var totalTokens: Int64?
    public var totalPrice: Double?
    public var currency: String?
    public var totalSteps: Int?
    public var scheduledAt: Date?
    public var emittedAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var queueDelayMilliseconds: Int64?
    public var runTimeMilliseconds: Int64?
    public var attempts: [AttemptRecord]?
    public var nodes: [NodeTrace]?
    public var workerID: String?
    /// Who stopped the run, for `stopped` results.
    public var stoppedBy: String?
    /// Set when the worker gave up on a run that may still be going on in Dify.
    public var mayStillRun: Bool?
    public var traceID: String?
    /// The trigger this run re-runs, copied from the trigger.
    public var rerunOf: String?
    /// For `source: chain`: the trigger and job of the run whose end started this one.
    public var parentTriggerID: String?
    public var parentJobID: String?

    public init(triggerID: String, app: String, status: RunStatus) {
        self.version = RunResult.currentVersion
        self.triggerID = triggerID
        self.app = app
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case app, kind, status, source, inputs, outputs, answer, error, currency, attempts, nodes
        case triggerID = "trigger_id"
        case jobID = "job_id"
        case workflowRunID = "workflow_run_id"
        case taskID = "task_id"
        case ioTruncated = "io_truncated"
        case totalTokens = "total_tokens"
        case totalPrice = "total_price"
        case totalSteps = "total_steps"
        case scheduledAt = "scheduled_at"
        case emittedAt = "emitted_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case queueDelayMilliseconds = "queue_delay_ms"
        case runTimeMilliseconds = "run_time_ms"
        case workerID = "worker_id"
        case stoppedBy = "stopped_by"
        case mayStillRun = "may_still_run"
        case traceID = "trace_id"
        case conversationID = "conversation_id"
        case messageID = "message_id"
        case rerunOf = "rerun_of"
        case parentTriggerID = "parent_trigger_id"
        case parentJobID = "parent_job_id"
    }
}

/// Final status of a run.
public enum RunStatus: String, Codable, Hashable, Sendable, CaseIterable {
    case succeeded
    case partialSucceeded = "partial_succeeded"
    case failed
    case stopped
    case timedOut = "timed_out"
    case expired
    case rejected
    case skipped
    case paused

    /// Outcome class for alert rules: success, failure or neither.
    public var outcome: RunOutcomeClass {
        switch self {
        case .succeeded, .partialSucceeded: .success
        case .failed, .timedOut, .expired, .rejected: .failure
        case .stopped, .skipped, .paused: .neither
        }
    }
}

public enum RunOutcomeClass: String, Sendable {
    case success
    case failure
    case neither
}
