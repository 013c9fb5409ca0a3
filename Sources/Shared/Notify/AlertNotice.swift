import Foundation

/// What one message about an alert says, before it is worded for a language and a channel:
/// the alert, the run's scheduled time in the job's zone, the console link and who to mention.
public struct AlertNotice: Sendable, Hashable {
    public var alert: Alert
    public var scheduledAt: Date?
    /// IANA zone of the job's schedule; the scheduled time is shown in it (UTC when nil).
    public var timezone: String?
    /// The run in the console: `{producer.public_url}/runs/{trigger_id}`.
    public var runLink: String?
    public var mentions: AlertMentions

    public init(alert: Alert, scheduledAt: Date? = nil, timezone: String? = nil, runLink: String? = nil, mentions: AlertMentions = AlertMentions()) {
        self.alert = alert
        self.scheduledAt = scheduledAt ?? alert.detail?["scheduled_at"]?.stringValue.flatMap(Timestamp.parse)
        self.timezone = timezone
        self.runLink = runLink
        self.mentions = mentions
    }

    /// The console link of the run `triggerID`, or nil without a public URL or a run.
    public static func runLink(publicURL: String?, triggerID: String?) -> String? {
        guard var base = publicURL, !base.isEmpty, let triggerID, !triggerID.isEmpty else { return nil }
        while base.hasSuffix("/") { base.removeLast() }
        let escaped = triggerID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? triggerID
        return "\(base)/runs/\(escaped)"
    }

    public var attempts: Int64? { alert.detail?["attempts"]?.intValue }
    public var runTimeMilliseconds: Int64? { alert.detail?["run_time_ms"]?.intValue }
    public var totalTokens: Int64? { alert.detail?["total_tokens"]?.intValue }
    public var workflowRunID: String? { alert.detail?["workflow_run_id"]?.stringValue }

    /// The scheduled time as local time in the job's zone, with the zone's name.
    public var scheduledText: String? {
        guard let scheduledAt else { return nil }
        let name = timezone ?? "UTC"
        let zone = (try? ZoneRules.named(name)) ?? ZoneRules.utc
        return LocalTimeText.format(scheduledAt, zone: zone).replacingOccurrences(of: "T", with: " ") + " (\(zone.identifier))"
    }
}

/// People to mention or mail with one message, gathered from the contacts an alert names.
public struct AlertMentions: Sendable, Hashable {
    public var mobiles: [String] = []
    public var dingtalkUserIDs: [String] = []
    public var wecomUserIDs: [String] = []
    public var feishuOpenIDs: [String] = []
    public var slackUserIDs: [String] = []
    public var emails: [String] = []

    public init() {}

    public var isEmpty: Bool {
        mobiles.isEmpty && dingtalkUserIDs.isEmpty && wecomUserIDs.isEmpty && feishuOpenIDs.isEmpty && slackUserIDs.isEmpty && emails.isEmpty
    }

    /// Adds a contact's handles, keeping each once.
    public mutating func add(_ contact: ContactSettings) {
        func append(_ value: String?, to list: inout [String]) {
            if let value, !value.isEmpty, !list.contains(value) { list.append(value) }
        }
        append(contact.mobile, to: &mobiles)
        append(contact.dingtalkUserID, to: &dingtalkUserIDs)
        append(contact.wecomUserID, to: &wecomUserIDs)
        append(contact.feishuOpenID, to: &feishuOpenIDs)
        append(contact.slackUserID, to: &slackUserIDs)
        append(contact.email, to: &emails)
    }
}
