import Foundation
import Shared

/// What a fire decision reads of a job.
protocol FireTarget: Sendable {
    var id: String { get }
    var app: String { get }
    var effectiveOverlap: OverlapPolicy { get }
}

extension Job: FireTarget {}

/// Turns a job's due instants into the steps the fire loop writes: misfire handling first, then
/// the `overlap` policy for each fire against the job's open run. Pure, so it is tested without
/// a broker.
enum FireDecisions {
    /// The steps for a misfire plan, starting from `state`.
    static func steps(job: some FireTarget, plan: MisfirePlan, state initial: JobState, policy: MisfirePolicy, now: Date) -> [FireStep] {
        var state = initial
        var steps: [FireStep] = []

        if !plan.misfired.isEmpty {
            let listed = plan.misfired.prefix(100).map { JSONValue.string(Timestamp.rfc3339($0)) }
            let emitted = plan.misfired.filter { !plan.givenUp.contains($0) }
            let event = ScheduleEvent(type: .misfired, jobID: job.id, app: job.app, detail: [
                "policy": .string(policy.rawValue),
                "count": .int(Int64(plan.misfired.count)),
                "instants": .array(listed),
                "instants_listed": .int(Int64(listed.count)),
                "caught_up": .array(emitted.map { .string(Timestamp.rfc3339($0)) }),
                "given_up": .int(Int64(plan.givenUp.count)),
            ])
            // Given-up instants are handled once this event is written.
            if let lastGivenUp = plan.givenUp.last, lastGivenUp > (state.lastScheduledAt ?? .distantPast) {
                let firstEmitted = plan.emit.first?.scheduledAt
                if firstEmitted == nil || lastGivenUp < firstEmitted! {
                    state.lastScheduledAt = lastGivenUp
                }
            }
            steps.append(FireStep(actions: [.event(event)], stateAfter: state))
        }

        for fire in plan.emit {
            steps.append(step(job: job, fire: fire, state: &state, now: now))
        }
        if let last = plan.lastHandled, last > (state.lastScheduledAt ?? .distantPast) {
            state.lastScheduledAt = last
            steps.append(FireStep(actions: [], stateAfter: state))
        }
        return steps
    }

    /// The step of one fire under the job's overlap policy, updating `state`.
    static func step(job: some FireTarget, fire: ScheduledFire, state: inout JobState, now: Date) -> FireStep {
        let triggerID = TriggerID.scheduled(jobID: job.id, scheduledAt: fire.scheduledAt)
        var actions: [FireAction] = []
        state.lastScheduledAt = max(state.lastScheduledAt ?? .distantPast, fire.scheduledAt)

        if let open = state.openTriggerID, open != triggerID {
            switch job.effectiveOverlap {
            case .allow:
                break
            case .skip:
                actions.append(.event(skippedEvent(job: job, fire: fire, openTriggerID: open, reason: "run_open")))
                return FireStep(actions: actions, stateAfter: state)
            case .bufferOne:
                if state.bufferedScheduledAt == nil {
                    state.bufferedScheduledAt = fire.scheduledAt
                    return FireStep(actions: [], stateAfter: state)
                }
                actions.append(.event(skippedEvent(job: job, fire: fire, openTriggerID: open, reason: "buffer_full")))
                return FireStep(actions: actions, stateAfter: state)
            case .cancelPrevious:
                actions.append(.cancel(targetTriggerID: open))
            }
        }

        actions.append(.trigger(fire))
        state.runCount += 1
        state.lastTriggerID = triggerID
        state.openTriggerID = triggerID
        state.openSince = now
        return FireStep(actions: actions, stateAfter: state)
    }

    static func skippedEvent(job: some FireTarget, fire: ScheduledFire, openTriggerID: String, reason: String) -> ScheduleEvent {
        ScheduleEvent(
            type: .skippedOverlap, jobID: job.id, triggerID: TriggerID.scheduled(jobID: job.id, scheduledAt: fire.scheduledAt),
            app: job.app, detail: [
                "scheduled_at": .string(Timestamp.rfc3339(fire.scheduledAt)),
                "open_trigger_id": .string(openTriggerID),
                "overlap": .string(job.effectiveOverlap.rawValue),
                "reason": .string(reason),
            ])
    }
}
