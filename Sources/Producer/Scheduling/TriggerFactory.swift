import Foundation
import Shared

/// Builds the trigger of a job's fire, copying into its policy what workers need from the job.
enum TriggerFactory {
    static func trigger(for job: Job, scheduledAt: Date, source: TriggerSource, emittedAt: Date = Date(), id: String? = nil) -> Trigger {
        var trigger = Trigger(id: id ?? TriggerID.scheduled(jobID: job.id, scheduledAt: scheduledAt), app: job.app)
        trigger.jobID = job.id
        trigger.kind = job.effectiveKind
        trigger.inputs = job.inputs ?? [:]
        trigger.user = job.effectiveUser
        trigger.scheduledAt = scheduledAt
        trigger.emittedAt = emittedAt
        trigger.attempt = 1
        trigger.source = source
        trigger.traceID = trigger.id
        trigger.policy = policy(of: job)
        return trigger
    }

    static func policy(of job: Job) -> TriggerPolicy {
        var policy = TriggerPolicy()
        policy.timeout = job.timeout
        policy.retry = job.retry
        policy.responseMode = job.responseMode
        policy.priority = job.priority
        policy.expectedTokens = job.expectedTokens
        policy.alerts = job.alerts
        policy.query = job.query
        policy.conversation = job.conversation
        policy.storeIO = job.storeIO
        policy.maxDelay = job.maxDelay
        policy.cleanup = job.cleanup
        return policy
    }
}
