import Foundation
import Shared

/// Builds the trigger of a job's fire, copying into its policy what workers need from the job.
enum TriggerFactory {
    /// Builds the trigger of a fire at `scheduledAt`, with the job's input and query templates
    /// rendered for that instant, so retries and adoptions send the same values.
    ///
    /// For `source: chain`, `parent` is the run whose end started this one: its values fill the
    /// `parent.*` placeholders and the trigger links back to it. `templateInstant`, when given,
    /// replaces `scheduledAt` in the templates: a chained run renders its parent's instant,
    /// while its trigger is scheduled when it is emitted (so `max_delay` counts from then).
    static func trigger(
        for job: Job, scheduledAt: Date, source: TriggerSource, emittedAt: Date = Date(), id: String? = nil, parent: ChainParent? = nil,
        templateInstant: Date? = nil
    ) -> Trigger {
        var trigger = Trigger(id: id ?? TriggerID.scheduled(jobID: job.id, scheduledAt: scheduledAt), app: job.app)
        trigger.jobID = job.id
        trigger.kind = job.effectiveKind
        trigger.user = job.effectiveUser
        trigger.scheduledAt = scheduledAt
        trigger.emittedAt = emittedAt
        trigger.attempt = 1
        trigger.source = source
        trigger.traceID = trigger.id
        trigger.policy = policy(of: job)
        trigger.parentTriggerID = parent?.triggerID
        trigger.parentJobID = parent?.jobID

        let rendered = render(job, scheduledAt: templateInstant ?? scheduledAt, triggerID: trigger.id, parent: parent)
        trigger.inputs = rendered.inputs
        trigger.policy?.query = rendered.query
        return trigger
    }

    /// Renders the job's templates; a job without `{{` anywhere skips the work.
    ///
    /// Jobs are validated before they are scheduled, so rendering cannot fail here. Should it
    /// fail, the inputs are sent as written rather than the fire being lost.
    static func render(_ job: Job, scheduledAt: Date, triggerID: String, parent: ChainParent?) -> RenderedInputs {
        let unrendered = RenderedInputs(inputs: job.inputs ?? [:], query: job.query)
        guard mayHoldTemplates(job) else { return unrendered }
        return (try? JobTemplates.render(job: job, scheduledAt: scheduledAt, triggerID: triggerID, parent: parent)) ?? unrendered
    }

    private static func mayHoldTemplates(_ job: Job) -> Bool {
        func contains(_ value: JSONValue) -> Bool {
            switch value {
            case .string(let text): text.contains("{{")
            case .array(let elements): elements.contains(where: contains)
            case .object(let members): members.values.contains(where: contains)
            default: false
            }
        }
        return job.query?.contains("{{") == true || (job.inputs ?? [:]).values.contains(where: contains)
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
