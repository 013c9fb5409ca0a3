import Foundation
import Shared
import Testing

@testable import Producer

@Suite struct MisfirePlanTests {
    /// `every: 5s` from the epoch, due at 1000 s; the plan is made at 1070 s (70 s late).
    let schedule = try! CompiledSchedule(spec: ScheduleSpec(every: "5s"), jobID: "job", calendars: { _ in nil })
    let first = ScheduledFire(scheduledAt: Date(timeIntervalSince1970: 1000), fireAt: Date(timeIntervalSince1970: 1000))
    let now = Date(timeIntervalSince1970: 1070)

    func policy(_ misfire: MisfirePolicy, threshold: Int64 = 60_000, window: Int64? = nil, maxCatchup: Int = 100) -> MisfirePlan.Policy {
        MisfirePlan.Policy(misfire: misfire, thresholdMilliseconds: threshold, catchupWindowMilliseconds: window, maxCatchup: maxCatchup)
    }

    func seconds(_ dates: [Date]) -> [Int] { dates.map { Int($0.timeIntervalSince1970) } }

    @Test func thresholdSeparatesLateFromMisfired() {
        let plan = MisfirePlan.plan(first: first, schedule: schedule, firedCount: 0, now: now, policy: policy(.skip))
        #expect(seconds(plan.misfired) == [1000, 1005])
        #expect(seconds(plan.emit.map(\.scheduledAt)) == Array(stride(from: 1010, through: 1070, by: 5)))
        #expect(seconds(plan.givenUp) == [1000, 1005])
        #expect(plan.lastHandled == now)
    }

    @Test func lateDelayJobHasOneInstantDue() throws {
        let delay = try CompiledSchedule(spec: ScheduleSpec(delay: "2s"), jobID: "job", calendars: { _ in nil })
        let late = MisfirePlan.plan(first: first, schedule: delay, firedCount: 0, now: Date(timeIntervalSince1970: 1003), policy: policy(.fireAll))
        #expect(seconds(late.emit.map(\.scheduledAt)) == [1000])
        #expect(late.misfired.isEmpty)
        let missed = MisfirePlan.plan(first: first, schedule: delay, firedCount: 0, now: now, policy: policy(.fireAll, threshold: 5000))
        #expect(seconds(missed.emit.map(\.scheduledAt)) == [1000])
        #expect(seconds(missed.misfired) == [1000])
    }

    @Test func fireOnceEmitsLatestMisfire() {
        let plan = MisfirePlan.plan(first: first, schedule: schedule, firedCount: 0, now: now, policy: policy(.fireOnce, threshold: 5000))
        #expect(seconds(plan.emit.map(\.scheduledAt)) == [1060, 1065, 1070])
        #expect(plan.misfired.count == 13)
        #expect(plan.givenUp.count == 12)
    }

    @Test func fireAllKeepsWindowAndCap() {
        let windowed = MisfirePlan.plan(first: first, schedule: schedule, firedCount: 0, now: now, policy: policy(.fireAll, threshold: 5000, window: 20_000))
        #expect(seconds(windowed.emit.map(\.scheduledAt)) == [1050, 1055, 1060, 1065, 1070])
        let capped = MisfirePlan.plan(first: first, schedule: schedule, firedCount: 0, now: now, policy: policy(.fireAll, threshold: 5000, maxCatchup: 2))
        #expect(seconds(capped.emit.map(\.scheduledAt)) == [1055, 1060, 1065, 1070])
        #expect(capped.givenUp.count == 11)
    }

    @Test func onTimeFireIsNoMisfire() {
        let plan = MisfirePlan.plan(first: first, schedule: schedule, firedCount: 0, now: Date(timeIntervalSince1970: 1000.2), policy: policy(.skip))
        #expect(plan.misfired.isEmpty)
        #expect(plan.emit == [first])
    }
}

@Suite struct FireDecisionsTests {
    let fire = ScheduledFire(scheduledAt: Date(timeIntervalSince1970: 2000), fireAt: Date(timeIntervalSince1970: 2000))

    func job(_ overlap: OverlapPolicy) -> Job {
        var job = Job(id: "slow", app: "demo", schedule: ScheduleSpec(every: "10s"))
        job.overlap = overlap
        return job
    }

    func openState() -> JobState {
        var state = JobState(jobID: "slow")
        state.openTriggerID = "t-open"
        return state
    }

    @Test func skipWritesEventNotTrigger() {
        var state = openState()
        let step = FireDecisions.step(job: job(.skip), fire: fire, state: &state, now: Date())
        guard case .event(let event) = step.actions.first else { Issue.record("expected an event"); return }
        #expect(event.type == .skippedOverlap)
        #expect(step.actions.count == 1)
        #expect(state.openTriggerID == "t-open")
        #expect(state.lastScheduledAt == fire.scheduledAt)
    }

    @Test func bufferOneHoldsOneFire() {
        var state = openState()
        let held = FireDecisions.step(job: job(.bufferOne), fire: fire, state: &state, now: Date())
        #expect(held.actions.isEmpty)
        #expect(state.bufferedScheduledAt == fire.scheduledAt)
        let later = ScheduledFire(scheduledAt: Date(timeIntervalSince1970: 2010), fireAt: Date(timeIntervalSince1970: 2010))
        let skipped = FireDecisions.step(job: job(.bufferOne), fire: later, state: &state, now: Date())
        guard case .event(let event) = skipped.actions.first else { Issue.record("expected an event"); return }
        #expect(event.detail?["reason"] == .string("buffer_full"))
        #expect(state.bufferedScheduledAt == fire.scheduledAt)
    }

    @Test func cancelPreviousCancelsThenFires() {
        var state = openState()
        let step = FireDecisions.step(job: job(.cancelPrevious), fire: fire, state: &state, now: Date())
        guard case .cancel(let target) = step.actions.first, case .trigger(let fired) = step.actions.last else {
            Issue.record("expected a cancel, then a trigger")
            return
        }
        #expect(target == "t-open")
        #expect(fired == fire)
        #expect(state.openTriggerID == TriggerID.scheduled(jobID: "slow", scheduledAt: fire.scheduledAt))
        #expect(state.runCount == 1)
    }

    @Test func givenUpMisfiresRecordedFirst() {
        let schedule = try! CompiledSchedule(spec: ScheduleSpec(every: "5s"), jobID: "slow", calendars: { _ in nil })
        let first = ScheduledFire(scheduledAt: Date(timeIntervalSince1970: 1000), fireAt: Date(timeIntervalSince1970: 1000))
        let policy = MisfirePlan.Policy(misfire: .fireOnce, thresholdMilliseconds: 5000, catchupWindowMilliseconds: nil, maxCatchup: 10)
        let now = Date(timeIntervalSince1970: 1030)
        let plan = MisfirePlan.plan(first: first, schedule: schedule, firedCount: 0, now: now, policy: policy)
        let steps = FireDecisions.steps(job: job(.allow), plan: plan, state: JobState(jobID: "slow"), policy: .fireOnce, now: now)
        guard case .event(let event) = steps.first?.actions.first else { Issue.record("expected the misfired event first"); return }
        #expect(event.type == .misfired)
        #expect(event.detail?["count"] == .int(5))
        #expect(steps.first?.stateAfter.lastScheduledAt == Date(timeIntervalSince1970: 1015))
        #expect(steps.last?.stateAfter.lastScheduledAt == now)
        #expect(steps.last?.stateAfter.runCount == 3)
    }
}
