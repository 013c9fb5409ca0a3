/// Checks of the chain graph that `on_success` and `on_failure` draw between jobs.
///
/// A chain may not loop through any path, since a loop would trigger runs forever. The same
/// checks run over a job file (`validate`, `apply`) and over the registry when the control API
/// creates or updates a job.
public enum JobChains {
    /// Most children one job may chain to in each of `on_success` and `on_failure`.
    public static let maxChildren = 20

    /// Returns the children of `job`, `on_success` first, without repeats.
    public static func children(of job: Job) -> [String] {
        var seen: Set<String> = []
        return ((job.onSuccess ?? []) + (job.onFailure ?? [])).filter { seen.insert($0).inserted }
    }

    /// Finds a loop in the graph of `jobs` and returns the job ids along it, with the first id
    /// repeated at the end (`a → b → a`), or nil when there is none.
    ///
    /// Children missing from `jobs` are ignored here; ``unknownChildren(in:known:)`` reports them.
    /// A job naming itself is left to ``JobValidator``.
    /// - Parameter from: when given, only loops reachable from these jobs are looked for.
    public static func loop(in jobs: [String: Job], from: [String]? = nil) -> [String]? {
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var path: [String] = []

        func visit(_ id: String) -> [String]? {
            switch marks[id] {
            case .done?: return nil
            case .visiting?:
                let start = path.firstIndex(of: id) ?? 0
                return Array(path[start...]) + [id]
            case nil: break
            }
            guard let job = jobs[id] else { return nil }
            marks[id] = .visiting
            path.append(id)
            // A job naming itself is reported by the job validator, with its field.
            for child in children(of: job) where child != id {
                if let found = visit(child) { return found }
            }
            path.removeLast()
            marks[id] = .done
            return nil
        }

        for id in from ?? jobs.keys.sorted() {
            if let found = visit(id) { return found }
        }
        return nil
    }

    /// Finds a loop that `changed` jobs would close once written over `existing` (the registry),
    /// looking only from the changed jobs; nil when there is none.
    public static func loop(writing changed: [Job], over existing: [String: Job]) -> [String]? {
        var merged = existing
        for job in changed { merged[job.id] = job }
        return loop(in: merged, from: changed.map(\.id).sorted())
    }

    /// Returns the children named by a job in `jobs` that are not in `known`, as (parent, field, child).
    public static func unknownChildren(in jobs: [Job], known: Set<String>) -> [(jobID: String, field: String, childID: String)] {
        var unknown: [(String, String, String)] = []
        for job in jobs {
            for (field, ids) in [("on_success", job.onSuccess ?? []), ("on_failure", job.onFailure ?? [])] {
                for (index, id) in ids.enumerated() where !known.contains(id) {
                    unknown.append((job.id, "\(field)[\(index)]", id))
                }
            }
        }
        return unknown
    }

    /// Returns the error message for a loop found by ``loop(in:from:)``.
    public static func loopMessage(_ loop: [String]) -> String {
        "the chain loops: \(loop.joined(separator: " → ")); remove one of these jobs from the on_success or on_failure of the job before it"
    }

    /// Returns the jobs using `parent.*` without a `default` filter that no job in `jobs` chains to, with
    /// the fields that use it.
    public static func orphanParentUses(in jobs: [String: Job]) -> [(jobID: String, fields: [String])] {
        let chained = Set(jobs.values.flatMap(children(of:)))
        var orphans: [(String, [String])] = []
        for (id, job) in jobs.sorted(by: { $0.key < $1.key }) where !chained.contains(id) {
            let fields = JobTemplates.parentFields(in: job)
            if !fields.isEmpty { orphans.append((id, fields)) }
        }
        return orphans
    }

    /// Returns the error message for a job found by ``orphanParentUses(in:)``.
    public static func orphanMessage(jobID: String, fields: [String]) -> String {
        "job \"\(jobID)\" uses parent.* in \(fields.joined(separator: ", ")), but no job chains to it, so these values would always be empty: "
            + "add \"\(jobID)\" to another job's on_success or on_failure, or give each such placeholder a default, as in {{ parent.answer | default: \"\" }}"
    }
}

extension JobValidator {
    /// Checks the ids in `on_success` and `on_failure` of one job.
    func chainProblems(in job: Job) -> [JobProblem] {
        var problems: [JobProblem] = []
        for (field, ids) in [("on_success", job.onSuccess ?? []), ("on_failure", job.onFailure ?? [])] {
            if ids.count > JobChains.maxChildren {
                problems.append(JobProblem(field: field, message: "\(ids.count) jobs is too many: chain at most \(JobChains.maxChildren) jobs, or chain to one job that fans out"))
            }
            var seen: Set<String> = []
            for (index, id) in ids.enumerated() {
                if !JobValidator.isValidID(id) {
                    problems.append(JobProblem(field: "\(field)[\(index)]", message: JobValidator.invalidIDMessage(id)))
                } else if id == job.id {
                    problems.append(JobProblem(field: "\(field)[\(index)]", message: JobChains.loopMessage([job.id, job.id])))
                } else if !seen.insert(id).inserted {
                    problems.append(JobProblem(field: "\(field)[\(index)]", message: "\"\(id)\" is listed twice: remove the repeat"))
                }
            }
        }
        return problems
    }
}
