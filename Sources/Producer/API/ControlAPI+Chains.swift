import Foundation
import Shared

extension ControlAPI {
    /// Rejects a job whose `on_success` or `on_failure` names a job missing from the registry,
    /// or would close a loop through jobs already there.
    ///
    /// `parent.*` placeholders in a job that nothing chains to yet are allowed here, unlike in a
    /// job file: a child is created before the parent that names it. Only children that `stored`,
    /// the version being replaced, did not name must exist. So a parent whose child was deleted
    /// with `?force=true` can still be edited while its chain lists keep the missing child.
    func checkChains(_ job: Job, replacing stored: Job? = nil) async throws {
        let children = JobChains.children(of: job)
        guard !children.isEmpty else { return }
        let existing = try await context.registry.allJobs()
        let named = stored.map { Set(JobChains.children(of: $0)) } ?? []
        for unknown in JobChains.unknownChildren(in: [job], known: Set(existing.keys).union([job.id]).union(named)) {
            var error = HTTPError.badRequest(
                "unknown job \"\(unknown.childID)\": create it before naming it in \(unknown.field), or remove it from the chain", field: unknown.field)
            error.code = "invalid_job"
            throw error
        }
        if let loop = JobChains.loop(writing: [job], over: existing) {
            var error = HTTPError.badRequest(JobChains.loopMessage(loop), field: (job.onSuccess ?? []).contains(loop.dropFirst().first ?? "") ? "on_success" : "on_failure")
            error.code = "chain_loop"
            throw error
        }
    }

    /// Rejects a job that names itself in `on_success` or `on_failure` with `chain_loop`, the
    /// code of every other chain loop.
    static func checkSelfChain(_ job: Job) throws {
        for (field, ids) in [("on_success", job.onSuccess ?? []), ("on_failure", job.onFailure ?? [])] {
            guard let index = ids.firstIndex(of: job.id) else { continue }
            var error = HTTPError.badRequest(JobChains.loopMessage([job.id, job.id]), field: "\(field)[\(index)]")
            error.code = "chain_loop"
            throw error
        }
    }

    /// Returns the ids of the jobs whose `on_success` or `on_failure` names `id`, sorted.
    func parents(of id: String) async throws -> [String] {
        try await context.registry.allJobs().values
            .filter { $0.id != id && JobChains.children(of: $0).contains(id) }
            .map(\.id).sorted()
    }

    /// Renders the inputs and query a fire's trigger would send, for `next?render=true`.
    static func renderedFields(_ job: Job, scheduledAt: Date) -> [String: JSONValue] {
        let triggerID = TriggerID.scheduled(jobID: job.id, scheduledAt: scheduledAt)
        // Jobs in the registry were validated, so their templates compile.
        guard let rendered = try? JobTemplates.render(job: job, scheduledAt: scheduledAt, triggerID: triggerID) else { return [:] }
        var fields: [String: JSONValue] = ["inputs": .object(rendered.inputs)]
        if let query = rendered.query { fields["query"] = .string(query) }
        return fields
    }

    /// Parses a boolean query parameter: `true`, `false`, `1` or `0`; false when absent.
    static func flag(_ text: String?, name: String) throws -> Bool {
        switch text {
        case nil, "false", "0": return false
        case "true", "1", "": return true
        default: throw HTTPError.badRequest("\(name) must be true or false", field: name)
        }
    }
}
