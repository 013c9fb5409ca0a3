import Foundation

/// The names a `deliver.template` may use, and their values for one finished run.
///
/// A delivery template uses the names input templates use for the run's fire (`scheduled_at`, the
/// `current_…` and `previous_…` periods, `job.*`, `trigger.id`) and the run's result:
/// - `outputs.<name>`: a workflow output, walking into objects (`outputs.report.title`);
/// - `answer`: the chatflow or completion answer, or the text a workflow streamed;
/// - `status`, `error`: the run's final status and, for failed runs, the error message;
/// - `total_tokens`, `finished_at`, `run_link` (the run in the console, empty without
///   `producer.public_url`).
public enum DeliveryTemplate {
    public static let scope: TemplateScope = {
        guard case .record(var fields) = JobTemplates.scope else { return JobTemplates.scope }
        fields["parent"] = nil
        fields["outputs"] = .open
        fields["finished_at"] = .time
        for name in ["answer", "status", "error", "total_tokens", "run_link"] { fields[name] = .value }
        return .record(fields)
    }()

    /// Compiles a delivery template.
    ///
    /// - Throws: ``TemplateError`` naming the bad placeholder and the fix.
    public static func compile(_ source: String) throws(TemplateError) -> Template {
        try Template.compile(source, scope: scope)
    }

    /// Returns the values for `result`, with times in the job's zone (UTC when it has none).
    public static func context(job: Job, result: RunResult, runLink: String?) -> TemplateContext {
        let zone = (try? ZoneRules.named(job.schedule.timezone ?? "UTC")) ?? ZoneRules.utc
        let scheduledAt = result.scheduledAt ?? result.finishedAt ?? Date()
        var context = JobTemplates.context(job: job, scheduledAt: scheduledAt, triggerID: result.triggerID, parent: nil, zone: zone)
        context.values["outputs"] = .json(result.outputs ?? .object([:]))
        context.values["status"] = .string(result.status.rawValue)
        if let answer = result.answer { context.values["answer"] = .string(answer) }
        if let error = result.error { context.values["error"] = .string(error.message) }
        if let tokens = result.totalTokens { context.values["total_tokens"] = .json(.int(tokens)) }
        if let finishedAt = result.finishedAt { context.values["finished_at"] = .time(TemplateTime(finishedAt, zone: zone)) }
        if let runLink { context.values["run_link"] = .string(runLink) }
        return context
    }
}
