import Foundation
import Shared

/// Fires every owned job at its instants: keeps the next fire of each job in a ``FireQueue``,
/// sleeps until the earliest one (not on a fixed tick) and writes due fires through a
/// ``FireEmitter``, applying the job's `misfire` and `overlap` policies.
///
/// Each job's ``JobState`` changes as fires are written; changed states are collected for the
/// checkpointer (``takeChangedStates()``), which writes them to `scheduler.state` in batches. A
/// fire that cannot be written (the broker is down) is tried again a second later with the same
/// scheduled instant, so its trigger id does not change and nothing is skipped.
actor FireScheduler {
    /// A compiled schedule behind a reference, so jobs with the same schedule share one.
    final class SharedSchedule: Sendable {
        let schedule: CompiledSchedule
        /// ``JobState/fingerprint(of:)`` of the spec, computed once.
        let fingerprint: String

        init(_ schedule: CompiledSchedule) {
            self.schedule = schedule
            self.fingerprint = JobState.fingerprint(of: schedule.spec)
        }
    }

    /// A job as the fire loop keeps it: the definition encoded as compact JSON, decoded when
    /// a fire is written, and the few fields every fire decision reads.
    struct StoredJob: FireTarget {
        let id: String
        let app: String
        let effectiveOverlap: OverlapPolicy
        let misfire: MisfirePlan.Policy
        let encoded: [UInt8]

        func decode() -> Job? {
            try? JSONDecoder().decode(Job.self, from: Data(encoded))
        }
    }

    /// One job with its compiled schedule and recorded state.
    struct Slot: Sendable {
        var job: StoredJob
        var shared: SharedSchedule
        var schedule: CompiledSchedule { shared.schedule }
        var partition: Int32
        var state: JobState
        var next: ScheduledFire?
        /// True while the job's steps are being written; results wait in `pendingResults`.
        var inFlight = false
        var pendingResults: [RunResult] = []
    }

    struct Settings: Sendable {
        /// `producer.misfire_threshold`, used for jobs without their own.
        var misfireThresholdMilliseconds: Int64 = 60_000
        /// Upper bound on catch-up fires of one job at a time, whatever the job asks.
        var maxCatchupCap: Int = 100
    }

    private var slots: [Slot?] = []
    /// Bumped whenever a slot's job changes or goes, so queue entries made before are stale.
    private var generations: [UInt32] = []
    private var slotByJob: [String: Int32] = [:]
    /// Compiled schedules without jitter by spec: such a schedule computes the same instants for
    /// every job, so one copy serves all jobs with that spec.
    // TODO: drop entries no job uses any more; they are bounded by the distinct specs seen.
    private var sharedSchedules: [ScheduleSpec: SharedSchedule] = [:]
    private var freeSlots: [Int32] = []
    private var queue = FireQueue()
    private let waker = Waker()
    private let emitter: FireEmitter
    private let settings: Settings
    private let logger: Logger
    private let metrics: ProducerMetrics
    private var stopped = false
    /// Partitions being released: their jobs start no new writes.
    private var releasing: Set<Int> = []
    private var changedStates: Set<String> = []
    private var deletedStates: Set<String> = []
    /// Called when states changed, so the checkpointer writes them soon.
    private var onChange: (@Sendable () -> Void)?

    init(settings: Settings, emitter: FireEmitter, metrics: ProducerMetrics, logger: Logger) {
        self.settings = settings
        self.emitter = emitter
        self.metrics = metrics
        self.logger = logger
    }

    func setChangeHandler(_ handler: @escaping @Sendable () -> Void) {
        onChange = handler
    }

    var jobCount: Int { slotByJob.count }

    // MARK: - Jobs

    /// Adds a job with its recorded state (nil for a job never scheduled), or replaces the
    /// definition of a job already held while keeping its state.
    ///
    /// A job without state is anchored at `definedAt`, when its definition was written to the
    /// registry (or `now` when unknown or later): instants between the two were missed while no
    /// producer owned the job and follow the misfire policy, so a job registered shortly before
    /// its first instant still fires when ownership comes after that instant. A job whose
    /// `schedule` changed is anchored the same way, so a new schedule never fires an older
    /// backlog. An unchanged schedule keeps its next fire.
    ///
    /// `encoded` is the job's JSON when the caller has it (a message value), so it is not encoded again.
    func upsert(
        job: Job, schedule: CompiledSchedule, partition: Int, state recorded: JobState?, encoded: [UInt8]? = nil,
        definedAt: Date? = nil, now: Date = Date()
    ) {
        let anchor = min(definedAt ?? now, now)
        var state = recorded ?? JobState(jobID: job.id)
        let existing = slotByJob[job.id].flatMap { slots[Int($0)] }
        if let existing {
            state = existing.state
        }
        let shared: SharedSchedule
        if schedule.jitterMilliseconds == 0 {
            if let cached = sharedSchedules[job.schedule] {
                shared = cached
            } else {
                shared = SharedSchedule(schedule)
                sharedSchedules[job.schedule] = shared
            }
        } else {
            shared = SharedSchedule(schedule)
        }

        // A schedule changed live, or while no producer owned the job, starts from now.
        let fingerprint = shared.fingerprint
        let changedLive = existing.map { $0.schedule.spec != job.schedule } ?? false
        let changedOffline = state.scheduleFingerprint.map { $0 != fingerprint } ?? false
        if state.lastScheduledAt == nil || changedLive || changedOffline {
            state.lastScheduledAt = max(state.lastScheduledAt ?? anchor, anchor)
            markChanged(job.id)
        }
        if state.scheduleFingerprint != fingerprint {
            state.scheduleFingerprint = fingerprint
            markChanged(job.id)
        }

        let index: Int32
        if let present = slotByJob[job.id] {
            index = present
        } else if let free = freeSlots.popLast() {
            index = free
        } else {
            index = Int32(slots.count)
            slots.append(nil)
            generations.append(0)
        }
        generations[Int(index)] &+= 1
        let stored = StoredJob(id: job.id, app: job.app, effectiveOverlap: job.effectiveOverlap, misfire: misfirePolicy(of: job), encoded: encoded ?? Array(MessageCodec.encode(job)))
        var slot = Slot(job: stored, shared: shared, partition: Int32(partition), state: state)
        if let existing {
            slot.inFlight = existing.inFlight
            slot.pendingResults = existing.pendingResults
        }
        slots[Int(index)] = slot
        slotByJob[job.id] = index
        deletedStates.remove(job.id)
        if !slot.inFlight { reschedule(index) }
        metrics.jobsOwned.set(Double(slotByJob.count))
    }

    /// One job to add with ``upsert(_:now:)``.
    struct Installation: Sendable {
        var job: Job
        var schedule: CompiledSchedule
        var partition: Int
        var state: JobState?
        var encoded: [UInt8]?
        /// When the definition was written to the registry (the message's timestamp).
        var definedAt: Date?
    }

    /// Adds or replaces many jobs in one call, as a rebuild does.
    func upsert(_ installations: [Installation], now: Date = Date()) {
        for item in installations {
            upsert(
                job: item.job, schedule: item.schedule, partition: item.partition, state: item.state, encoded: item.encoded,
                definedAt: item.definedAt, now: now)
        }
    }

    /// Compiles again every owned job that names a calendar in `calendars`, after a reload
    /// changed those calendars. Returns the jobs that no longer compile, which keep their
    /// previous schedule. Each job keeps its state, so the change fires no instant twice.
    func recompile(calendars: Set<String>, using compiler: JobCompiler, now: Date = Date()) -> [(jobID: String, error: String)] {
        sharedSchedules = sharedSchedules.filter { $0.key.calendar.map { !calendars.contains($0) } ?? true }
        var failed: [(jobID: String, error: String)] = []
        for case let slot? in slots {
            guard let job = slot.job.decode(), let calendar = job.schedule.calendar, calendars.contains(calendar) else { continue }
            do {
                let schedule = try compiler.compile(job)
                upsert(job: job, schedule: schedule, partition: Int(slot.partition), state: nil, encoded: slot.job.encoded, now: now)
            } catch {
                failed.append((job.id, "\(error)"))
            }
        }
        return failed
    }

    /// Removes a job that was deleted; its state is deleted at the next checkpoint.
    func delete(jobID: String) {
        guard remove(jobID: jobID) else { return }
        changedStates.remove(jobID)
        deletedStates.insert(jobID)
        onChange?()
    }

    /// Drops every job of `partitions` (they were revoked) and returns their changed states,
    /// which the caller writes before the partitions go.
    ///
    /// Waits (up to `timeout`) for fires of those jobs being written, so the states returned
    /// hold them and the next owner does not plan the same instants again.
    func release(partitions: Set<Int>, timeout: Duration = .seconds(10)) async -> [JobState] {
        releasing.formUnion(partitions)
        defer { releasing.subtract(partitions) }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline,
            slots.contains(where: { slot in slot.map { $0.inFlight && partitions.contains(Int($0.partition)) } ?? false })
        {
            try? await Task.sleep(for: .milliseconds(10))
        }

        var states: [JobState] = []
        for (jobID, index) in slotByJob {
            guard let slot = slots[Int(index)], partitions.contains(Int(slot.partition)) else { continue }
            if changedStates.remove(jobID) != nil { states.append(slot.state) }
            _ = remove(jobID: jobID)
        }
        return states
    }

    @discardableResult
    private func remove(jobID: String) -> Bool {
        guard let index = slotByJob.removeValue(forKey: jobID) else { return false }
        slots[Int(index)] = nil
        generations[Int(index)] &+= 1
        freeSlots.append(index)
        metrics.jobsOwned.set(Double(slotByJob.count))
        return true
    }

    /// Applies a pause or resume request; returns the event to publish, or nil when the
    /// request was applied before.
    func apply(control: JobControl) -> ScheduleEvent? {
        guard let index = slotByJob[control.jobID], var slot = slots[Int(index)] else { return nil }
        guard slot.state.controlID != control.id else { return nil }
        slot.state.controlID = control.id
        let event: ScheduleEvent
        switch control.action {
        case .pause:
            slot.state.paused = true
            slot.state.pauseNote = control.note
            slot.state.pausedBy = control.actor
            slot.state.pausedAt = control.time
            event = ScheduleEvent(type: .jobPaused, jobID: slot.job.id, app: slot.job.app, actor: control.actor, detail: control.note.map { ["note": .string($0)] })
        case .resume:
            slot.state.paused = false
            slot.state.pauseNote = control.note
            slot.state.pausedBy = control.actor
            slot.state.pausedAt = nil
            event = ScheduleEvent(type: .jobResumed, jobID: slot.job.id, app: slot.job.app, actor: control.actor, detail: control.note.map { ["note": .string($0)] })
        }
        slots[Int(index)] = slot
        generations[Int(index)] &+= 1
        markChanged(slot.job.id)
        if !slot.inFlight { reschedule(index) }
        return event
    }

    /// Records the end of a run: closes the job's open run, emits a fire held by `buffer_one`
    /// and schedules the next run of a `delay` job.
    func runEnded(_ result: RunResult) {
        guard let jobID = result.jobID, let index = slotByJob[jobID], var slot = slots[Int(index)] else { return }
        guard slot.state.openTriggerID == result.triggerID else { return }
        if slot.inFlight {
            slot.pendingResults.append(result)
            slots[Int(index)] = slot
            return
        }

        slot.state.openTriggerID = nil
        slot.state.openSince = nil
        slot.state.lastFinishedAt = result.finishedAt ?? Date()
        slots[Int(index)] = slot
        markChanged(jobID)

        if let buffered = slot.state.bufferedScheduledAt, !slot.state.paused {
            var state = slot.state
            state.bufferedScheduledAt = nil
            let fire = ScheduledFire(scheduledAt: buffered, fireAt: buffered)
            let step = FireDecisions.step(job: slot.job, fire: fire, state: &state, now: Date())
            // The buffered instant is older than the job's last handled one; keep that.
            state.lastScheduledAt = max(slot.state.lastScheduledAt ?? buffered, buffered)
            let steps = [FireStep(actions: step.actions, stateAfter: state)]
            startWriting(index: index, steps: steps)
            return
        }
        generations[Int(index)] &+= 1
        reschedule(index)
    }

    // MARK: - Reading

    struct JobView: Sendable {
        var job: Job
        var state: JobState
        var next: ScheduledFire?
        var partition: Int
    }

    func view(jobID: String) -> JobView? {
        guard let index = slotByJob[jobID], let slot = slots[Int(index)] else { return nil }
        guard let job = slot.job.decode() else { return nil }
        return JobView(job: job, state: slot.state, next: slot.next, partition: Int(slot.partition))
    }

    /// The job, when its definition names children in `on_success` or `on_failure`.
    ///
    /// Called for every result read, so jobs without chains are recognised from their JSON
    /// bytes without decoding them.
    func chainingJob(jobID: String) -> Job? {
        guard let index = slotByJob[jobID], let slot = slots[Int(index)] else { return nil }
        guard Self.mentionsChains(slot.job.encoded) else { return nil }
        return slot.job.decode()
    }

    private static let chainKeys = [Array(#""on_success""#.utf8), Array(#""on_failure""#.utf8)]

    private static func mentionsChains(_ bytes: [UInt8]) -> Bool {
        chainKeys.contains { key in
            guard bytes.count >= key.count else { return false }
            return (0...(bytes.count - key.count)).contains { start in
                bytes[start] == key[0] && bytes[start..<(start + key.count)].elementsEqual(key)
            }
        }
    }

    func next(jobID: String) -> ScheduledFire? {
        slotByJob[jobID].flatMap { slots[Int($0)]?.next }
    }

    /// The states changed since the last call and the job ids whose state is to be deleted.
    func takeChangedStates() -> (states: [JobState], deleted: [String]) {
        let now = Date()
        var states: [JobState] = []
        states.reserveCapacity(changedStates.count)
        for jobID in changedStates {
            guard let index = slotByJob[jobID], var state = slots[Int(index)]?.state else { continue }
            state.updatedAt = now
            states.append(state)
        }
        changedStates.removeAll(keepingCapacity: true)
        let deleted = Array(deletedStates)
        deletedStates.removeAll()
        return (states, deleted)
    }

    /// Marks states to be written again at the next checkpoint, after a failed write.
    func markChanged(jobIDs: [String]) {
        for jobID in jobIDs where slotByJob[jobID] != nil {
            changedStates.insert(jobID)
        }
    }

    // MARK: - The fire loop

    func stop() {
        stopped = true
        waker.wake()
    }

    /// Runs the fire loop until ``stop()``.
    func run() async {
        while !stopped {
            guard let top = queue.first else {
                await waker.wait(upTo: .seconds(3600))
                continue
            }
            guard isCurrent(top) else {
                _ = queue.popFirst()
                continue
            }
            let wait = top.fireAtMilliseconds - Date().millisecondsSince1970
            if wait > 0 {
                await waker.wait(upTo: .milliseconds(wait))
                continue
            }
            fireDue()
            await Task.yield()
        }
    }

    private func isCurrent(_ entry: FireQueue.Entry) -> Bool {
        guard let slot = slots[Int(entry.slot)] else { return false }
        return generations[Int(entry.slot)] == entry.generation && !slot.inFlight
    }

    /// Plans every job whose fire is due now and starts writing its steps.
    private func fireDue() {
        let now = Date()
        let nowMilliseconds = now.millisecondsSince1970
        var lateness: Int64 = 0

        while let top = queue.first, top.fireAtMilliseconds <= nowMilliseconds {
            _ = queue.popFirst()
            guard isCurrent(top), let slot = slots[Int(top.slot)], let fire = slot.next, !slot.state.paused,
                !releasing.contains(Int(slot.partition))
            else { continue }
            lateness = max(lateness, nowMilliseconds - top.fireAtMilliseconds)

            let policy = slot.job.misfire
            let plan = MisfirePlan.plan(first: fire, schedule: slot.schedule, firedCount: slot.state.runCount, now: now, policy: policy)
            if !plan.misfired.isEmpty {
                metrics.misfires.increment(by: Double(plan.misfired.count), ["policy": policy.misfire.rawValue])
                logger.warning("instants misfired", [
                    LogKey.jobID: slot.job.id, "misfire.count": "\(plan.misfired.count)", "misfire.policy": policy.misfire.rawValue,
                    "misfire.given_up": "\(plan.givenUp.count)",
                ])
            }
            let steps = FireDecisions.steps(job: slot.job, plan: plan, state: slot.state, policy: policy.misfire, now: now)
            startWriting(index: top.slot, steps: steps)
        }
        if lateness > settings.misfireThresholdMilliseconds {
            logger.warning("fire loop woke late", ["lateness_ms": "\(lateness)"])
        }
    }

    private func misfirePolicy(of job: Job) -> MisfirePlan.Policy {
        let threshold = job.misfireThreshold.flatMap { try? DurationText.milliseconds($0) } ?? settings.misfireThresholdMilliseconds
        let window = job.catchupWindow.flatMap { try? DurationText.milliseconds($0) }
        return MisfirePlan.Policy(
            misfire: job.effectiveMisfire, thresholdMilliseconds: threshold, catchupWindowMilliseconds: window,
            maxCatchup: min(job.maxCatchup ?? settings.maxCatchupCap, settings.maxCatchupCap))
    }

    /// Writes `steps` of the job in `index` in a task of its own, then records how far it got.
    private func startWriting(index: Int32, steps: [FireStep]) {
        guard var slot = slots[Int(index)] else { return }
        slot.inFlight = true
        slots[Int(index)] = slot
        let stored = slot.job
        Task { [emitter, logger] in
            // Decoded here rather than in the actor, so emissions of many jobs decode in parallel.
            guard let job = stored.decode() else {
                logger.error("stored job does not decode, its fires are dropped", [LogKey.jobID: stored.id])
                await self.finishWriting(index: index, jobID: stored.id, state: nil, failed: false)
                return
            }
            var completed: JobState?
            var failed = false
            stepLoop: for step in steps {
                for action in step.actions {
                    switch action {
                    case .trigger(let fire):
                        if await !emitter.trigger(job, fire) { failed = true }
                    case .cancel(let target):
                        if await !emitter.cancel(job, target) { failed = true }
                    case .event(let event):
                        await emitter.event(event)
                    }
                    if failed { break stepLoop }
                }
                completed = step.stateAfter
            }
            await self.finishWriting(index: index, jobID: stored.id, state: completed, failed: failed)
        }
    }

    private func finishWriting(index: Int32, jobID: String, state: JobState?, failed: Bool) {
        // The job may have been deleted meanwhile, and its slot given to another job.
        guard var slot = slots[Int(index)], slot.job.id == jobID else { return }
        slot.inFlight = false
        if let state {
            // Pause and resume requests applied meanwhile win over the state the steps started from.
            var merged = state
            merged.paused = slot.state.paused
            merged.pauseNote = slot.state.pauseNote
            merged.pausedBy = slot.state.pausedBy
            merged.pausedAt = slot.state.pausedAt
            merged.controlID = slot.state.controlID
            slot.state = merged
            markChanged(slot.job.id)
        }
        let pending = slot.pendingResults
        slot.pendingResults = []
        slots[Int(index)] = slot

        if failed {
            // Try the remaining instants again shortly: their trigger ids stay the same.
            generations[Int(index)] &+= 1
            reschedule(index, retryAt: Date().addingTimeInterval(1))
        } else {
            generations[Int(index)] &+= 1
            reschedule(index)
        }
        for result in pending {
            runEnded(result)
        }
    }

    /// Computes the job's next fire from its state and queues it, not before `retryAt`.
    private func reschedule(_ index: Int32, retryAt: Date? = nil) {
        guard var slot = slots[Int(index)] else { return }
        slot.next = nextFire(of: slot)
        slots[Int(index)] = slot
        guard let next = slot.next else { return }
        // After a failed write the fire is due already; wait a moment before trying again.
        let fireAt = retryAt.map { max($0, next.fireAt) } ?? next.fireAt
        queue.push(FireQueue.Entry(fireAtMilliseconds: fireAt.millisecondsSince1970, slot: index, generation: generations[Int(index)]))
        waker.wake()
    }

    private func nextFire(of slot: Slot) -> ScheduledFire? {
        guard !slot.state.paused else { return nil }
        let after = slot.state.lastScheduledAt ?? Date()
        if case .delay = slot.schedule.kind {
            if slot.state.openTriggerID != nil { return nil }
            if let finished = slot.state.lastFinishedAt, slot.state.runCount > 0 {
                return slot.schedule.nextFire(afterRunEndedAt: max(finished, after), firedCount: slot.state.runCount)
            }
        }
        return slot.schedule.nextFire(after: after, firedCount: slot.state.runCount)
    }

    private func markChanged(_ jobID: String) {
        changedStates.insert(jobID)
        onChange?()
    }
}

extension Date {
    var millisecondsSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }
}
