import Foundation

/// A run as `GET /workflows/run/{workflow_run_id}` returns it.
public struct DifyWorkflowRun: Sendable, Hashable {
    public var id: String
    public var workflowID: String?
    /// `running`, `succeeded`, `failed`, `stopped`, `partial-succeeded` or `paused`.
    public var status: String
    /// Dify sends inputs and outputs as JSON text; they are parsed, and kept as a string
    /// when the text is not JSON.
    public var inputs: JSONValue?
    public var outputs: JSONValue?
    public var error: String?
    public var totalSteps: Int64?
    public var totalTokens: Int64?
    public var createdAt: Date?
    public var finishedAt: Date?
    /// Seconds.
    public var elapsedTime: Double?

    /// Reads the response; nil when `id` is null, which is how Dify 1.9.2 reports an unknown
    /// run id (HTTP 200 with every field null).
    init?(json: JSONValue) {
        guard let id = json.text("id") else { return nil }
        self.id = id
        workflowID = json.text("workflow_id")
        status = json.text("status") ?? "running"
        inputs = DifyWorkflowRun.embeddedJSON(json.present("inputs"))
        outputs = DifyWorkflowRun.embeddedJSON(json.present("outputs"))
        error = json.text("error")
        totalSteps = json.integer("total_steps")
        totalTokens = json.integer("total_tokens")
        createdAt = json.date("created_at")
        finishedAt = json.date("finished_at")
        elapsedTime = json.number("elapsed_time")
    }

    private static func embeddedJSON(_ value: JSONValue?) -> JSONValue? {
        guard case .string(let text) = value else { return value }
        return (try? JSONValue.parse(text)) ?? value
    }

    /// True for the statuses Dify treats as final.
    public var isFinal: Bool {
        ["succeeded", "failed", "stopped", "partial-succeeded"].contains(status)
    }

    /// Converts the run to an outcome, for a worker that follows a run after its stream broke.
    public func outcome(taskID: String?) -> DifyRunOutcome {
        DifyRunOutcome(
            kind: .workflow, runID: id, taskID: taskID, workflowID: workflowID, status: status, outputs: outputs,
            error: error, totalTokens: totalTokens, totalSteps: totalSteps,
            elapsedMilliseconds: milliseconds(fromSeconds: elapsedTime), createdAt: createdAt, finishedAt: finishedAt
        )
    }
}
