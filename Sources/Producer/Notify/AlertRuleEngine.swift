import Foundation
import Shared

/// The per-job rules that need history, evaluated on each run result: recovered, N
/// consecutive failures and slow runs, plus the per-run facts a worker could not know to
/// publish because they come from app defaults.
///
/// Streaks count runs (results), never attempts: a trigger's retries end in one result.
/// Results `stopped` by an operator, `skipped` and `paused` neither break nor extend a streak.
struct AlertRuleEngine: Sendable {
    /// What the engine remembers of one job.
    struct JobHistory: Sendable, Hashable {
        /// Failed runs since the last success.
        var streak = 0
        var failingSince: Date?
        /// Trigger ids of the runs counted, to ignore a redelivered result.
        var counted: [String] = []
        var lastFinished: Date?
    }

    private(set) var jobs: [String: JobHistory] = [:]

    /// Trigger ids remembered per job against redelivery.
    static let rememberedRuns = 64

    /// Records `result` and returns the alerts it raises.
    ///
    /// - Parameters:
    ///   - policy: the job's effective policy (its own `alerts` over the app defaults).
    ///   - workerPolicy: the policy the worker saw in the trigger; per-run facts it asks for
    ///     were published by the worker, the others are raised here.
    ///   - replaying: true while rebuilding from history: state changes, nothing is raised.
    mutating func observe(_ result: RunResult, policy: AlertPolicy?, workerPolicy: AlertPolicy?, replaying: Bool = false) -> [Alert] {
        guard let jobID = result.jobID else { return [] }
        var history = jobs[jobID] ?? JobHistory()
        if history.counted.contains(result.triggerID) { return [] }
        history.counted.append(result.triggerID)
        if history.counted.count > Self.rememberedRuns { history.counted.removeFirst(history.counted.count - Self.rememberedRuns) }
        let finished = result.finishedAt ?? Date()
        history.lastFinished = finished

        var alerts: [Alert] = []
        let wanted = Set(policy?.on ?? [])
        switch result.status.outcome {
        case .failure:
            history.streak += 1
            if history.streak == 1 { history.failingSince = result.scheduledAt ?? finished }
            if let threshold = policy?.consecutiveFailures, history.streak == threshold {
                var alert = Self.alert(.consecutiveFailures, .critical, result, policy: policy,
                    message: "\(threshold) runs in a row failed; the last: \(result.error?.message ?? result.status.rawValue)")
                alert.detail?["consecutive_failures"] = .int(Int64(threshold))
                alert.detail?["failing_since"] = history.failingSince.map { .string(Timestamp.rfc3339($0)) } ?? .null
                alerts.append(alert)
            }
        case .success:
            if history.streak > 0 {
                let threshold = policy?.consecutiveFailures ?? Int.max
                // An incident that raised a consecutive-failures alert is closed with a recovery
                // alert even when `recovered` is not asked for, so nobody is left waiting.
                if wanted.contains("recovered") || history.streak >= threshold {
                    var alert = Self.alert(.recovered, .info, result, policy: policy,
                        message: "the job succeeded again after \(history.streak) failed run\(history.streak == 1 ? "" : "s")")
                    alert.detail?["failed_runs"] = .int(Int64(history.streak))
                    alert.detail?["failing_since"] = history.failingSince.map { .string(Timestamp.rfc3339($0)) } ?? .null
                    alerts.append(alert)
                }
            }
            history.streak = 0
            history.failingSince = nil
        case .neither:
            break
        }

        if result.status.outcome != .neither, let text = policy?.slowerThan, let limit = try? DurationText.milliseconds(text),
            let runTime = result.runTimeMilliseconds, runTime > limit
        {
            alerts.append(Self.alert(.slow, .warning, result, policy: policy,
                message: "the run took \(DurationText.format(milliseconds: runTime)), longer than \(text)"))
        }
        if let fact = Self.fact(for: result, policy: policy), !Self.asks(workerPolicy, for: fact.kind) {
            alerts.append(fact)
        }
        jobs[jobID] = history
        return replaying ? [] : alerts
    }

    /// Forgets the jobs of partitions handed to another producer.
    mutating func forget(where isGone: (String) -> Bool) {
        jobs = jobs.filter { !isGone($0.key) }
    }

    func streak(of jobID: String) -> Int { jobs[jobID]?.streak ?? 0 }

    // MARK: - Building alerts

    static func alert(_ kind: AlertKind, _ severity: AlertSeverity, _ result: RunResult, policy: AlertPolicy?, message: String) -> Alert {
        var alert = Alert(kind: kind, severity: severity, jobID: result.jobID, app: result.app, triggerID: result.triggerID,
            status: result.status, message: message, channels: policy?.channels, time: result.finishedAt ?? Date())
        alert.detail = runDetail(result)
        return alert
    }

    static func runDetail(_ result: RunResult) -> [String: JSONValue] {
        [
            "attempts": .int(Int64(result.attempts?.count ?? 1)),
            "workflow_run_id": result.workflowRunID.map(JSONValue.string) ?? .null,
            "run_time_ms": result.runTimeMilliseconds.map(JSONValue.int) ?? .null,
            "total_tokens": result.totalTokens.map(JSONValue.int) ?? .null,
            "scheduled_at": result.scheduledAt.map { .string(Timestamp.rfc3339($0)) } ?? .null,
        ]
    }

    /// The per-run fact for `result` under `policy`, as a worker builds it: failure, timeout
    /// or success. Same id as the worker's, so one published twice is delivered once.
    static func fact(for result: RunResult, policy: AlertPolicy?) -> Alert? {
        guard let wanted = policy?.on, !wanted.isEmpty else { return nil }
        let kind: AlertKind
        let severity: AlertSeverity
        switch result.status.outcome {
        case .failure where result.status == .timedOut && (wanted.contains("timeout") || wanted.contains("failure")):
            (kind, severity) = (.timeout, .critical)
        case .failure where result.status != .timedOut && wanted.contains("failure"):
            (kind, severity) = (.failure, .critical)
        case .success where wanted.contains("success"):
            (kind, severity) = (.success, result.status == .partialSucceeded ? .warning : .info)
        default:
            return nil
        }
        return alert(kind, severity, result, policy: policy, message: result.error?.message ?? "run \(result.status.rawValue)")
    }

    static func asks(_ policy: AlertPolicy?, for kind: AlertKind) -> Bool {
        let wanted = policy?.on ?? []
        switch kind {
        case .timeout: return wanted.contains("timeout") || wanted.contains("failure")
        default: return wanted.contains(kind.rawValue)
        }
    }
}
