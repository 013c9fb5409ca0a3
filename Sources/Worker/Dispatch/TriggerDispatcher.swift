import Foundation
import Shared

/// Offset and flow control of the trigger consumer, as the dispatcher uses it.
protocol ConsumerControl: Sendable {
    /// Records that every message of `partition` before `nextOffset` is finished.
    func storeOffset(partition: Int, nextOffset: Int64)
    func pause(partition: Int)
    func resume(partition: Int)
}

/// Holds the triggers of the assigned partitions until their results are written: decodes and
/// checks them, drops duplicates, adopts runs of crashed workers, queues them per app and
/// starts them as the app's limits allow.
///
/// One app's throttling never delays another app's triggers on the same partition: each app
/// has its own queue, and a partition is only paused when the work held for it passes a bound.
actor TriggerDispatcher {
    struct Settings: Sendable {
        var maxHeldPerPartition = 1000
        var maxConcurrencyPerOrigin = 256
    }

    private struct PartitionState {
        var tracker = OffsetTracker()
        var paused = false
    }

    private struct RunningEntry {
        let control: RunControl
        let app: String
        let partition: Int
        let offset: Int64
        let jobID: String?
        let attempt: Int
    }

    /// The configured apps; a configuration reload replaces them (see ``replaceApps(_:)``).
    var apps: [String: WorkerApp]
    let executor: RunExecutor
    private let publisher: TopicPublisher
    private let consumer: ConsumerControl
    private let workerID: String
    let settings: Settings
    let logger: Logger
    let metrics: WorkerMetrics
    /// Runs `dify_cleanup` triggers, which call no Dify app and so bypass the app lanes.
    private let cleanup: DifyCleanupRunner?
    private let clock = ContinuousClock()
    private let origin = ContinuousClock.now

    private var partitions: [Int: PartitionState] = [:]
    var lanes: [String: AppLane] = [:]
    /// Each budgeted app's usage of the day, by app name.
    var budgets: [String: BudgetLedger] = [:]
    /// Triggers that got the event saying the budget holds them back, so each gets one.
    var budgetNoticed: Set<String> = []
    private var runStates: [String: RunState] = [:]
    private var running: [String: RunningEntry] = [:]
    var originInFlight: [String: Int] = [:]
    private var wakeups: [String: Task<Void, Never>] = [:]
    private var throttleNoticed: Set<String> = []
    /// Attempt numbers of triggers waiting in a lane or for their `not_before`, by trigger id,
    /// to catch duplicates.
    private var waitingIDs: [String: Int] = [:]
    /// Triggers waiting for their `not_before` (pending retries), by trigger id.
    private var delayed: [String: QueuedTrigger] = [:]
    /// Who asked to stop each running trigger, by trigger id, so that a retry of it published
    /// before the stop took effect is cancelled when it arrives.
    private var stopRequests: [String: String] = [:]
    var draining = false

    init(
        apps: [String: WorkerApp], executor: RunExecutor, publisher: TopicPublisher, consumer: ConsumerControl,
        workerID: String, settings: Settings, logger: Logger, metrics: WorkerMetrics, cleanup: DifyCleanupRunner? = nil
    ) {
        self.cleanup = cleanup
        self.apps = apps
        self.executor = executor
        self.publisher = publisher
        self.consumer = consumer
        self.workerID = workerID
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        for app in apps.values {
            budgets[app.name] = Self.makeLedger(for: app, now: Date(), logger: logger)
        }
    }

    var now: Double {
        let elapsed = clock.now - origin
        return elapsed.seconds
    }

    // MARK: - Assignment

    /// Takes over `partition`, with the run states rebuilt from the same partition of `runs`.
    func assign(partition: Int, states: [RunState]) {
        partitions[partition] = PartitionState()
        for state in states {
            runStates[state.triggerID] = state
        }
        countBudgetUsage(of: states)
        logger.notice("partition assigned", [LogKey.partition: "\(partition)", "run_states": "\(states.count)"])
    }

    /// Gives up `partition`: its queued triggers go back to Kafka (their offsets were never
    /// committed), while runs in flight go on and publish their results.
    func revoke(partition: Int) {
        partitions[partition] = nil
        // The new owner reads these again; dropping them here keeps a later cancel from
        // publishing a second result for them.
        delayed = delayed.filter { $0.value.partition != partition }
        for name in lanes.keys {
            let dropped = lanes[name]!.remove { $0.partition == partition }
            for queued in dropped { waitingIDs[queued.trigger.id] = nil }
            if !dropped.isEmpty {
                logger.info("queued triggers handed back", [LogKey.partition: "\(partition)", LogKey.app: name, "count": "\(dropped.count)"])
            }
        }
        updateQueueMetrics()
        logger.notice("partition revoked", [LogKey.partition: "\(partition)"])
    }

    // MARK: - Intake

    /// Takes one message from the trigger topic. Returns once the message is held, rejected or
    /// recognised as a duplicate; runs go on in their own tasks.
    func accept(_ message: KafkaMessage) async {
        guard !draining, partitions[message.partition] != nil else { return }
        hold(message)

        let trigger: Trigger
        switch TriggerCheck.decode(message) {
        case .failure(let rejection):
            await reject(message, rejection: rejection)
            return
        case .success(let decoded):
            trigger = decoded
        }
        if let rejection = TriggerCheck.authenticate(trigger, message: message, apps: apps, signer: publisher.signer) {
            await reject(message, rejection: rejection)
            return
        }
        if let rejection = TriggerCheck.validate(trigger, apps: apps, databases: cleanup?.names ?? []) {
            await reject(message, rejection: rejection)
            return
        }
        if let rejection = executor.parameters?.rejection(for: trigger, app: apps[trigger.app]) {
            await reject(message, rejection: rejection)
            return
        }
        if trigger.effectiveType == .cancel {
            await cancel(trigger, message: message)
            return
        }

        switch duplicateCheck(trigger) {
        case .run(let adopt):
            let queued = QueuedTrigger(trigger: trigger, partition: message.partition, offset: message.offset, receivedAt: Date(), adopt: adopt)
            if let actor = stopRequests.removeValue(forKey: trigger.id) {
                await dropCancelled(queued, actor: actor)
            } else if trigger.effectiveKind == .difyCleanup, let cleanup {
                startCleanup(queued, runner: cleanup)
            } else if let notBefore = trigger.notBefore, notBefore > Date(), adopt == nil {
                delay(queued, until: notBefore)
            } else {
                enqueue(queued)
            }
        case .duplicate(let reason):
            logger.info("duplicate trigger dropped", [LogKey.triggerID: trigger.id, "reason": reason])
            metrics.duplicates.increment(by: 1, [LogKey.app: trigger.app])
            if reason != "stale attempt" {
                await executor.publishEvent(.duplicate, trigger: trigger, detail: ["reason": .string(reason), "attempt": .int(Int64(trigger.effectiveAttempt))])
            }
            finish(partition: message.partition, offset: message.offset)
        }
    }

    private enum DuplicateDecision {
        case run(adopt: RunState?)
        case duplicate(String)
    }

    /// Decides from the run state whether a trigger is new, a duplicate, or a run to adopt.
    private func duplicateCheck(_ trigger: Trigger) -> DuplicateDecision {
        // The next attempt of a running trigger arrives before the running attempt has ended,
        // because the attempt publishes its successor first: only same or older attempts are
        // duplicates.
        let heldAttempt = running[trigger.id]?.attempt ?? waitingIDs[trigger.id]
        if let heldAttempt, trigger.effectiveAttempt <= heldAttempt {
            return .duplicate(trigger.effectiveAttempt < heldAttempt ? "stale attempt" : "already held by this worker")
        }
        guard let state = runStates[trigger.id] else { return .run(adopt: nil) }
        let attempt = trigger.effectiveAttempt
        switch state.phase {
        case .final:
            return .duplicate("already finished with status \(state.status?.rawValue ?? "unknown")")
        case .retryScheduled:
            return attempt < state.attempt ? .duplicate("stale attempt") : .run(adopt: nil)
        case .started:
            if attempt < state.attempt { return .duplicate("stale attempt") }
            if attempt == state.attempt, state.workflowRunID != nil { return .run(adopt: state) }
            // Started without a Dify run id: nothing can be followed, so the attempt runs again.
            return .run(adopt: nil)
        }
    }

    private func hold(_ message: KafkaMessage) {
        partitions[message.partition]?.tracker.hold(message.offset)
        guard let state = partitions[message.partition], !state.paused, state.tracker.heldCount >= settings.maxHeldPerPartition else { return }
        partitions[message.partition]?.paused = true
        consumer.pause(partition: message.partition)
        logger.notice("partition paused: too much work held", [LogKey.partition: "\(message.partition)", "held": "\(state.tracker.heldCount)"])
    }

    /// Marks a message finished: moves the partition's commit point and resumes it when drained.
    private func finish(partition: Int, offset: Int64) {
        guard var state = partitions[partition] else { return }
        if let point = state.tracker.finish(offset) {
            consumer.storeOffset(partition: partition, nextOffset: point)
        }
        if state.paused, state.tracker.heldCount <= settings.maxHeldPerPartition / 2 {
            state.paused = false
            consumer.resume(partition: partition)
            logger.notice("partition resumed", [LogKey.partition: "\(partition)"])
        }
        partitions[partition] = state
    }

    // MARK: - Rejection and cancel

    private func reject(_ message: KafkaMessage, rejection: TriggerRejection) async {
        logger.warning("trigger rejected", [LogKey.partition: "\(message.partition)", LogKey.offset: "\(message.offset)", "reason": rejection.reason, LogKey.triggerID: rejection.triggerID ?? ""])
        metrics.deadLetters.increment(by: 1, ["reason": rejection.code])
        await executor.publishReliably("dead letter") { [publisher, workerID] in
            try await publisher.publishDeadLetter(message, reason: rejection.reason, code: rejection.code, workerID: workerID)
        }
        // A rejected trigger that names a job still gets a result, so overlap and fixed-delay
        // logic in the producer never waits for it forever.
        if let jobID = rejection.jobID, let triggerID = rejection.triggerID {
            var result = RunResult(triggerID: triggerID, app: rejection.app ?? "", status: .rejected)
            result.jobID = jobID
            result.error = RunError(code: "rejected", message: rejection.reason, retryable: false)
            result.finishedAt = Date()
            result.workerID = workerID
            await executor.publishReliably("rejected result") { [publisher, result] in try await publisher.publish(result: result) }
            let event = ScheduleEvent(type: .rejected, jobID: jobID, triggerID: triggerID, app: rejection.app, detail: ["reason": .string(rejection.reason)])
            _ = try? await publisher.publish(event: event)
        }
        finish(partition: message.partition, offset: message.offset)
    }

    /// Applies a cancel message: stops the target trigger's run, or drops the target trigger (or
    /// every waiting trigger of the target job) from its queue with a `stopped` result.
    ///
    /// Triggers and cancel messages of one app share a partition, so every trigger published
    /// before the cancel has been read by the time it arrives. A dropped trigger never reaches Dify.
    private func cancel(_ control: Trigger, message: KafkaMessage) async {
        let actor = control.actor ?? "cancel message"
        var dropped: [QueuedTrigger] = []
        var stopping = false
        if let target = control.targetTriggerID {
            if let entry = running[target] {
                stopping = true
                stopRequests[target] = actor
                logger.notice("stopping a run on request", [LogKey.triggerID: target, "actor": actor])
                entry.control.requestStop(.cancelled(actor: actor))
            } else {
                dropped = removeWaiting { $0.trigger.id == target }
            }
        } else if let jobID = control.targetJobID {
            dropped = removeWaiting { $0.trigger.jobID == jobID }
        }
        if !stopping && dropped.isEmpty {
            logger.info("cancel found no waiting or running trigger", [
                LogKey.triggerID: control.targetTriggerID ?? "", LogKey.jobID: control.targetJobID ?? "", "actor": actor,
            ])
        }
        updateQueueMetrics()

        for queued in dropped {
            await dropCancelled(queued, actor: actor)
        }
        finish(partition: message.partition, offset: message.offset)
    }

    /// Ends a trigger that never started with a cancelled `stopped` result.
    private func dropCancelled(_ queued: QueuedTrigger, actor: String) async {
        let trigger = queued.trigger
        logger.notice("queued trigger cancelled", [LogKey.triggerID: trigger.id, LogKey.jobID: trigger.jobID ?? "", "actor": actor])
        var state = RunState(triggerID: trigger.id, jobID: trigger.jobID, app: trigger.app, phase: .final, attempt: trigger.effectiveAttempt, workerID: workerID)
        state.status = .stopped
        runStates[trigger.id] = state
        var result = ResultFactory.base(for: trigger, workerID: workerID, settings: executor.settings)
        ResultFactory.markCancelled(&result, trigger: trigger, actor: actor)
        _ = await executor.finish(result, trigger: trigger, partition: queued.partition, log: logger)
        metrics.runs.increment(by: 1, [LogKey.app: trigger.app, LogKey.status: RunStatus.stopped.rawValue])
        finish(partition: queued.partition, offset: queued.offset)
    }

    /// Removes and returns the matching triggers that wait in an app queue or for their `not_before`.
    private func removeWaiting(where matches: (QueuedTrigger) -> Bool) -> [QueuedTrigger] {
        var removed: [QueuedTrigger] = []
        for name in lanes.keys {
            removed += lanes[name]!.remove(where: matches)
        }
        for (id, queued) in delayed where matches(queued) {
            delayed[id] = nil
            removed.append(queued)
        }
        for queued in removed {
            waitingIDs[queued.trigger.id] = nil
        }
        return removed
    }

    // MARK: - Queues and starts

    private func delay(_ queued: QueuedTrigger, until instant: Date) {
        waitingIDs[queued.trigger.id] = queued.trigger.effectiveAttempt
        delayed[queued.trigger.id] = queued
        let seconds = max(0, instant.timeIntervalSinceNow)
        Task { [weak self] in
            try? await Task.sleep(for: .seconds(seconds))
            await self?.releaseDelayed(queued)
        }
    }

    private func releaseDelayed(_ queued: QueuedTrigger) {
        // A cancel message removed it meanwhile and published its result.
        guard delayed.removeValue(forKey: queued.trigger.id) != nil else { return }
        waitingIDs[queued.trigger.id] = nil
        // A revoked partition's delayed trigger is redelivered to the new owner.
        guard !draining, partitions[queued.partition] != nil else { return }
        enqueue(queued)
    }

    private func enqueue(_ queued: QueuedTrigger) {
        let name = queued.trigger.app
        if lanes[name] == nil, let app = apps[name] {
            lanes[name] = AppLane(app: app, now: now)
        }
        lanes[name]?.enqueue(queued)
        waitingIDs[queued.trigger.id] = queued.trigger.effectiveAttempt
        updateQueueMetrics()
        pump(app: name)
    }

    /// Starts as many of the app's triggers as its limits allow now, and sets a wake-up for the
    /// moment the next one may start.
    func pump(app name: String) {
        guard !draining else { return }
        if holdsForBudget(app: name) {
            pumpHeld(app: name)
            return
        }
        guard var lane = lanes[name] else { return }
        // Taken out while it changes: a copy left in the dictionary made every start copy the
        // whole queue (a third of the worker's CPU with 20,000 triggers queued).
        lanes[name] = nil
        defer {
            lanes[name] = lane
            updateQueueMetrics()
        }

        while true {
            let origin = lane.app.origin
            let originFree = originInFlight[origin, default: 0] < settings.maxConcurrencyPerOrigin
            switch lane.next(now: now, originFree: originFree) {
            case .start(let queued, let charged):
                start(queued, app: lane.app, chargedTokens: charged)
            case .wait(let seconds, let reason):
                noteThrottle(lane: lane, reason: reason, waitSeconds: seconds)
                scheduleWakeup(app: name, after: seconds)
                return
            case .full, .idle:
                return
            }
        }
    }

    private func noteThrottle(lane: AppLane, reason: String, waitSeconds: Double) {
        guard let first = lane.firstTrigger, !throttleNoticed.contains(first.trigger.id) else { return }
        throttleNoticed.insert(first.trigger.id)
        metrics.throttled.increment(by: 1, [LogKey.app: lane.app.name, "reason": reason])
        let trigger = first.trigger
        Task { [executor] in
            await executor.publishEvent(.throttled, trigger: trigger, detail: ["reason": .string(reason), "wait_ms": .int(Int64(waitSeconds * 1000))])
        }
    }

    func scheduleWakeup(app name: String, after seconds: Double) {
        wakeups[name]?.cancel()
        wakeups[name] = Task { [weak self] in
            try? await Task.sleep(for: .seconds(seconds))
            guard !Task.isCancelled else { return }
            await self?.pump(app: name)
        }
    }

    func start(_ queued: QueuedTrigger, app: WorkerApp, chargedTokens: Double) {
        let control = RunControl()
        let trigger = queued.trigger
        waitingIDs[trigger.id] = nil
        running[trigger.id] = RunningEntry(
            control: control, app: app.name, partition: queued.partition, offset: queued.offset, jobID: trigger.jobID,
            attempt: trigger.effectiveAttempt)
        originInFlight[app.origin, default: 0] += 1
        throttleNoticed.remove(trigger.id)
        metrics.inFlight.add(1, [LogKey.app: app.name])
        updateQueueMetrics()

        let executor = self.executor
        Task { [weak self] in
            let report = await executor.execute(queued, app: app, control: control)
            await self?.ended(queued, app: app, report: report, chargedTokens: chargedTokens)
        }
    }

    private func ended(_ queued: QueuedTrigger, app: WorkerApp, report: ExecutionReport, chargedTokens: Double) {
        let trigger = queued.trigger
        // The trigger's next attempt may be running already under the same id.
        if running[trigger.id]?.attempt == trigger.effectiveAttempt {
            running[trigger.id] = nil
        }
        originInFlight[app.origin, default: 1] -= 1
        metrics.inFlight.add(-1, [LogKey.app: app.name])
        lanes[app.name]?.finished(jobID: trigger.jobID, chargedTokens: chargedTokens, actualTokens: report.tokens, now: now)

        var state = RunState(triggerID: trigger.id, jobID: trigger.jobID, app: trigger.app, phase: .final, attempt: trigger.effectiveAttempt, workerID: workerID)
        switch report {
        case .finished(let result):
            stopRequests[trigger.id] = nil
            state.status = result.status
            countBudgetUsage(of: result)
            metrics.runs.increment(by: 1, [LogKey.app: app.name, LogKey.status: result.status.rawValue])
            if let milliseconds = result.runTimeMilliseconds {
                metrics.runDuration.observe(Double(milliseconds) / 1000, [LogKey.app: app.name])
            }
            if let milliseconds = result.queueDelayMilliseconds {
                metrics.queueDelay.observe(Double(milliseconds) / 1000, [LogKey.app: app.name])
            }
        case .retryScheduled(let nextAttempt, _):
            state.phase = .retryScheduled
            state.attempt = nextAttempt
            metrics.retries.increment(by: 1, [LogKey.app: app.name])
        }
        runStates[trigger.id] = state
        finish(partition: queued.partition, offset: queued.offset)

        pump(app: app.name)
        // Another app on the same Dify may have been waiting for the shared slot.
        for (name, lane) in lanes where name != app.name && lane.app.origin == app.origin && lane.queuedCount > 0 {
            pump(app: name)
        }
    }

    // MARK: - Cleanup of Dify's tables

    /// Starts a `dify_cleanup` run at once: it holds no app slot, and one worker owns each
    /// database's partition, so two cleanups of one database never overlap across workers.
    private func startCleanup(_ queued: QueuedTrigger, runner: DifyCleanupRunner) {
        let trigger = queued.trigger
        let control = RunControl()
        running[trigger.id] = RunningEntry(
            control: control, app: trigger.app, partition: queued.partition, offset: queued.offset, jobID: trigger.jobID,
            attempt: trigger.effectiveAttempt)
        var started = RunState(triggerID: trigger.id, jobID: trigger.jobID, app: trigger.app, phase: .started, attempt: trigger.effectiveAttempt, workerID: workerID)
        started.kind = .difyCleanup
        started.startedAt = Date()

        let executor = self.executor
        let workerID = self.workerID
        let logger = self.logger
        Task { [weak self, started] in
            await executor.publishReliably("run state") { try await executor.publisher.publish(runState: started, partition: queued.partition) }
            await executor.publishEvent(.runStarted, trigger: trigger, detail: ["worker_id": .string(workerID)])
            let result = await runner.execute(trigger, workerID: workerID, control: control, timeout: executor.timeout(of: trigger))
            _ = await executor.finish(result, trigger: trigger, partition: queued.partition, log: logger)
            await self?.cleanupEnded(queued, status: result.status)
        }
    }

    private func cleanupEnded(_ queued: QueuedTrigger, status: RunStatus) {
        let trigger = queued.trigger
        stopRequests[trigger.id] = nil
        if running[trigger.id]?.attempt == trigger.effectiveAttempt {
            running[trigger.id] = nil
        }
        var state = RunState(triggerID: trigger.id, jobID: trigger.jobID, app: trigger.app, phase: .final, attempt: trigger.effectiveAttempt, workerID: workerID)
        state.status = status
        runStates[trigger.id] = state
        metrics.runs.increment(by: 1, [LogKey.app: trigger.app, LogKey.status: status.rawValue])
        finish(partition: queued.partition, offset: queued.offset)
    }

    // MARK: - Feedback from attempts

    func recordFeedback(app name: String, feedback: AttemptFeedback) {
        guard feedback.throttled else { return }
        lanes[name]?.throttled(retryAfterSeconds: feedback.retryAfter?.seconds, now: now)
        if let rate = lanes[name]?.effectiveRate(now: now) {
            metrics.effectiveRate.set(rate, [LogKey.app: name])
        }
        metrics.throttled.increment(by: 1, [LogKey.app: name, "reason": "dify_throttle"])
    }

    func spendRetry(app name: String) -> Bool {
        lanes[name]?.spendRetry(now: now) ?? false
    }

    /// Forgets final run states older than `age`: a trigger redelivered after that long is
    /// not recognised as a duplicate, so keep `age` above any redelivery delay.
    func pruneRunStates(olderThan age: TimeInterval) {
        let cutoff = Date().addingTimeInterval(-age)
        let before = runStates.count
        runStates = runStates.filter { $0.value.phase != .final || $0.value.updatedAt > cutoff }
        if runStates.count < before {
            logger.debug("run states pruned", ["removed": "\(before - runStates.count)", "kept": "\(runStates.count)"])
        }
    }

    /// Publishes the effective rate of every rate-limited app.
    func refreshRateMetrics() {
        for name in lanes.keys {
            if let rate = lanes[name]!.effectiveRate(now: now) {
                metrics.effectiveRate.set(rate, [LogKey.app: name])
            }
        }
    }

    func updateQueueMetrics() {
        for (name, lane) in lanes {
            metrics.queued.set(Double(lane.queuedCount), [LogKey.app: name])
        }
    }

    // MARK: - Shutdown

    /// Stops starting runs, lets those in flight finish within `grace`, then stops the rest and
    /// waits for their results to be published.
    func drain(grace: Duration) async {
        draining = true
        for task in wakeups.values { task.cancel() }
        let deadline = clock.now + grace
        while !running.isEmpty, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if !running.isEmpty {
            logger.notice("grace period over, stopping runs in flight", ["count": "\(running.count)"])
            for entry in running.values {
                entry.control.requestStop(.shutdown)
            }
            let hardDeadline = clock.now + executor.settings.stopGrace + .seconds(5)
            while !running.isEmpty, clock.now < hardDeadline {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    var runningCount: Int { running.count }
}
