import Foundation

/// A request to run a job once, sent to the `triggers` topic keyed by app.
///
/// Workers never read `jobs`, so `policy` carries everything a worker needs from the job.
/// A trigger with `type: cancel` is a control message asking the worker that holds
/// `target_trigger_id` to stop or drop that run.
public struct Trigger: Codable, Hashable, Sendable {
    public static let currentVersion = 1

    public var version: Int
    /// For scheduled fires a stable hash of job id and scheduled instant (``TriggerID``).
    public var id: String
    public var type: TriggerType?
    public var jobID: String?
    public var app: String
    public var kind: JobKind?
    public var inputs: [String: JSONValue]?
    public var user: String?
    public var scheduledAt: Date?
    public var emittedAt: Date?
    /// Attempt number, from 1.
    public var attempt: Int?
    public var attempts: [AttemptRecord]?
    /// Earliest instant the worker may start this attempt (a pending retry).
    public var notBefore: Date?
    /// The run is not started after this instant; the result is `expired`.
    public var deadline: Date?
    public var source: TriggerSource?
    public var traceID: String?
    public var policy: TriggerPolicy?
    /// For `type: cancel`: the trigger whose run to stop.
    public var targetTriggerID: String?
    /// For `type: cancel`: the job whose queued triggers to cancel; runs already started go on.
    public var targetJobID: String?
    /// For a re-run: the id of the finished trigger whose run this one repeats.
    public var rerunOf: String?
    /// Name of the person or system that requested a manual trigger or a cancel.
    public var actor: String?
    /// For `source: chain`: the trigger of the run whose end started this one.
    public var parentTriggerID: String?
    /// For `source: chain`: the job of that run.
    public var parentJobID: String?

    public init(id: String, app: String) {
        self.version = Trigger.currentVersion
        self.id = id
        self.app = app
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case id, type, app, kind, inputs, user, attempt, attempts, deadline, source, policy, actor
        case jobID = "job_id"
        case scheduledAt = "scheduled_at"
        case emittedAt = "emitted_at"
        case notBefore = "not_before"
        case traceID = "trace_id"
        case targetTriggerID = "target_trigger_id"
        case targetJobID = "target_job_id"
        case rerunOf = "rerun_of"
        case parentTriggerID = "parent_trigger_id"
        case parentJobID = "parent_job_id"
    }

    public var effectiveType: TriggerType { type ?? .run }
    public var effectiveAttempt: Int { attempt ?? 1 }
    public var effectiveKind: JobKind { kind ?? .workflow }
    public var effectiveSource: TriggerSource { source ?? .external }
}

public enum TriggerType: String, Codable, Hashable, Sendable, CaseIterable {
    case run
    case cancel
}

public enum TriggerSource: String, Codable, Hashable, Sendable, CaseIterable {
    case schedule
    case manual
    case api
    case external
    case retry
    case backfill
    case chain
}

/// Job settings a worker needs to run a trigger, copied into it because workers never read jobs.
public struct TriggerPolicy: Codable, Hashable, Sendable {
    public var timeout: String?
    public var retry: RetryPolicy?
    public var responseMode: ResponseMode?
    public var priority: Int?
    public var expectedTokens: Int64?
    public var alerts: AlertPolicy?
    public var query: String?
    public var conversation: String?
    public var storeIO: Bool?
    public var maxDelay: String?
    /// For `kind: dify_cleanup`: the job's `cleanup` block.
    public var cleanup: CleanupSettings?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case timeout, retry, priority, alerts, query, conversation, cleanup
        case responseMode = "response_mode"
        case expectedTokens = "expected_tokens"
        case storeIO = "store_io"
        case maxDelay = "max_delay"
    }
}

/// One attempt of a run: when it started and ended, and why it failed.
public struct AttemptRecord: Codable, Hashable, Sendable {
    public var number: Int
    public var startedAt: Date?
    public var finishedAt: Date?
    public var error: RunError?
    public var workerID: String?
    public var difyRunID: String?

    public init(number: Int, startedAt: Date? = nil, finishedAt: Date? = nil, error: RunError? = nil, workerID: String? = nil, difyRunID: String? = nil) {
        self.number = number
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
        self.workerID = workerID
        self.difyRunID = difyRunID
    }

    enum CodingKeys: String, CodingKey {
        case number, error
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case workerID = "worker_id"
        case difyRunID = "workflow_run_id"
    }
}

/// Cause of a failed run or attempt.
public struct RunError: Codable, Hashable, Sendable {
    public var code: String
    public var message: String
    public var retryable: Bool?
    /// The Dify node that failed, when the failure came from a node.
    public var nodeID: String?

    public init(code: String, message: String, retryable: Bool? = nil, nodeID: String? = nil) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.nodeID = nodeID
    }

    enum CodingKeys: String, CodingKey {
        case code, message, retryable
        case nodeID = "node_id"
    }
}

/// Trigger ids: deterministic for scheduled fires, random for everything else.
public enum TriggerID {
    /// The id of the fire of `jobID` at `scheduledAt`: the same in every producer instance, so a
    /// fire emitted twice (after a crash or a hand-over) is recognised as one by workers.
    public static func scheduled(jobID: String, scheduledAt: Date) -> String {
        let milliseconds = Int64((scheduledAt.timeIntervalSince1970 * 1000).rounded())
        let digest = StableHash.sha256("\(jobID)\u{0}\(milliseconds)")
        return "t-" + StableHash.hex(Array(digest.prefix(16)))
    }

    /// The id of the run of `childJobID` chained from the run of `parentTriggerID`: the same
    /// whenever the parent's result is read again, so a redelivered result never starts the
    /// child twice (workers drop a trigger id they have seen).
    public static func chained(parentTriggerID: String, childJobID: String) -> String {
        let digest = StableHash.sha256("chain\u{0}\(parentTriggerID)\u{0}\(childJobID)")
        return "k-" + StableHash.hex(Array(digest.prefix(16)))
    }

    /// Returns a fresh random id for manual and API triggers.
    public static func random(prefix: String = "m") -> String {
        "\(prefix)-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }
}
