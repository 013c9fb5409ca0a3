import Foundation
import Shared
import Synchronization

/// A trigger taken from the trigger topic and held until its result is written.
struct QueuedTrigger: Sendable {
    let trigger: Trigger
    let partition: Int
    let offset: Int64
    let receivedAt: Date
    /// Run state of an attempt a crashed worker started; the run is followed, not started again.
    var adopt: RunState?
}

/// Outcome of one attempt, as the dispatcher uses it.
enum ExecutionReport: Sendable {
    /// The final result was published.
    case finished(RunResult)
    /// The attempt failed and the next attempt was published with `not_before`.
    case retryScheduled(nextAttempt: Int, delayMilliseconds: Int64)

    var tokens: Int64? {
        if case .finished(let result) = self { return result.totalTokens }
        return nil
    }
}

/// Feedback from an attempt to the app's limits.
struct AttemptFeedback: Sendable {
    /// Dify returned a throttle error (429, or Dify 1.9.2's 400 "Too many requests").
    var throttled = false
    var retryAfter: Duration?
}

/// Runs one attempt of a trigger against Dify and publishes what came of it: run state, events,
/// the result (or the next attempt) and the per-run alert fact.
///
/// An executor holds no state of its own: the dispatcher decides when to call it and applies
/// the limits; `spendRetry` asks the dispatcher's retry budget for the app.
struct RunExecutor: Sendable {
    let client: DifyClient
    let publisher: TopicPublisher
    let workerID: String
    let logger: Logger
    let settings: ExecutionSettings
    let spendRetry: @Sendable (String) async -> Bool
    let feedback: @Sendable (String, AttemptFeedback) async -> Void
    let modes: AppModeCache
    /// Input forms the intake checks triggers against; nil skips the check.
    var parameters: AppParametersCache? = nil

    struct ExecutionSettings: Sendable {
        var defaultTimeout: Duration = .seconds(1800)
        var pollInterval: Duration = .seconds(2)
        /// How long to wait for Dify's final frame after a stop before giving up on the stream.
        var stopGrace: Duration = .seconds(10)
        var maxOutputBytes = 65_536
        var maxNodeDataBytes = 8_192
        var defaultRetry = RetryPolicy(maxAttempts: 3, initialBackoff: "5s", maxBackoff: "5m", multiplier: 2)
    }

    // MARK: - Attempt

    func execute(_ queued: QueuedTrigger, app: WorkerApp, control: RunControl) async -> ExecutionReport {
        let trigger = queued.trigger
        let startedAt = Date()
        let log = logger.with([LogKey.triggerID: trigger.id, LogKey.jobID: trigger.jobID ?? "", LogKey.app: app.name, LogKey.attempt: "\(trigger.effectiveAttempt)"])

        if let expiry = expiry(of: trigger, at: startedAt) {
            log.notice("trigger expired before it started", ["delay_ms": "\(expiry.delayMilliseconds)"])
            var result = ResultFactory.base(for: trigger, workerID: workerID, settings: settings)
            result.status = .expired
            result.error = RunError(code: "expired", message: expiry.message, retryable: false)
            result.startedAt = nil
            result.finishedAt = startedAt
            await publishEvent(.expired, trigger: trigger, detail: ["delay_ms": .int(expiry.delayMilliseconds), "reason": .string(expiry.message)])
            return await finish(result, trigger: trigger, partition: queued.partition, log: log)
        }

        if let adopted = queued.adopt, let runID = adopted.workflowRunID {
            log.notice("adopting a run started by another worker", [LogKey.difyRunID: runID, "previous_worker": adopted.workerID])
            await publishEvent(.runAdopted, trigger: trigger, detail: ["workflow_run_id": .string(runID), "previous_worker": .string(adopted.workerID)])
            return await follow(
                trigger: trigger, partition: queued.partition, app: app, runID: runID, taskID: adopted.taskID,
                user: adopted.user ?? trigger.user ?? "dify-scheduler", runStartedAt: adopted.startedAt ?? startedAt,
                control: control, log: log, previousOutcome: nil)
        }

        if let appKind = await modes.kind(of: app), let problem = AppModeCache.mismatch(jobKind: trigger.effectiveKind, appKind: appKind, app: app.name) {
            log.warning("trigger rejected: wrong kind for the app", ["reason": problem])
            var result = ResultFactory.base(for: trigger, workerID: workerID, settings: settings)
            result.status = .rejected
            result.error = RunError(code: "wrong_kind", message: problem, retryable: false)
            result.finishedAt = startedAt
            await publishEvent(.rejected, trigger: trigger, detail: ["reason": .string(problem)])
            return await finish(result, trigger: trigger, partition: queued.partition, log: log)
        }

        let user = trigger.user ?? "dify-scheduler"
        var started = RunState(triggerID: trigger.id, jobID: trigger.jobID, app: app.name, phase: .started, attempt: trigger.effectiveAttempt, workerID: workerID)
        started.user = user
        started.kind = trigger.effectiveKind
        started.startedAt = startedAt
        let stateWrites = SerialWrites()
        stateWrites.enqueue { [started] in
            await publishReliably("run state") { try await publisher.publish(runState: started, partition: queued.partition) }
        }

        let call = await callDify(
            trigger: trigger, app: app, user: user, control: control, startedAt: startedAt, partition: queued.partition,
            stateWrites: stateWrites, log: log)
        // Earlier state writes of this attempt land before the result and the final state.
        await stateWrites.enqueue {}.value
        return await conclude(call, trigger: trigger, partition: queued.partition, app: app, user: user, startedAt: startedAt, control: control, log: log)
    }

    /// Turns the outcome of the Dify call into a result, a poll of a broken stream, or a retry.
    private func conclude(
        _ call: DifyCall, trigger: Trigger, partition: Int, app: WorkerApp, user: String, startedAt: Date,
        control: RunControl, log: Logger
    ) async -> ExecutionReport {
        let finishedAt = Date()
        var attempt = AttemptRecord(number: trigger.effectiveAttempt, startedAt: startedAt, finishedAt: finishedAt, workerID: workerID, difyRunID: call.runID)

        switch call.ending {
        case .completed(let outcome):
            var result = ResultFactory.result(for: trigger, outcome: outcome, workerID: workerID, settings: settings)
            result.startedAt = startedAt
            result.finishedAt = finishedAt
            if let reason = call.stopReason {
                ResultFactory.markStopped(&result, reason: reason, timeout: timeout(of: trigger))
            }
            attempt.error = result.error
            result.attempts = (trigger.attempts ?? []) + [attempt]
            return await finish(result, trigger: trigger, partition: partition, log: log)

        case .abandoned(let reason):
            // No task id (blocking mode, or no workflow_started yet): the request was dropped.
            var result = ResultFactory.base(for: trigger, workerID: workerID, settings: settings)
            result.workflowRunID = call.runID
            result.startedAt = startedAt
            result.finishedAt = finishedAt
            ResultFactory.markStopped(&result, reason: reason, timeout: timeout(of: trigger))
            result.mayStillRun = true
            result.error?.message += ": the request was abandoned without a task id, so the run may still be going on in Dify"
            attempt.error = result.error
            result.attempts = (trigger.attempts ?? []) + [attempt]
            return await finish(result, trigger: trigger, partition: partition, log: log)

        case .failed(let error):
            if error.code == .streamBroken, let runID = error.runID ?? call.runID {
                // The run exists in Dify: follow it instead of failing or starting it again.
                log.warning("stream broke mid-run, polling the run", [LogKey.difyRunID: runID, LogKey.error: error.reason])
                return await follow(
                    trigger: trigger, partition: partition, app: app, runID: runID, taskID: call.taskID, user: user,
                    runStartedAt: startedAt, control: control, log: log, previousOutcome: call.partialOutcome)
            }

            await feedback(app.name, AttemptFeedback(throttled: error.isThrottle, retryAfter: error.retryAfter))
            let runError = RunError(code: error.code.rawValue, message: error.reason, retryable: error.retryable)
            attempt.error = runError
            let attempts = (trigger.attempts ?? []) + [attempt]

            let policy = trigger.policy?.retry ?? settings.defaultRetry
            var maxAttempts = policy.maxAttempts ?? settings.defaultRetry.maxAttempts ?? 1
            if let limit = error.maxRetries { maxAttempts = min(maxAttempts, trigger.effectiveAttempt + limit) }
            var finalMessage = error.reason

            if let reason = control.stopReason {
                // A stop requested while the attempt failed ends the run, so it is not retried.
                var result = ResultFactory.base(for: trigger, workerID: workerID, settings: settings)
                result.workflowRunID = call.runID
                result.taskID = call.taskID
                result.startedAt = startedAt
                result.finishedAt = finishedAt
                result.attempts = attempts
                ResultFactory.markStopped(&result, reason: reason, timeout: timeout(of: trigger))
                return await finish(result, trigger: trigger, partition: partition, log: log)
            }
            if error.retryable && trigger.effectiveAttempt < maxAttempts {
                if await spendRetry(app.name) {
                    return await scheduleRetry(trigger: trigger, partition: partition, attempts: attempts, error: error, policy: policy, log: log)
                }
                finalMessage += " (not retried: the app's retry budget is spent, so failures are final until retries fall below the budget)"
            } else if error.retryable && trigger.effectiveAttempt > 1 {
                finalMessage += " (after \(trigger.effectiveAttempt) attempts)"
            }

            var result = ResultFactory.base(for: trigger, workerID: workerID, settings: settings)
            result.status = .failed
            result.error = RunError(code: runError.code, message: finalMessage, retryable: error.retryable)
            result.workflowRunID = call.runID
            result.taskID = call.taskID
            result.startedAt = startedAt
            result.finishedAt = finishedAt
            result.attempts = attempts
            if let partial = error.partialOutcome {
                ResultFactory.applyPartial(partial, to: &result, settings: settings)
            }
            log.warning("run failed", [LogKey.errorCode: error.code.rawValue, LogKey.error: error.reason])
            return await finish(result, trigger: trigger, partition: partition, log: log)
        }
    }

    private func scheduleRetry(
        trigger: Trigger, partition: Int, attempts: [AttemptRecord], error: DifyError, policy: RetryPolicy, log: Logger
    ) async -> ExecutionReport {
        let backoff = Backoff(
            initialMilliseconds: (try? DurationText.milliseconds(policy.initialBackoff ?? "5s")) ?? 5000,
            maximumMilliseconds: (try? DurationText.milliseconds(policy.maxBackoff ?? "5m")) ?? 300_000,
            multiplier: policy.multiplier ?? 2)
        var generator = SystemRandomNumberGenerator()
        let delay: Int64
        if let retryAfter = error.retryAfter {
            delay = backoff.delay(retryAfterMilliseconds: retryAfter.milliseconds, using: &generator)
        } else {
            delay = backoff.delay(afterAttempt: trigger.effectiveAttempt, using: &generator)
        }

        var next = trigger
        next.attempt = trigger.effectiveAttempt + 1
        next.attempts = attempts
        next.notBefore = Date().addingTimeInterval(Double(delay) / 1000)

        // The next attempt goes back to the trigger topic, so a pending retry holds no slot and
        // survives a crash of this worker.
        await publishReliably("retry trigger") { [next] in try await publisher.publish(trigger: next) }
        var state = RunState(triggerID: trigger.id, jobID: trigger.jobID, app: trigger.app, phase: .retryScheduled, attempt: next.effectiveAttempt, workerID: workerID)
        state.user = trigger.user
        await publishReliably("run state") { [state] in try await publisher.publish(runState: state, partition: partition) }
        await publishEvent(.retryScheduled, trigger: trigger, detail: [
            "attempt": .int(Int64(trigger.effectiveAttempt)), "next_attempt": .int(Int64(next.effectiveAttempt)),
            "delay_ms": .int(delay), "error": .string(error.reason), "code": .string(error.code.rawValue),
        ])
        log.notice("retry scheduled", ["delay_ms": "\(delay)", LogKey.errorCode: error.code.rawValue])
        return .retryScheduled(nextAttempt: next.effectiveAttempt, delayMilliseconds: delay)
    }

    // MARK: - Following a run that is already going on

    /// Polls `GET /workflows/run/{id}` until the run is final, stopping it when the timeout
    /// passes first (a zombie) or when a stop is requested.
    private func follow(
        trigger: Trigger, partition: Int, app: WorkerApp, runID: String, taskID: String?, user: String,
        runStartedAt: Date, control: RunControl, log: Logger, previousOutcome: DifyRunOutcome?
    ) async -> ExecutionReport {
        let deadline = runStartedAt.addingTimeInterval(timeout(of: trigger).seconds)
        var lastRun: DifyWorkflowRun?
        var stopReason: StopReason?
        var lastError: DifyError?

        while true {
            do {
                lastRun = try await client.getWorkflowRun(app: app.endpoint, runID: runID)
                lastError = nil
            } catch let error as DifyError {
                lastError = error
                log.warning("polling the run failed", [LogKey.difyRunID: runID, LogKey.error: error.reason])
            } catch {
                log.warning("polling the run failed", [LogKey.difyRunID: runID, LogKey.error: "\(error)"])
            }
            if let run = lastRun, ResultFactory.isFinal(difyStatus: run.status) { break }

            if let reason = control.stopReason ?? (Date() >= deadline ? .timeout : nil) {
                stopReason = reason
                if reason == .timeout {
                    log.warning("run still going after the timeout, stopping it as a zombie", [LogKey.difyRunID: runID])
                    await publishEvent(.zombie, trigger: trigger, detail: ["workflow_run_id": .string(runID)])
                }
                if let taskID {
                    try? await client.stopTask(app: app.endpoint, taskID: taskID, user: user, kind: difyKind(trigger.effectiveKind))
                }
                break
            }
            try? await Task.sleep(for: settings.pollInterval)
        }

        var result = ResultFactory.base(for: trigger, workerID: workerID, settings: settings)
        result.workflowRunID = runID
        result.taskID = taskID
        result.startedAt = runStartedAt
        result.finishedAt = Date()
        if let run = lastRun {
            ResultFactory.apply(run: run, to: &result, settings: settings)
        } else {
            result.status = .failed
            result.error = RunError(code: lastError?.code.rawValue ?? "unknown_run_state", message: lastError?.reason ?? "the run's state could not be read from Dify", retryable: false)
        }
        if let previousOutcome, !previousOutcome.nodes.isEmpty {
            result.nodes = ResultFactory.cappedNodes(previousOutcome.nodes, settings: settings)
        }
        if let stopReason {
            ResultFactory.markStopped(&result, reason: stopReason, timeout: timeout(of: trigger))
        }
        let attempt = AttemptRecord(number: trigger.effectiveAttempt, startedAt: runStartedAt, finishedAt: result.finishedAt, error: result.error, workerID: workerID, difyRunID: runID)
        result.attempts = (trigger.attempts ?? []) + [attempt]
        return await finish(result, trigger: trigger, partition: partition, log: log)
    }

    // MARK: - Publishing the end of a run

    /// Publishes the result, then the final run state, the alert fact and `run_finished`.
    func finish(_ result: RunResult, trigger: Trigger, partition: Int, log: Logger) async -> ExecutionReport {
        var result = result
        if let started = result.startedAt, let finished = result.finishedAt {
            result.runTimeMilliseconds = Int64((finished.timeIntervalSince(started) * 1000).rounded())
        }
        if let started = result.startedAt ?? result.finishedAt, let reference = trigger.scheduledAt ?? trigger.emittedAt {
            result.queueDelayMilliseconds = max(0, Int64((started.timeIntervalSince(reference) * 1000).rounded()))
        }

        await publishReliably("result") { [result] in try await publisher.publish(result: result) }

        // Only the final state has to wait for the result, so the event is written meanwhile
        // instead of after it: one broker round trip less while the run holds its slot.
        let finishedDetail: [String: JSONValue] = [
            "status": .string(result.status.rawValue), "run_time_ms": result.runTimeMilliseconds.map(JSONValue.int) ?? .null,
        ]
        async let finishedEvent: Void = publishEvent(.runFinished, trigger: trigger, detail: finishedDetail)
        var state = RunState(triggerID: trigger.id, jobID: trigger.jobID, app: trigger.app, phase: .final, attempt: trigger.effectiveAttempt, workerID: workerID)
        state.workflowRunID = result.workflowRunID
        state.taskID = result.taskID
        state.status = result.status
        state.user = trigger.user
        // The next owner of the partition rebuilds the app's usage of the day from these.
        state.totalTokens = result.totalTokens
        state.totalPrice = result.totalPrice
        state.currency = result.currency
        await publishReliably("run state") { [state] in try await publisher.publish(runState: state, partition: partition) }

        if let alert = AlertFacts.alert(for: result, policy: trigger.policy?.alerts) {
            await publishReliably("alert") { try await publisher.publish(alert: alert) }
        }
        await finishedEvent
        log.info("run finished", [LogKey.status: result.status.rawValue, LogKey.durationMilliseconds: "\(result.runTimeMilliseconds ?? 0)", LogKey.difyRunID: result.workflowRunID ?? ""])
        return .finished(result)
    }

    func publishEvent(_ type: EventType, trigger: Trigger, detail: [String: JSONValue] = [:]) async {
        let event = ScheduleEvent(type: type, jobID: trigger.jobID, triggerID: trigger.id, app: trigger.app, detail: detail)
        do {
            try await publisher.publish(event: event)
        } catch {
            // Events are informative; a lost one does not change any run.
            logger.warning("event not published", ["event": type.rawValue, LogKey.triggerID: trigger.id, LogKey.error: "\(error)"])
        }
    }

    /// Retries a publish until it succeeds: a result that is not written must not let the
    /// offset move, and the broker coming back is the only way forward.
    func publishReliably(_ what: String, _ body: @Sendable () async throws -> Void) async {
        var delay: Duration = .milliseconds(100)
        while true {
            do {
                try await body()
                return
            } catch {
                logger.error("publishing failed, retrying", ["message": what, LogKey.error: "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }

    // MARK: - Policies

    func timeout(of trigger: Trigger) -> Duration {
        guard let text = trigger.policy?.timeout, let milliseconds = try? DurationText.milliseconds(text) else {
            return settings.defaultTimeout
        }
        return .milliseconds(milliseconds)
    }

    private func expiry(of trigger: Trigger, at now: Date) -> (delayMilliseconds: Int64, message: String)? {
        let reference = trigger.scheduledAt ?? trigger.emittedAt
        let delay = reference.map { Int64((now.timeIntervalSince($0) * 1000).rounded()) } ?? 0
        if let deadline = trigger.deadline, now > deadline {
            return (delay, "not started before its deadline \(Timestamp.rfc3339(deadline)): started \(DurationText.format(milliseconds: delay)) after the scheduled time")
        }
        if let text = trigger.policy?.maxDelay, let maximum = try? DurationText.milliseconds(text), reference != nil, delay > maximum {
            return (delay, "not started within max_delay \(text) of the scheduled time: it would have started \(DurationText.format(milliseconds: delay)) late")
        }
        return nil
    }
}

func difyKind(_ kind: JobKind) -> DifyAppKind {
    switch kind {
    case .workflow, .difyCleanup: .workflow
    case .chatflow: .chatflow
    case .completion: .completion
    }
}
