/// What a `dify_cleanup` job deletes from Dify's run tables, and how fast.
///
/// Carried from the job's `cleanup` block to the trigger's `policy.cleanup`, because workers
/// never read jobs. The job's `app` names the Dify database under `worker.dify_databases`.
public struct CleanupSettings: Codable, Hashable, Sendable {
    /// Workflow runs created longer ago than this are deleted; default 30d.
    public var retention: String?
    /// Workflow runs per batch; default 100.
    public var batchSize: Int?
    /// Wait between batches, so Dify's own queries keep their share of the database; default 1s.
    public var pause: String?
    /// Dify app ids (UUIDs) whose runs are deleted; nil or empty means every app.
    public var apps: [String]?
    /// Counts what would go without deleting; default true, so deleting is a deliberate choice.
    public var dryRun: Bool?

    public init(retention: String? = nil, batchSize: Int? = nil, pause: String? = nil, apps: [String]? = nil, dryRun: Bool? = nil) {
        self.retention = retention
        self.batchSize = batchSize
        self.pause = pause
        self.apps = apps
        self.dryRun = dryRun
    }

    enum CodingKeys: String, CodingKey {
        case retention, pause, apps
        case batchSize = "batch_size"
        case dryRun = "dry_run"
    }

    public static let defaultRetention = "30d"
    public static let defaultBatchSize = 100
    public static let defaultPause = "1s"
    public static let batchSizeRange = 1...10_000
    /// The shortest retention accepted: a shorter one would delete runs that may still be going on.
    public static let minimumRetentionMilliseconds: Int64 = 3_600_000

    public var effectiveRetention: String { retention ?? Self.defaultRetention }
    public var effectiveBatchSize: Int { batchSize ?? Self.defaultBatchSize }
    public var effectivePause: String { pause ?? Self.defaultPause }
    public var effectiveDryRun: Bool { dryRun ?? true }

    /// Problems with the values, with the field path inside the job.
    public func problems() -> [JobProblem] {
        var problems: [JobProblem] = []
        do {
            let milliseconds = try DurationText.milliseconds(effectiveRetention)
            if milliseconds < Self.minimumRetentionMilliseconds {
                problems.append(JobProblem(field: "cleanup.retention", message: "\"\(effectiveRetention)\" is too short: use at least 1h, such as 30d"))
            }
        } catch {
            problems.append(JobProblem(field: "cleanup.retention", message: "\(error)"))
        }
        if !Self.batchSizeRange.contains(effectiveBatchSize) {
            problems.append(JobProblem(field: "cleanup.batch_size", message: "\(effectiveBatchSize) is out of range: use 1 to 10000, such as 100"))
        }
        do {
            let milliseconds = try DurationText.milliseconds(effectivePause)
            if milliseconds > 600_000 {
                problems.append(JobProblem(field: "cleanup.pause", message: "\"\(effectivePause)\" is too long: use at most 10m"))
            }
        } catch {
            problems.append(JobProblem(field: "cleanup.pause", message: "\(error)"))
        }
        for (index, app) in (apps ?? []).enumerated() where !Self.isUUID(app) {
            problems.append(JobProblem(field: "cleanup.apps[\(index)]", message: "\"\(app)\" is not a Dify app id: use the UUID in the app's console URL, such as 3f0a6d2e-8c1b-4f7e-9d2a-5b6c7d8e9f01"))
        }
        return problems
    }

    /// True for the 8-4-4-4-12 hexadecimal form PostgreSQL accepts for `uuid` columns.
    public static func isUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}
