import Shared

/// Counts what the notifier did with each alert and each run output, per channel, from the
/// events it publishes about them.
struct NotificationMetrics: Sendable {
    private let notifications: Counter

    init(registry: MetricsRegistry = .shared) {
        notifications = registry.counter(
            "dify_producer_notifications_total",
            help: "Alerts and run outputs handled per channel, by what (alert, output) and outcome (sent, failed, held).")
    }

    /// Counts the outcome an `alert_*` or `output_*` event records; other events are ignored.
    func count(_ event: ScheduleEvent) {
        let what: String
        let outcome: String
        switch event.type {
        case .alertSent:
            (what, outcome) = ("alert", "sent")
        case .alertFailed:
            // Silenced, maintenance-held and too-old alerts carry a reason and no error.
            (what, outcome) = ("alert", event.detail?["error"] == nil && event.detail?["reason"] != nil ? "held" : "failed")
        case .outputDelivered:
            (what, outcome) = ("output", "sent")
        case .outputFailed:
            (what, outcome) = ("output", "failed")
        default:
            return
        }
        let channel = event.detail?["channel"]?.stringValue ?? "none"
        notifications.increment(by: 1, ["what": what, "channel": channel, "outcome": outcome])
    }
}
