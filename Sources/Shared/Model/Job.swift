/// A scheduled job: which Dify app to run, when, with which inputs and policies.
///
/// Jobs come from job files (`jobs:` in the configuration), the control API and the `jobs`
/// topic (JSON, keyed by `id`). Durations are text such as `10m` (``DurationText``).
public struct Job: Codable, Hashable, Sendable {
    public static let currentVersion = 1

    public var version: Int?
    public var id: String
    public var app: String
    public var kind: JobKind?
    public var schedule: ScheduleSpec
    public var inputs: [String: JSONValue]?
    /// Chatflow question; may hold placeholders like `inputs`.
    public var query: String?
    /// Chatflow conversation: an id to continue, or nil for a new conversation per run.
    public var conversation: String?
    /// Dify end-user id sent with every run; defaults to `dify-scheduler`.
    public var user: String?
    public var responseMode: ResponseMode?
    public var timeout: String?
    public var retry: RetryPolicy?
    public var overlap: OverlapPolicy?
    public var misfire: MisfirePolicy?
    public var misfireThreshold: String?
    public var catchupWindow: String?
    public var maxCatchup: Int?
    public var maxDelay: String?
    public var priority: Int?
    public var expectedTokens: Int64?
    public var alerts: AlertPolicy?
    public var storeIO: Bool?
    public var managedBy: ManagedBy?
    public var labels: [String: String]?
    public var owner: String?
    public var description: String?
    /// For `kind: dify_cleanup`: what to delete and how fast; `app` names the database.
    public var cleanup: CleanupSettings?
    /// Where the run's output is sent when the run ends: channels, content and when.
    public var deliver: DeliverySpec?
    /// Jobs to trigger when a run of this job succeeds (`succeeded` or `partial_succeeded`).
    public var onSuccess: [String]?
    /// Jobs to trigger when a run of this job fails (`failed`, `timed_out`, `expired`, `rejected`).
    public var onFailure: [String]?

    public init(id: String, app: String, schedule: ScheduleSpec) {
        self.id = id
        self.app = app
        self.schedule = schedule
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case id, app, kind, schedule, inputs, query, conversation, user, timeout, retry, overlap, misfire
        case priority, alerts, labels, owner, description, cleanup
        case deliver
        case responseMode = "response_mode"
        case misfireThreshold = "misfire_threshold"
        case catchupWindow = "catchup_window"
        case maxCatchup = "max_catchup"
        case maxDelay = "max_delay"
        case expectedTokens = "expected_tokens"
        case storeIO = "store_io"
        case managedBy = "managed_by"
        case onSuccess = "on_success"
        case onFailure = "on_failure"
    }

    // MARK: - Defaults

    public var effectiveKind: JobKind { kind ?? .workflow }
    public var effectiveUser: String { user ?? "dify-scheduler" }
    public var effectiveResponseMode: ResponseMode { responseMode ?? .streaming }
    public var effectiveOverlap: OverlapPolicy { overlap ?? .allow }
    public var effectiveMisfire: MisfirePolicy { misfire ?? .fireOnce }
    public var effectiveManagedBy: ManagedBy { managedBy ?? .file }
    public var effectiveStoreIO: Bool { storeIO ?? true }
}

public enum JobKind: String, Codable, Hashable, Sendable, CaseIterable {
    case workflow
    case chatflow
    case completion
    case difyCleanup = "dify_cleanup"
}

public enum ResponseMode: String, Codable, Hashable, Sendable, CaseIterable {
    case streaming
    case blocking
}

/// What happens when a fire comes while a run of the same job is still open.
public enum OverlapPolicy: String, Codable, Hashable, Sendable, CaseIterable {
    case allow
    case skip
    case bufferOne = "buffer_one"
    case cancelPrevious = "cancel_previous"
}

/// What happens to instants missed while no producer owned the job.
public enum MisfirePolicy: String, Codable, Hashable, Sendable, CaseIterable {
    case skip
    case fireOnce = "fire_once"
    case fireAll = "fire_all"
}

public enum ManagedBy: String, Codable, Hashable, Sendable, CaseIterable {
    case file
    case api
}

/// Retries of retryable failures, with exponential backoff and full jitter.
public struct RetryPolicy: Codable, Hashable, Sendable {
    public var maxAttempts: Int?
    public var initialBackoff: String?
    public var maxBackoff: String?
    public var multiplier: Double?

    public init(maxAttempts: Int? = nil, initialBackoff: String? = nil, maxBackoff: String? = nil, multiplier: Double? = nil) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = multiplier
    }

    enum CodingKeys: String, CodingKey {
        case multiplier
        case maxAttempts = "max_attempts"
        case initialBackoff = "initial_backoff"
        case maxBackoff = "max_backoff"
    }
}

/// When a job's runs raise alerts, and to which channels.
public struct AlertPolicy: Codable, Hashable, Sendable {
    /// Outcomes that raise an alert: `failure`, `timeout`, `success`, `recovered`, `slow`.
    public var on: [String]?
    public var channels: [String]?
    /// Raise `consecutive_failures` after this many failed runs in a row.
    public var consecutiveFailures: Int?
    /// Raise `slow` when a run takes longer than this duration.
    public var slowerThan: String?
    /// Silence window after an alert of one incident.
    public var silence: String?

    public init(on: [String]? = nil, channels: [String]? = nil, consecutiveFailures: Int? = nil, slowerThan: String? = nil, silence: String? = nil) {
        self.on = on
        self.channels = channels
        self.consecutiveFailures = consecutiveFailures
        self.slowerThan = slowerThan
        self.silence = silence
    }

    enum CodingKeys: String, CodingKey {
        case on, channels, silence
        case consecutiveFailures = "consecutive_failures"
        case slowerThan = "slower_than"
    }
}
