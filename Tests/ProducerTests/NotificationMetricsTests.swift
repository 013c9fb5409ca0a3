import Foundation
import Shared
import Testing

@testable import Producer

@Suite struct NotificationMetricsTests {
    @Test func countsEachOutcomePerChannel() {
        let registry = MetricsRegistry()
        let metrics = NotificationMetrics(registry: registry)
        metrics.count(ScheduleEvent(type: .alertSent, jobID: "daily", app: "bot", detail: ["channel": "ops-dingtalk"]))
        metrics.count(ScheduleEvent(type: .alertFailed, jobID: "daily", app: "bot", detail: ["channel": "ops-dingtalk", "error": "HTTP 500"]))
        metrics.count(ScheduleEvent(type: .alertFailed, jobID: "daily", app: "bot", detail: ["channel": "ops-dingtalk", "reason": "silenced until later"]))
        metrics.count(ScheduleEvent(type: .outputDelivered, jobID: "daily", app: "bot", detail: ["channel": "team-wecom"]))
        metrics.count(ScheduleEvent(type: .outputFailed, jobID: "daily", app: "bot", detail: ["channel": "team-wecom", "error": "timeout"]))
        metrics.count(ScheduleEvent(type: .runFinished, jobID: "daily", app: "bot"))

        let name = "dify_producer_notifications_total"
        #expect(registry.value(name, labels: ["what": "alert", "channel": "ops-dingtalk", "outcome": "sent"]) == 1)
        #expect(registry.value(name, labels: ["what": "alert", "channel": "ops-dingtalk", "outcome": "failed"]) == 1)
        #expect(registry.value(name, labels: ["what": "alert", "channel": "ops-dingtalk", "outcome": "held"]) == 1)
        #expect(registry.value(name, labels: ["what": "output", "channel": "team-wecom", "outcome": "sent"]) == 1)
        #expect(registry.value(name, labels: ["what": "output", "channel": "team-wecom", "outcome": "failed"]) == 1)
        #expect(!registry.render().contains("run_finished"))
    }
}
