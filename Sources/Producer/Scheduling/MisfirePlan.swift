import Foundation
import Shared

/// What to do with a job's due instants when its fire loop reaches them: which to emit and which
/// are misfires given up under the job's `misfire` policy.
///
/// An instant is a misfire when it is reached more than `threshold` after its fire instant
/// (downtime, a hand-over, a paused job or process, a stalled loop); within the threshold it
/// fires late as a normal fire. Misfires follow the policy: `skip` emits none of them,
/// `fire_once` emits the latest, `fire_all` emits those inside `catchup_window`, at most
/// `maxCatchup` (the latest ones). Pure, so it is tested without a broker.
struct MisfirePlan: Sendable, Equatable {
    /// Fires to emit, oldest first.
    var emit: [ScheduledFire]
    /// Misfired instants that were not emitted.
    var givenUp: [Date]
    /// Every misfired instant, emitted or not.
    var misfired: [Date]
    /// The latest instant handled; the job's next fire comes after it.
    var lastHandled: Date?

    /// Most instants handled in one plan; a longer backlog is handled in several loop turns.
    static let batchLimit = 10_000

    struct Policy: Sendable, Equatable {
        var misfire: MisfirePolicy
        var thresholdMilliseconds: Int64
        var catchupWindowMilliseconds: Int64?
        var maxCatchup: Int
    }

    /// Plans the handling of `first` (a fire whose instant has come) and of every later instant
    /// of `schedule` that has also come by `now`.
    static func plan(first: ScheduledFire, schedule: CompiledSchedule, firedCount: Int, now: Date, policy: Policy) -> MisfirePlan {
        var due = [first]
        // A `delay` job's next instant comes from the end of the run this fire starts, so a
        // late start never has more than this one instant due.
        var more: [ScheduledFire] = []
        if case .delay = schedule.kind {} else {
            more = schedule.fires(after: first.scheduledAt, through: now, limit: batchLimit - 1, firedCount: firedCount + 1)
        }
        for fire in more {
            guard fire.fireAt <= now else { break }
            due.append(fire)
        }

        let threshold = Double(policy.thresholdMilliseconds) / 1000
        var onTime: [ScheduledFire] = []
        var missed: [ScheduledFire] = []
        for fire in due {
            if now.timeIntervalSince(fire.fireAt) > threshold {
                missed.append(fire)
            } else {
                onTime.append(fire)
            }
        }

        var caughtUp: [ScheduledFire] = []
        switch policy.misfire {
        case .skip:
            break
        case .fireOnce:
            if let latest = missed.last { caughtUp = [latest] }
        case .fireAll:
            var candidates = missed
            if let window = policy.catchupWindowMilliseconds {
                let earliest = now.addingTimeInterval(-Double(window) / 1000)
                candidates = candidates.filter { $0.scheduledAt >= earliest }
            }
            caughtUp = Array(candidates.suffix(max(policy.maxCatchup, 0)))
        }

        let emitted = Set(caughtUp.map(\.scheduledAt))
        return MisfirePlan(
            emit: caughtUp + onTime,
            givenUp: missed.map(\.scheduledAt).filter { !emitted.contains($0) },
            misfired: missed.map(\.scheduledAt),
            lastHandled: due.last?.scheduledAt)
    }
}
