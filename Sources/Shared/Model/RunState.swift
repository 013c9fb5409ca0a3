import Foundation

/// Where a trigger's run stands, kept in the compacted `runs` topic keyed by trigger id.
///
/// The worker that owns a trigger partition rebuilds these from the same partition of `runs`
/// and uses them to drop duplicates and to adopt runs a crashed worker had started.
public struct RunState: Codable, Hashable, Sendable {
    public static let currentVersion = 1

    public var version: Int
    public var triggerID: String
    public var jobID: String?
    public var app: String
    public var phase: RunPhase
    /// The attempt this state is about.
    public var attempt: Int
    public var workflowRunID: String?
    public var taskID: String?
    /// The Dify end user that started the run; a stop must send the same one.
    public var user: String?
    public var kind: JobKind?
    public var workerID: String
    public var startedAt: Date?
    public var updatedAt: Date
    /// For `final`: the result's status.
    public var status: RunStatus?
    /// For `final`: the result's `total_tokens`, `total_price` and `currency`, so the next
    /// owner of the partition can rebuild each app's usage of the day for its budget.
    public var totalTokens: Int64?
    public var totalPrice: Double?
    public var currency: String?

    public init(triggerID: String, jobID: String?, app: String, phase: RunPhase, attempt: Int, workerID: String, updatedAt: Date = Date()) {
        self.version = RunState.currentVersion
        self.triggerID = triggerID
        self.jobID = jobID
        self.app = app
        self.phase = phase
        self.attempt = attempt
        self.workerID = workerID
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case app, phase, attempt, user, kind, status, currency
        case totalTokens = "total_tokens"
        case totalPrice = "total_price"
        case triggerID = "trigger_id"
        case jobID = "job_id"
        case workflowRunID = "workflow_run_id"
        case taskID = "task_id"
        case workerID = "worker_id"
        case startedAt = "started_at"
        case updatedAt = "updated_at"
    }
}

public enum RunPhase: String, Codable, Hashable, Sendable, CaseIterable {
    /// The attempt is about to call Dify, or is running (with a run id once Dify sent one).
    case started
    /// The attempt failed and the next one was published with `attempt + 1`.
    case retryScheduled = "retry_scheduled"
    /// The result was published.
    case final
}
