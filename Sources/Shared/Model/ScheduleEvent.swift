import Foundation

/// Something that happened to a job or a trigger, published to the `events` topic keyed by
/// job id: emitted, misfired, throttled, retry scheduled, run started, job changed, ….
public struct ScheduleEvent: Codable, Hashable, Sendable {
    public static let currentVersion = 1

    public var version: Int
    public var id: String
    public var time: Date
    public var type: EventType
    public var jobID: String?
    public var triggerID: String?
    public var app: String?
    /// Who asked, for changes made through the API or the console.
    public var actor: String?
    public var detail: [String: JSONValue]?

    public init(
        type: EventType, jobID: String?, triggerID: String? = nil, app: String? = nil,
        actor: String? = nil, detail: [String: JSONValue]? = nil, time: Date = Date(), id: String? = nil
    ) {
        self.version = ScheduleEvent.currentVersion
        // The UUID's 16 bytes in lowercase hex, as its uuidString without dashes, without the string work.
        self.id = id ?? "e-" + StableHash.hex(withUnsafeBytes(of: UUID().uuid) { Array($0) })
        self.time = time
        self.type = type
        self.jobID = jobID
        self.triggerID = triggerID
        self.app = app
        self.actor = actor
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case id, time, type, app, actor, detail
        case jobID = "job_id"
        case triggerID = "trigger_id"
    }
}

public enum EventType: String, Codable, Hashable, Sendable, CaseIterable {
    case emitted
    case misfired
    case skippedOverlap = "skipped_overlap"
    case throttled
    case expired
    case rejected
    case duplicate
    case retryScheduled = "retry_scheduled"
    case runStarted = "run_started"
    case runAdopted = "run_adopted"
    case runFinished = "run_finished"
    case zombie
    case stopRequested = "stop_requested"
    case alertSent = "alert_sent"
    case alertFailed = "alert_failed"
    /// A run's output reached one channel, in `detail.parts` messages.
    case outputDelivered = "output_delivered"
    /// A run's output did not reach one channel; `detail.reason` and `detail.error` say why.
    case outputFailed = "output_failed"
    case jobCreated = "job_created"
    case jobUpdated = "job_updated"
    case jobDeleted = "job_deleted"
    case jobRejected = "job_rejected"
    case jobPaused = "job_paused"
    case jobResumed = "job_resumed"
    case jobTriggered = "job_triggered"
    case jobBackfilled = "job_backfilled"
    /// Someone asked to stop a running run, cancel a queued trigger, or cancel a job's queued triggers.
    case runStopRequested = "run_stop_requested"
    /// Someone re-ran a finished run; the event's trigger is the new one.
    case rerunTriggered = "rerun_triggered"
}

/// A fact or a rule outcome that may notify people, published to the `alerts` topic.
public struct Alert: Codable, Hashable, Sendable {
    public static let currentVersion = 1

    public var version: Int
    public var id: String
    public var time: Date
    public var kind: AlertKind
    public var severity: AlertSeverity
    public var jobID: String?
    public var app: String?
    public var triggerID: String?
    public var status: RunStatus?
    public var message: String
    public var channels: [String]?
    public var detail: [String: JSONValue]?

    public init(
        kind: AlertKind, severity: AlertSeverity, jobID: String?, app: String?, triggerID: String?,
        status: RunStatus?, message: String, channels: [String]? = nil, time: Date = Date(), id: String? = nil
    ) {
        self.version = Alert.currentVersion
        // One alert per run and kind: a redelivered result yields the same alert id.
        self.id = id ?? "a-" + StableHash.hex(Array(StableHash.sha256("\(kind.rawValue)\u{0}\(triggerID ?? UUID().uuidString)").prefix(12)))
        self.time = time
        self.kind = kind
        self.severity = severity
        self.jobID = jobID
        self.app = app
        self.triggerID = triggerID
        self.status = status
        self.message = message
        self.channels = channels
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case id, time, kind, severity, app, status, message, channels, detail
        case jobID = "job_id"
        case triggerID = "trigger_id"
    }
}

public enum AlertKind: String, Codable, Hashable, Sendable, CaseIterable {
    case failure
    case timeout
    case success
    case recovered
    case consecutiveFailures = "consecutive_failures"
    case slow
    case appThreshold = "app_threshold"
    case stoppedFiring = "stopped_firing"
    /// An app's usage of the day passed its budget's `warn_at` share; sent by the worker.
    case budgetNear = "budget_near"
    /// An app's usage of the day reached its budget; sent by the worker.
    case budgetExhausted = "budget_exhausted"

    /// True for alerts about an app rather than one job: a job's `silence` does not apply.
    public var isAppLevel: Bool {
        switch self {
        case .appThreshold, .stoppedFiring, .budgetNear, .budgetExhausted: true
        default: false
        }
    }
}

public enum AlertSeverity: String, Codable, Hashable, Sendable, CaseIterable {
    case info
    case warning
    case critical
}
