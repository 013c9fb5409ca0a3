import Foundation

/// The `alerts:` section: defaults per app, app-level rules, contacts, groups, maintenance
/// windows and how old an alert may be and still be sent.
public struct AlertSettings: Codable, Sendable, Hashable {
    /// Alerts older than this when the notifier reads them are recorded but not sent, so a
    /// producer back from downtime does not flood the channels (default 15m).
    public var maxAge: String?
    /// Alert policy per app, under each job's own `alerts`; the key `"*"` applies to every app.
    public var defaults: [String: AlertPolicy]?
    public var contacts: [String: ContactSettings]?
    /// Named lists of channels, contacts and other groups.
    public var groups: [String: [String]]?
    public var maintenance: [MaintenanceWindow]?
    public var rules: [AppAlertRule]?
    /// How far back a notifier reads `results` and `alerts` when it takes over partitions, to
    /// rebuild failure streaks and silences (default 7d; at most `history_limit` messages).
    public var history: String?
    /// Messages read back per partition at takeover (default 20000).
    public var historyLimit: Int?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case defaults, contacts, groups, maintenance, rules, history
        case maxAge = "max_age"
        case historyLimit = "history_limit"
    }

    public var effectiveMaxAgeMilliseconds: Int64 { maxAge.flatMap { try? DurationText.milliseconds($0) } ?? 15 * 60_000 }
    public var effectiveHistoryMilliseconds: Int64 { history.flatMap { try? DurationText.milliseconds($0) } ?? 7 * 86_400_000 }
    public var effectiveHistoryLimit: Int { historyLimit ?? 20_000 }

    /// The policy that applies to `job`: each field from the job's own `alerts`, else from the
    /// defaults of its app, else from the defaults for every app (`"*"`).
    public func effectivePolicy(for job: Job) -> AlertPolicy? {
        let layers = [job.alerts, defaults?[job.app], defaults?["*"]].compactMap { $0 }
        guard !layers.isEmpty else { return nil }
        var policy = AlertPolicy()
        policy.on = layers.lazy.compactMap(\.on).first
        policy.channels = layers.lazy.compactMap(\.channels).first
        policy.consecutiveFailures = layers.lazy.compactMap(\.consecutiveFailures).first
        policy.slowerThan = layers.lazy.compactMap(\.slowerThan).first
        policy.silence = layers.lazy.compactMap(\.silence).first
        return policy
    }
}

/// A person alerts can name: mentioned in group bots and mailed by email channels.
public struct ContactSettings: Codable, Sendable, Hashable {
    public var email: String?
    /// Mobile number, for DingTalk and WeCom mentions.
    public var mobile: String?
    public var dingtalkUserID: String?
    public var wecomUserID: String?
    /// Feishu or Lark `open_id` (`ou_…`).
    public var feishuOpenID: String?
    /// Slack member id (`U…`).
    public var slackUserID: String?
    /// Channels that reach this contact; an alert naming the contact goes to them.
    public var channels: [String]?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case email, mobile, channels
        case dingtalkUserID = "dingtalk_user_id"
        case wecomUserID = "wecom_user_id"
        case feishuOpenID = "feishu_open_id"
        case slackUserID = "slack_user_id"
    }
}

/// A time during which no alert is sent: once from `start` to `end`, or every time a cron
/// expression fires, for `duration`. Limited to some apps or jobs when they are listed.
public struct MaintenanceWindow: Codable, Sendable, Hashable {
    public var name: String?
    /// RFC 3339 instants of a one-time window.
    public var start: String?
    public var end: String?
    /// A recurring window: starts when this cron expression fires, lasts `duration`.
    public var cron: String?
    public var duration: String?
    public var timezone: String?
    public var apps: [String]?
    public var jobs: [String]?

    public init() {}
}

/// An app-level rule over all runs of an app in a sliding window.
public struct AppAlertRule: Codable, Sendable, Hashable {
    /// The app, or `"*"` for each app separately.
    public var app: String
    /// The window the rule looks at (default 1h); the previous window has the same length.
    public var window: String?
    /// Raise when the share of successful runs in the window is below this (0 to 1).
    public var successRateBelow: Double?
    /// Raise when the success rate fell by at least this many percent of the previous window's.
    public var successRateDrop: Double?
    /// Raise `stopped_firing` when the window has at least this many percent fewer runs than
    /// the previous one (100: no runs at all).
    public var runCountDrop: Double?
    /// Runs a window needs before the rates are judged (default 5).
    public var minRuns: Int?
    public var channels: [String]?
    public var silence: String?
    public var severity: AlertSeverity?

    public init(app: String) {
        self.app = app
    }

    enum CodingKeys: String, CodingKey {
        case app, window, channels, silence, severity
        case successRateBelow = "success_rate_below"
        case successRateDrop = "success_rate_drop"
        case runCountDrop = "run_count_drop"
        case minRuns = "min_runs"
    }

    public var windowMilliseconds: Int64 { window.flatMap { try? DurationText.milliseconds($0) } ?? 3_600_000 }
    public var effectiveMinRuns: Int { minRuns ?? 5 }
}
