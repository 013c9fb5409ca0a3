import Foundation
import Shared

extension TriggerDispatcher {
    /// Returns the rejection of a run trigger whose `job_id` is not in the registry, for an app
    /// without `accept_external: true`. Such a trigger did not come from a producer, and the
    /// app admits only triggers of its jobs.
    func unknownJobRejection(_ trigger: Trigger, message: KafkaMessage) async -> TriggerRejection? {
        guard let jobDirectory, trigger.effectiveType != .cancel, let jobID = trigger.jobID,
            let app = apps[trigger.app], !app.acceptsExternal
        else { return nil }
        // The writer sets the message timestamp, so one in the future counts as now.
        let writtenAt = min(message.timestamp ?? Date(), Date())
        // NOTE: the intake of every partition waits while an unknown id is looked up, about 5 s.
        guard await !jobDirectory.contains(jobID, writtenAt: writtenAt) else { return nil }
        return TriggerRejection(
            code: "unknown_job",
            reason: "unknown job \"\(jobID)\": the job registry has no such job and app \"\(app.name)\" does not accept external triggers; "
                + "create the job, or set accept_external: true for the app",
            triggerID: trigger.id, jobID: jobID, app: trigger.app)
    }
}
