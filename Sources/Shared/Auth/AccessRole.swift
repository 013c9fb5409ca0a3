/// A role an API token grants; each role allows a fixed set of ``AccessPermission``s.
///
/// `admin` may do everything, including operations no narrower role lists (settings);
/// `developer` manages jobs; `operator` reads everything, triggers, re-runs, pauses and
/// resumes, stops runs and cancels queued triggers;
/// `viewer` reads only.
public enum AccessRole: String, Sendable, Hashable, CaseIterable, Codable {
    case admin, developer, `operator`, viewer

    /// Every permission of the role.
    public var permissions: Set<AccessPermission> {
        switch self {
        case .admin: Set(AccessPermission.allCases)
        case .developer: [.read, .editJobs, .pauseResume, .trigger, .backfill, .controlRuns]
        case .operator: [.read, .pauseResume, .trigger, .controlRuns]
        case .viewer: [.read]
        }
    }

    public func allows(_ permission: AccessPermission) -> Bool {
        permissions.contains(permission)
    }

    /// Roles that hold `permission`, broadest first, for messages such as "needs developer or admin".
    public static func holding(_ permission: AccessPermission) -> [AccessRole] {
        allCases.filter { $0.allows(permission) }
    }
}

/// One kind of operation on the producer's HTTP interface that a role may or may not do.
public enum AccessPermission: String, Sendable, Hashable, CaseIterable {
    /// Read jobs, state, runs, records and metrics.
    case read
    /// Create, update and delete jobs.
    case editJobs = "edit_jobs"
    /// Pause and resume jobs.
    case pauseResume = "pause_resume"
    /// Trigger a job now, or re-run a finished run with the same or edited inputs.
    case trigger
    /// Stop running runs and cancel queued triggers.
    case controlRuns = "control_runs"
    /// Backfill a job over a time range.
    case backfill
    /// Anything else that changes state, such as settings: admin only.
    case administer
}
