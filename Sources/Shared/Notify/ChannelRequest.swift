import Foundation

/// One HTTP POST to a chat or webhook channel: where, with which headers and body.
public struct ChannelRequest: Sendable, Hashable {
    public var url: String
    public var headers: [String: String]
    public var body: [UInt8]

    public init(url: String, headers: [String: String] = ["Content-Type": "application/json; charset=utf-8"], body: [UInt8]) {
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// Builds the request that tells `channel` about `notice`.
    ///
    /// - Parameters:
    ///   - webhookURL: the channel's URL, read from its environment variable or file.
    ///   - secret: the signing secret, for DingTalk, Feishu and generic webhooks.
    ///   - now: the signing time; receivers reject signatures more than an hour old.
    public static func build(channel: ChannelSettings, webhookURL: String, secret: String?, notice: AlertNotice, now: Date = Date()) -> ChannelRequest {
        let wording = AlertWording(notice: notice, language: AlertWording.Language(setting: channel.language))
        switch channel.type {
        case "dingtalk": return dingtalk(webhookURL: webhookURL, secret: secret, wording: wording, mentions: notice.mentions, now: now)
        case "wecom": return wecom(webhookURL: webhookURL, wording: wording, mentions: notice.mentions)
        case "feishu": return feishu(webhookURL: webhookURL, secret: secret, wording: wording, mentions: notice.mentions, severity: notice.alert.severity, now: now)
        case "slack": return slack(webhookURL: webhookURL, wording: wording, mentions: notice.mentions)
        default: return webhook(channel: channel, webhookURL: webhookURL, secret: secret, wording: wording, notice: notice, now: now)
        }
    }

    /// Markdown lines of the wording: a heading, one bold label per value, the link.
    static func markdownBody(_ wording: AlertWording, style: MarkupStyle, heading: Bool = true) -> String {
        var parts: [String] = []
        if heading { parts.append("### " + style.escape(wording.title)) }
        for line in wording.lines {
            parts.append("**\(style.escape(line.label))**: \(style.escape(line.value))")
        }
        if let link = wording.link {
            parts.append("[\(style.escape(wording.linkText))](\(link))")
        }
        return parts.joined(separator: "\n\n")
    }

    // MARK: - Channels

    static func dingtalk(webhookURL: String, secret: String?, wording: AlertWording, mentions: AlertMentions, now: Date) -> ChannelRequest {
        var text = markdownBody(wording, style: .markdown)
        let handles = mentions.mobiles + mentions.dingtalkUserIDs
        if !handles.isEmpty {
            // DingTalk notifies only people whose @handle also appears in the text.
            text += "\n\n" + handles.map { "@" + $0 }.joined(separator: " ")
        }
        let body = JSONValue.object([
            "msgtype": .string("markdown"),
            "markdown": .object(["title": .string(wording.title), "text": .string(text)]),
            "at": .object([
                "atMobiles": .array(mentions.mobiles.map(JSONValue.string)),
                "atUserIds": .array(mentions.dingtalkUserIDs.map(JSONValue.string)),
                "isAtAll": .bool(false),
            ]),
        ])
        return ChannelRequest(url: dingtalkURL(webhookURL: webhookURL, secret: secret, now: now), body: Array(body.compactData()))
    }

    /// The DingTalk webhook URL with `timestamp` and `sign` added when the robot has a secret.
    static func dingtalkURL(webhookURL: String, secret: String?, now: Date) -> String {
        var url = webhookURL
        if let secret {
            let timestamp = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
            let sign = ChannelSignature.dingtalk(secret: secret, timestampMilliseconds: timestamp)
            url += (url.contains("?") ? "&" : "?") + "timestamp=\(timestamp)&sign=" + ChannelSignature.queryEscape(sign)
        }
        return url
    }

    /// WeCom robots take Markdown content of at most 4096 bytes.
    static let wecomMaxBytes = 4096

    static func wecom(webhookURL: String, wording: AlertWording, mentions: AlertMentions) -> ChannelRequest {
        var content = markdownBody(wording, style: .markdown)
        let tags = mentions.wecomUserIDs.map { "<@\($0)>" }.joined(separator: " ")
        let reserved = tags.isEmpty ? 0 : tags.utf8.count + 2
        if content.utf8.count + reserved > wecomMaxBytes {
            content = String(content.prefix(maxBytes: wecomMaxBytes - reserved - 3)) + "…"
        }
        if !tags.isEmpty { content += "\n\n" + tags }
        let body = JSONValue.object([
            "msgtype": .string("markdown"),
            "markdown": .object(["content": .string(content)]),
        ])
        return ChannelRequest(url: webhookURL, body: Array(body.compactData()))
    }

    static func feishu(webhookURL: String, secret: String?, wording: AlertWording, mentions: AlertMentions, severity: AlertSeverity, now: Date) -> ChannelRequest {
        var content = markdownBody(wording, style: .larkMarkdown, heading: false)
        if !mentions.feishuOpenIDs.isEmpty {
            content += "\n\n" + mentions.feishuOpenIDs.map { "<at id=\($0)></at>" }.joined(separator: " ")
        }
        var elements: [JSONValue] = [
            .object(["tag": .string("div"), "text": .object(["tag": .string("lark_md"), "content": .string(content)])])
        ]
        if let link = wording.link {
            elements.append(.object([
                "tag": .string("action"),
                "actions": .array([.object([
                    "tag": .string("button"), "type": .string("primary"), "url": .string(link),
                    "text": .object(["tag": .string("plain_text"), "content": .string(wording.linkText)]),
                ])]),
            ]))
        }
        let template = switch severity {
        case .critical: "red"
        case .warning: "orange"
        case .info: "green"
        }
        var body: [String: JSONValue] = [
            "msg_type": .string("interactive"),
            "card": .object([
                "config": .object(["wide_screen_mode": .bool(true)]),
                "header": .object([
                    "template": .string(template),
                    "title": .object(["tag": .string("plain_text"), "content": .string(wording.title)]),
                ]),
                "elements": .array(elements),
            ]),
        ]
        signFeishu(&body, secret: secret, now: now)
        return ChannelRequest(url: webhookURL, body: Array(JSONValue.object(body).compactData()))
    }

    /// Adds Feishu's `timestamp` and `sign` fields to a request body when the bot has a secret.
    static func signFeishu(_ body: inout [String: JSONValue], secret: String?, now: Date) {
        guard let secret else { return }
        let timestamp = Int64(now.timeIntervalSince1970.rounded(.down))
        body["timestamp"] = .string(String(timestamp))
        body["sign"] = .string(ChannelSignature.feishu(secret: secret, timestampSeconds: timestamp))
    }

    static func slack(webhookURL: String, wording: AlertWording, mentions: AlertMentions) -> ChannelRequest {
        let style = MarkupStyle.slackMarkdown
        var fields = wording.lines.map { "*\(style.escape($0.label))*: \(style.escape($0.value))" }.joined(separator: "\n")
        if let link = wording.link {
            fields += "\n<\(link)|\(style.escape(wording.linkText))>"
        }
        if !mentions.slackUserIDs.isEmpty {
            fields += "\n" + mentions.slackUserIDs.map { "<@\($0)>" }.joined(separator: " ")
        }
        let body = JSONValue.object([
            // Shown in notifications and by clients that do not render blocks.
            "text": .string(style.escape(wording.title)),
            "blocks": .array([
                .object(["type": .string("header"), "text": .object(["type": .string("plain_text"), "text": .string(String(wording.title.prefix(150)))])]),
                .object(["type": .string("section"), "text": .object(["type": .string("mrkdwn"), "text": .string(fields)])]),
            ]),
        ])
        return ChannelRequest(url: webhookURL, body: Array(body.compactData()))
    }

    /// The generic webhook's body: the alert as published, plus the worded message.
    static func webhook(channel: ChannelSettings, webhookURL: String, secret: String?, wording: AlertWording, notice: AlertNotice, now: Date) -> ChannelRequest {
        let alertJSON = (try? JSONValue.parse(MessageCodec.encode(notice.alert))) ?? .null
        var payload: [String: JSONValue] = [
            "v": .int(1),
            "alert": alertJSON,
            "title": .string(wording.title),
            "text": .string(wording.plainText),
            "markdown": .string(markdownBody(wording, style: .markdown)),
            "language": .string(wording.language.rawValue),
        ]
        if let link = wording.link { payload["link"] = .string(link) }
        if let scheduled = notice.scheduledText { payload["scheduled_local"] = .string(scheduled) }
        if !notice.mentions.emails.isEmpty { payload["contacts"] = .array(notice.mentions.emails.map(JSONValue.string)) }
        let body = Array(JSONValue.object(payload).compactData(sortedKeys: true))
        return ChannelRequest(url: webhookURL, headers: webhookHeaders(channel: channel, secret: secret, body: body, now: now), body: body)
    }

    /// A generic webhook's headers: the channel's own, the content type, and the signature
    /// when the channel has a secret.
    static func webhookHeaders(channel: ChannelSettings, secret: String?, body: [UInt8], now: Date) -> [String: String] {
        var headers = channel.headers ?? [:]
        headers["Content-Type"] = "application/json; charset=utf-8"
        headers["User-Agent"] = "dify-scheduler"
        if let secret {
            let timestamp = Int64(now.timeIntervalSince1970.rounded(.down))
            headers["X-Dify-Scheduler-Timestamp"] = String(timestamp)
            headers[channel.signatureHeader ?? "X-Dify-Scheduler-Signature"] = ChannelSignature.webhook(secret: secret, timestampSeconds: timestamp, body: body)
        }
        return headers
    }
}
