import Foundation

/// The run whose end triggers a chained job: what the child's `parent.*` placeholders show and
/// what its trigger and record link back to.
public struct ChainParent: Codable, Hashable, Sendable {
    public var jobID: String
    public var triggerID: String
    public var status: RunStatus
    public var outputs: JSONValue?
    /// The chatflow or completion answer, or a workflow's streamed text.
    public var answer: String?
    public var error: RunError?
    /// The parent's scheduled instant, which the child's time placeholders use too, so a chain
    /// started by a daily run covers the same day throughout.
    public var scheduledAt: Date?

    public init(
        jobID: String, triggerID: String, status: RunStatus, outputs: JSONValue? = nil, answer: String? = nil, error: RunError? = nil,
        scheduledAt: Date? = nil
    ) {
        self.jobID = jobID
        self.triggerID = triggerID
        self.status = status
        self.outputs = outputs
        self.answer = answer
        self.error = error
        self.scheduledAt = scheduledAt
    }

    /// The parent of a chain from a final result; nil when the result names no job.
    public init?(result: RunResult) {
        guard let jobID = result.jobID else { return nil }
        self.init(
            jobID: jobID, triggerID: result.triggerID, status: result.status, outputs: result.outputs, answer: result.answer, error: result.error,
            scheduledAt: result.scheduledAt ?? result.emittedAt ?? result.finishedAt)
    }

    enum CodingKeys: String, CodingKey {
        case status, outputs, answer, error
        case jobID = "job_id"
        case triggerID = "trigger_id"
        case scheduledAt = "scheduled_at"
    }
}
