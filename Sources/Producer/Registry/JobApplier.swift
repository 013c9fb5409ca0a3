import Foundation
import Shared

/// Applies a set of job definitions (a job file) to the registry: compares them with the jobs
/// topic, then writes only what differs, so re-applying an unchanged job writes nothing and never
/// moves its next fire.
///
/// Jobs of a file are `managed_by: file` unless they say otherwise. Pruning deletes only jobs
/// managed by files that the given set lacks; jobs made through the API are never pruned.
struct JobApplier: Sendable {
    let registry: JobRegistry
    let publisher: TopicPublisher

    /// A job whose stored definition differs, with the top-level fields that differ.
    struct Change: Sendable, Equatable {
        var job: Job
        var fields: [String]
    }

    /// What applying changes, or would change with `--dry-run`.
    struct Outcome: Sendable, Equatable {
        var added: [Job] = []
        var changed: [Change] = []
        var unchanged: [String] = []
        /// Jobs deleted by `--prune`.
        var removed: [String] = []
        /// Jobs absent from the file that stay: made through the API, or no `--prune`.
        var kept: [String] = []

        var isEmpty: Bool { added.isEmpty && changed.isEmpty && removed.isEmpty }
    }

    /// The definition as stored: version set, `managed_by` defaulting to `file`.
    static func normalized(_ job: Job, managedBy: ManagedBy = .file) -> Job {
        var normalized = job
        normalized.version = Job.currentVersion
        normalized.managedBy = job.managedBy ?? managedBy
        return normalized
    }

    /// Compares `jobs` with the registry's `existing` jobs. Pure.
    static func diff(jobs: [Job], existing: [String: Job], prune: Bool) -> Outcome {
        var outcome = Outcome()
        var named: Set<String> = []
        for job in jobs {
            let wanted = normalized(job)
            named.insert(job.id)
            guard let stored = existing[job.id] else {
                outcome.added.append(wanted)
                continue
            }
            var current = stored
            current.version = Job.currentVersion
            if current == wanted {
                outcome.unchanged.append(job.id)
            } else {
                outcome.changed.append(Change(job: wanted, fields: changedFields(current, wanted)))
            }
        }
        for (id, stored) in existing.sorted(by: { $0.key < $1.key }) where !named.contains(id) {
            if prune && stored.effectiveManagedBy == .file {
                outcome.removed.append(id)
            } else {
                outcome.kept.append(id)
            }
        }
        return outcome
    }

    /// Names of the top-level fields whose JSON differs.
    static func changedFields(_ old: Job, _ new: Job) -> [String] {
        guard case .object(let before)? = try? JSONValue.parse(MessageCodec.encode(old)),
            case .object(let after)? = try? JSONValue.parse(MessageCodec.encode(new))
        else { return [] }
        return Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
    }

    /// Reads the registry, computes the diff and, unless `dryRun`, writes it with one
    /// `job_created`, `job_updated` or `job_deleted` event per change naming `actor`.
    func apply(jobs: [Job], prune: Bool, dryRun: Bool, actor: String) async throws -> Outcome {
        let existing = try await registry.allJobs()
        let outcome = JobApplier.diff(jobs: jobs, existing: existing, prune: prune)
        // The file was checked alone; jobs made through the API may close a loop with it.
        var remaining = existing
        for id in outcome.removed { remaining.removeValue(forKey: id) }
        if let loop = JobChains.loop(writing: jobs, over: remaining) {
            throw JobCompiler.Rejection(problems: [JobProblem(field: "jobs.\(loop[0])", message: JobChains.loopMessage(loop) + " (a job in the registry is part of it)")])
        }
        guard !dryRun else { return outcome }

        for job in outcome.added {
            try await registry.put(job)
            _ = try? await publisher.publish(event: ScheduleEvent(type: .jobCreated, jobID: job.id, app: job.app, actor: actor, detail: ["via": .string("apply")]))
        }
        for change in outcome.changed {
            try await registry.put(change.job)
            _ = try? await publisher.publish(event: ScheduleEvent(type: .jobUpdated, jobID: change.job.id, app: change.job.app, actor: actor, detail: [
                "via": .string("apply"), "fields": .array(change.fields.map { .string($0) }),
            ]))
        }
        for id in outcome.removed {
            try await registry.delete(jobID: id)
            _ = try? await publisher.publish(event: ScheduleEvent(type: .jobDeleted, jobID: id, app: existing[id]?.app, actor: actor, detail: ["via": .string("apply --prune")]))
        }
        return outcome
    }
}
