import Foundation
import Shared

/// How the fire loop writes what it decides: triggers, cancel requests and events.
///
/// `trigger` and `cancel` return false when the message could not be written; the loop then
/// keeps the job's state before that fire and tries again, with the same trigger id.
struct FireEmitter: Sendable {
    var trigger: @Sendable (Job, ScheduledFire) async -> Bool
    var cancel: @Sendable (Job, _ targetTriggerID: String) async -> Bool
    var event: @Sendable (ScheduleEvent) async -> Void
}

/// One thing the fire loop writes for a job.
enum FireAction: Sendable {
    case trigger(ScheduledFire)
    case cancel(targetTriggerID: String)
    case event(ScheduleEvent)
}

/// Actions for a job and the job's state once they are all written.
struct FireStep: Sendable {
    var actions: [FireAction]
    var stateAfter: JobState
}
