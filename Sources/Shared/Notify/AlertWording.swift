import Foundation

/// The words of an alert message in one language: a title and labelled lines, before any
/// channel's markup. Values that come from Dify (error messages) are marked so each channel
/// escapes them for its format.
public struct AlertWording: Sendable, Hashable {
    public enum Language: String, Sendable, Hashable, CaseIterable {
        case english = "en"
        case chinese = "zh-CN"

        public init(setting: String?) {
            self = setting.flatMap(Language.init(rawValue:)) ?? .english
        }
    }

    /// One labelled value; `fromDify` values are untrusted text.
    public struct Line: Sendable, Hashable {
        public var label: String
        public var value: String
        public var fromDify: Bool
    }

    public var language: Language
    public var title: String
    public var lines: [Line]
    public var link: String?
    public var linkText: String

    /// Longest error text quoted from Dify, in characters; the rest is cut with an ellipsis.
    public static let maxErrorCharacters = 800

    public init(notice: AlertNotice, language: Language) {
        let alert = notice.alert
        let zh = language == .chinese
        self.language = language
        self.link = notice.runLink
        self.linkText = zh ? "在控制台中查看运行" : "Open the run in the console"

        let subject = alert.jobID ?? alert.app ?? "-"
        title = "\(Self.severityTag(alert.severity, zh: zh)) \(Self.headline(alert, zh: zh)): \(subject)"

        var lines: [Line] = []
        func add(_ english: String, _ chinese: String, _ value: String?, fromDify: Bool = false) {
            guard let value, !value.isEmpty else { return }
            lines.append(Line(label: zh ? chinese : english, value: value, fromDify: fromDify))
        }
        add("Job", "任务", alert.jobID)
        add("App", "应用", alert.app)
        add("Status", "状态", alert.status.map { Self.statusText($0, zh: zh) })
        add("Scheduled", "计划时间", notice.scheduledText)
        add("Duration", "耗时", notice.runTimeMilliseconds.map { DurationText.format(milliseconds: $0) })
        add("Tokens", "Token 数", notice.totalTokens.map(String.init))
        add("Attempts", "尝试次数", notice.attempts.map(String.init))
        let isRunOutcome = [.failure, .timeout, .success].contains(alert.kind)
        let message = String(alert.message.prefix(Self.maxErrorCharacters)) + (alert.message.count > Self.maxErrorCharacters ? "…" : "")
        if isRunOutcome && alert.kind != .success {
            add("Error", "错误", message, fromDify: true)
        } else {
            add("Detail", "详情", message, fromDify: isRunOutcome)
        }
        add("Trigger", "触发 ID", alert.triggerID)
        self.lines = lines
    }

    static func severityTag(_ severity: AlertSeverity, zh: Bool) -> String {
        switch severity {
        case .critical: zh ? "【严重】" : "[CRITICAL]"
        case .warning: zh ? "【警告】" : "[WARNING]"
        case .info: zh ? "【通知】" : "[INFO]"
        }
    }

    static func headline(_ alert: Alert, zh: Bool) -> String {
        switch alert.kind {
        case .failure: zh ? "运行失败" : "Run failed"
        case .timeout: zh ? "运行超时" : "Run timed out"
        case .success: zh ? "运行成功" : "Run succeeded"
        case .recovered: zh ? "任务已恢复" : "Job recovered"
        case .consecutiveFailures:
            if let count = alert.detail?["consecutive_failures"]?.intValue {
                zh ? "连续 \(count) 次运行失败" : "\(count) failed runs in a row"
            } else {
                zh ? "连续运行失败" : "Failed runs in a row"
            }
        case .slow: zh ? "运行过慢" : "Run too slow"
        case .appThreshold: zh ? "应用成功率告警" : "App success rate alert"
        case .stoppedFiring: zh ? "运行次数骤降" : "Runs dropped"
        case .budgetNear: zh ? "应用今日预算即将用完" : "App's daily budget nearly used"
        case .budgetExhausted: zh ? "应用今日预算已用完" : "App's daily budget used up"
        }
    }

    static func statusText(_ status: RunStatus, zh: Bool) -> String {
        guard zh else { return status.rawValue }
        switch status {
        case .succeeded: return "成功 (succeeded)"
        case .partialSucceeded: return "部分成功 (partial_succeeded)"
        case .failed: return "失败 (failed)"
        case .stopped: return "已停止 (stopped)"
        case .timedOut: return "超时 (timed_out)"
        case .expired: return "已过期 (expired)"
        case .rejected: return "被拒绝 (rejected)"
        case .skipped: return "已跳过 (skipped)"
        case .paused: return "已暂停 (paused)"
        }
    }

    /// The message as plain text: title, one line per value, the link.
    public var plainText: String {
        var text = title + "\n"
        for line in lines {
            text += "\(line.label): \(line.value)\n"
        }
        if let link { text += "\(linkText): \(link)\n" }
        return text
    }
}
