import Foundation
import Shared

/// Builds run results from triggers and from what Dify reported.
enum ResultFactory {
    /// Builds a result from the trigger's fields: ids, source, times, and inputs when kept.
    static func base(for trigger: Trigger, workerID: String, settings: RunExecutor.ExecutionSettings) -> RunResult {
        var result = RunResult(triggerID: trigger.id, app: trigger.app, status: .failed)
        result.jobID = trigger.jobID
        result.kind = trigger.effectiveKind
        result.source = trigger.effectiveSource
        result.scheduledAt = trigger.scheduledAt
        result.emittedAt = trigger.emittedAt
        result.traceID = trigger.traceID
        result.rerunOf = trigger.rerunOf
        result.parentTriggerID = trigger.parentTriggerID
        result.parentJobID = trigger.parentJobID
        result.workerID = workerID
        if trigger.policy?.storeIO ?? true, let inputs = trigger.inputs {
            let (capped, truncated) = JSONValue.object(inputs).capped(maxBytes: settings.maxOutputBytes)
            result.inputs = capped.objectValue ?? inputs
            if truncated { result.ioTruncated = true }
        }
        return result
    }

    /// Builds the result of a run that reached Dify's final frame or blocking response.
    static func result(for trigger: Trigger, outcome: DifyRunOutcome, workerID: String, settings: RunExecutor.ExecutionSettings) -> RunResult {
        var result = base(for: trigger, workerID: workerID, settings: settings)
        result.status = status(fromDify: outcome.status)
        result.workflowRunID = outcome.runID
        result.taskID = outcome.taskID
        result.totalTokens = outcome.totalTokens ?? outcome.usage?.totalTokens
        result.totalPrice = outcome.totalPrice
        result.currency = outcome.currency
        result.totalSteps = outcome.totalSteps.map { Int($0) }
        result.conversationID = outcome.conversationID.flatMap { $0.isEmpty ? nil : $0 }
        result.messageID = outcome.messageID

        if trigger.policy?.storeIO ?? true {
            if let outputs = outcome.outputs {
                let (capped, truncated) = outputs.capped(maxBytes: settings.maxOutputBytes)
                result.outputs = capped
                if truncated { result.ioTruncated = true }
            }
            let answer = outcome.answer ?? (outcome.text.isEmpty ? nil : outcome.text)
            if let answer {
                let cut = answer.prefix(maxBytes: settings.maxOutputBytes)
                result.answer = cut
                if cut.utf8.count < answer.utf8.count { result.ioTruncated = true }
            }
        }
        result.nodes = cappedNodes(outcome.nodes, settings: settings)

        if result.status == .failed || result.status == .stopped {
            let failedNode = outcome.nodes.last { $0.status == "failed" || $0.status == "exception" }
            let message = outcome.error ?? failedNode?.error ?? "the run ended with status \(outcome.status)"
            result.error = RunError(code: failedNode != nil ? "node_failed" : "run_failed", message: message, retryable: false, nodeID: failedNode?.nodeID)
        }
        if result.status == .paused {
            result.error = RunError(code: "paused", message: "the run is paused in Dify, waiting for human input", retryable: false)
        }
        return result
    }

    /// Keeps what a stream showed before it ended with an `error` event: the node trace, the
    /// failed node's id, and the chatflow's message and conversation ids. A chatflow whose node
    /// fails ends this way, so without it the result would not say which node failed.
    static func applyPartial(_ partial: DifyRunOutcome, to result: inout RunResult, settings: RunExecutor.ExecutionSettings) {
        if !partial.nodes.isEmpty {
            result.nodes = cappedNodes(partial.nodes, settings: settings)
        }
        if result.error?.nodeID == nil, let failed = partial.nodes.last(where: { $0.status == "failed" || $0.status == "exception" }) {
            result.error?.nodeID = failed.nodeID
            if let detail = failed.error, result.error?.message.contains(detail) == false {
                result.error?.message += " (node \(failed.nodeID): \(detail))"
            }
        }
        result.workflowRunID = result.workflowRunID ?? partial.runID
        result.conversationID = result.conversationID ?? partial.conversationID
        result.messageID = result.messageID ?? partial.messageID
        result.totalSteps = result.totalSteps ?? partial.totalSteps.map { Int($0) }
    }

    /// Fills a result from `GET /workflows/run/{id}`, used when following a run.
    static func apply(run: DifyWorkflowRun, to result: inout RunResult, settings: RunExecutor.ExecutionSettings) {
        result.status = isFinal(difyStatus: run.status) ? status(fromDify: run.status) : .failed
        result.totalTokens = run.totalTokens
        result.totalSteps = run.totalSteps.map { Int($0) }
        if let outputs = run.outputs, result.inputs != nil || result.outputs == nil {
            let (capped, truncated) = outputs.capped(maxBytes: settings.maxOutputBytes)
            result.outputs = capped
            if truncated { result.ioTruncated = true }
        }
        if result.status == .failed || result.status == .stopped {
            let message = run.error ?? (isFinal(difyStatus: run.status) ? "the run ended with status \(run.status)" : "the run was still \(run.status) when the worker stopped following it")
            result.error = RunError(code: "run_failed", message: message, retryable: false)
        }
    }

    /// Overrides the status when the worker stopped the run itself, whatever status Dify's last
    /// frame carried (Dify 1.9.2 reports a stopped stream as `failed`).
    static func markStopped(_ result: inout RunResult, reason: StopReason, timeout: Duration) {
        result.status = reason.status
        switch reason {
        case .timeout:
            result.error = RunError(code: "timed_out", message: "the run took longer than its timeout of \(DurationText.format(milliseconds: timeout.milliseconds)) and was stopped", retryable: false)
        case .cancelled(let actor):
            result.stoppedBy = actor
            result.error = RunError(code: "stopped", message: "stopped at the request of \(actor)", retryable: false)
        case .shutdown:
            result.stoppedBy = "worker shutdown"
            result.error = RunError(code: "stopped", message: "stopped because the worker shut down and its grace period ended", retryable: false)
        }
    }

    /// Marks the result of a trigger cancelled before it started: `stopped`, by `actor`, with
    /// the error code `cancelled` that sets it apart from a run stopped in Dify.
    static func markCancelled(_ result: inout RunResult, trigger: Trigger, actor: String, at instant: Date = Date()) {
        result.status = .stopped
        result.stoppedBy = actor
        result.finishedAt = instant
        result.attempts = trigger.attempts
        let message = trigger.effectiveAttempt > 1
            ? "cancelled by \(actor) while waiting for attempt \(trigger.effectiveAttempt), which was never sent to Dify"
            : "cancelled by \(actor) while queued; Dify was never called"
        result.error = RunError(code: "cancelled", message: message, retryable: false)
    }

    static func cappedNodes(_ nodes: [NodeTrace], settings: RunExecutor.ExecutionSettings) -> [NodeTrace] {
        nodes.map { node in
            var node = node
            if let inputs = node.inputs {
                let (capped, truncated) = inputs.capped(maxBytes: settings.maxNodeDataBytes)
                node.inputs = capped
                if truncated { node.truncated = true }
            }
            if let outputs = node.outputs {
                let (capped, truncated) = outputs.capped(maxBytes: settings.maxNodeDataBytes)
                node.outputs = capped
                if truncated { node.truncated = true }
            }
            return node
        }
    }

    static func isFinal(difyStatus: String) -> Bool {
        ["succeeded", "failed", "stopped", "partial-succeeded", "partial_succeeded"].contains(difyStatus)
    }

    static func status(fromDify status: String) -> RunStatus {
        switch status {
        case "succeeded": .succeeded
        case "partial-succeeded", "partial_succeeded": .partialSucceeded
        case "stopped": .stopped
        case "paused": .paused
        default: .failed
        }
    }
}

/// The per-run alert facts a worker publishes; rules that need history live in the producer.
enum AlertFacts {
    /// Returns the alert for `result` when the job's alert policy includes its outcome, else nil.
    static func alert(for result: RunResult, policy: AlertPolicy?) -> Alert? {
        guard let wanted = policy?.on, !wanted.isEmpty else { return nil }
        let kind: AlertKind
        let severity: AlertSeverity
        switch result.status.outcome {
        case .failure where result.status == .timedOut && (wanted.contains("timeout") || wanted.contains("failure")):
            kind = .timeout
            severity = .critical
        case .failure where result.status != .timedOut && wanted.contains("failure"):
            kind = .failure
            severity = .critical
        case .success where wanted.contains("success"):
            kind = .success
            severity = result.status == .partialSucceeded ? .warning : .info
        default:
            return nil
        }
        let message = result.error?.message ?? "run \(result.status.rawValue)"
        var alert = Alert(kind: kind, severity: severity, jobID: result.jobID, app: result.app, triggerID: result.triggerID, status: result.status, message: message, channels: policy?.channels)
        alert.detail = [
            "attempts": .int(Int64(result.attempts?.count ?? 1)),
            "workflow_run_id": result.workflowRunID.map(JSONValue.string) ?? .null,
            "run_time_ms": result.runTimeMilliseconds.map(JSONValue.int) ?? .null,
            "total_tokens": result.totalTokens.map(JSONValue.int) ?? .null,
        ]
        return alert
    }
}
