import Foundation

/// A run's output to deliver: a title, Markdown text and the run's console link, with the
/// messages it takes on each channel kind.
///
/// Length limits, as the receivers enforce them (sources: the platforms' robot guides and the
/// errors they return):
///
/// | channel | limit | unit | on overflow |
/// |---|---|---|---|
/// | DingTalk robot, markdown | request body 20,000 bytes (`460101 message too long, exceed 20000 bytes`) | UTF-8 bytes of the JSON body | split |
/// | WeCom group robot, markdown | `markdown.content` 4096 bytes (`40058`) | UTF-8 bytes of the content | split |
/// | Feishu custom bot, card | request body 20,000 bytes | UTF-8 bytes of the JSON body | split |
/// | Slack incoming webhook | section block text 3000 characters | UTF-16 code units | split |
/// | generic webhook, email | none applied | – | one message |
public struct OutputMessage: Sendable, Hashable {
    public var title: String
    /// Markdown text: the answer, the output variable or the rendered template.
    public var text: String
    /// The run in the console, when `producer.public_url` is set.
    public var link: String?
    public var jobID: String?
    public var triggerID: String
    public var status: RunStatus
    /// Content kind of the text: `answer`, `output` or `template`.
    public var content: String

    public init(title: String, text: String, link: String?, jobID: String?, triggerID: String, status: RunStatus, content: String) {
        self.title = title
        self.text = text
        self.link = link
        self.jobID = jobID
        self.triggerID = triggerID
        self.status = status
        self.content = content
    }

    /// How long one message may be on a channel kind.
    public struct Limit: Sendable, Hashable {
        public var maximum: Int
        public var measure: TextMeasure
    }

    /// Returns the limit of a channel type, or nil for channels that take the whole text at once.
    public static func limit(channelType: String) -> Limit? {
        switch channelType {
        case "dingtalk": Limit(maximum: 20_000, measure: .jsonUTF8Bytes)
        case "wecom": Limit(maximum: 4096, measure: .utf8Bytes)
        // NOTE: 20,000 bytes is the request body limit commonly cited for Feishu custom
        // bots; card errors name 30 KB. The lower figure only costs an extra part.
        case "feishu": Limit(maximum: 20_000, measure: .jsonUTF8Bytes)
        case "slack": Limit(maximum: 3000, measure: .utf16Units)
        default: nil
        }
    }

    /// Room kept free in body-limited messages for the signature fields and URL parameters.
    static let signatureReserve = 256

    /// One message of a delivery.
    public struct Part: Sendable, Hashable {
        /// 1-based position among `count` parts.
        public var number: Int
        public var count: Int
        public var text: String
        /// True when the text ends with the note that the rest was cut.
        public var isCut: Bool

        public init(number: Int, count: Int, text: String, isCut: Bool) {
            self.number = number
            self.count = count
            self.text = text
            self.isCut = isCut
        }

        public var isLast: Bool { number == count }
    }

    /// Splits this output into the messages it takes on `channel`: numbered parts within its
    /// limit, at most `maxParts` of them. Text that does not fit is cut with a note and the run link.
    public func parts(channel: ChannelSettings, overflow: DeliverySpec.Overflow, maxParts: Int) -> [Part] {
        let language = AlertWording.Language(setting: channel.language)
        let body = channel.type == "slack" ? SlackMarkup.convert(text) : text
        let text = body.isEmpty ? Self.emptyText(language) : body
        guard let limit = Self.limit(channelType: channel.type) else {
            return [Part(number: 1, count: 1, text: text, isCut: false)]
        }
        // The frame is everything around the text, measured with the longest part label.
        let frame = framedLength(channel: channel, limit: limit)
        let splitter = MessageSplitter(limit: limit.maximum - frame, measure: limit.measure)
        let allowed = overflow == .cut ? 1 : max(1, maxParts)
        var pieces = splitter.split(text)
        var isCut = false
        if pieces.count > allowed {
            let remaining = pieces[(allowed - 1)...].joined(separator: "\n\n")
            let sizing = cutNote(omitted: remaining.count, language: language, channelType: channel.type)
            let room = splitter.limit - limit.measure.count(sizing)
            let keptText = MessageSplitter(limit: room, measure: limit.measure).split(remaining).first ?? ""
            let note = cutNote(omitted: remaining.count - keptText.count, language: language, channelType: channel.type)
            pieces = Array(pieces.prefix(allowed - 1)) + [keptText + note]
            isCut = true
        }
        return pieces.enumerated().map { index, piece in
            Part(number: index + 1, count: pieces.count, text: piece, isCut: isCut && index == pieces.count - 1)
        }
    }

    /// Measures the message around an empty text, in the channel's unit, plus room for
    /// signatures where the limit covers the whole body.
    func framedLength(channel: ChannelSettings, limit: Limit) -> Int {
        let widest = Part(number: 99, count: 99, text: "", isCut: false)
        switch channel.type {
        case "wecom":
            return limit.measure.count(Self.markdown(title: partTitle(widest), text: "", link: link, language: AlertWording.Language(setting: channel.language)))
        case "slack":
            return 0
        default:
            let request = request(channel: channel, webhookURL: "", secret: nil, part: widest)
            return request.body.count + Self.signatureReserve
        }
    }

    /// Returns the title of one part: the message title and, when there are several, `(n/count)`.
    public func partTitle(_ part: Part) -> String {
        part.count > 1 ? "\(title) (\(part.number)/\(part.count))" : title
    }

    static func emptyText(_ language: AlertWording.Language) -> String {
        language == .chinese ? "_（运行没有输出）_" : "_(the run produced no output)_"
    }

    func cutNote(omitted: Int, language: AlertWording.Language, channelType: String) -> String {
        let zh = language == .chinese
        var note = zh ? "\n\n> …… 输出过长，其余 \(omitted) 个字符未发送" : "\n\n> … output cut here: \(omitted) more characters not sent"
        if let link {
            let text = zh ? "在控制台中查看完整输出" : "see the full output in the console"
            note += channelType == "slack" ? ", <\(link)|\(text)>" : (zh ? "，[\(text)](\(link))" : ", [\(text)](\(link))")
        } else {
            note += zh ? "（运行记录 \(triggerID) 中有完整输出）" : " (the run record of \(triggerID) has the full output)"
        }
        return note
    }

    static func linkText(_ language: AlertWording.Language) -> String {
        language == .chinese ? "在控制台中查看运行" : "Open the run in the console"
    }

    /// Markdown of one chat message: a heading, the text and, on the last part, the link.
    static func markdown(title: String, text: String, link: String?, language: AlertWording.Language) -> String {
        var message = "### " + MarkupStyle.markdown.escape(title) + "\n\n" + text
        if let link { message += "\n\n[\(linkText(language))](\(link))" }
        return message
    }

    // MARK: - Requests

    /// Builds the HTTP request that sends `part` to a chat or webhook channel.
    public func request(channel: ChannelSettings, webhookURL: String, secret: String?, part: Part, now: Date = Date()) -> ChannelRequest {
        let language = AlertWording.Language(setting: channel.language)
        let title = partTitle(part)
        let link = part.isLast ? self.link : nil
        switch channel.type {
        case "dingtalk":
            let body = JSONValue.object([
                "msgtype": .string("markdown"),
                "markdown": .object(["title": .string(title), "text": .string(Self.markdown(title: title, text: part.text, link: link, language: language))]),
            ])
            return ChannelRequest(url: ChannelRequest.dingtalkURL(webhookURL: webhookURL, secret: secret, now: now), body: Array(body.compactData()))
        case "wecom":
            let body = JSONValue.object([
                "msgtype": .string("markdown"),
                "markdown": .object(["content": .string(Self.markdown(title: title, text: part.text, link: link, language: language))]),
            ])
            return ChannelRequest(url: webhookURL, body: Array(body.compactData()))
        case "feishu":
            return feishu(webhookURL: webhookURL, secret: secret, title: title, part: part, link: link, language: language, now: now)
        case "slack":
            return slack(webhookURL: webhookURL, title: title, part: part, link: link, language: language)
        default:
            return webhook(channel: channel, webhookURL: webhookURL, secret: secret, part: part, now: now)
        }
    }

    func feishu(webhookURL: String, secret: String?, title: String, part: Part, link: String?, language: AlertWording.Language, now: Date) -> ChannelRequest {
        // The card's `markdown` element renders code blocks and lists, unlike `lark_md`.
        var elements: [JSONValue] = [.object(["tag": .string("markdown"), "content": .string(part.text)])]
        if let link {
            elements.append(.object([
                "tag": .string("action"),
                "actions": .array([.object([
                    "tag": .string("button"), "type": .string("primary"), "url": .string(link),
                    "text": .object(["tag": .string("plain_text"), "content": .string(Self.linkText(language))]),
                ])]),
            ]))
        }
        var body: [String: JSONValue] = [
            "msg_type": .string("interactive"),
            "card": .object([
                "config": .object(["wide_screen_mode": .bool(true)]),
                "header": .object([
                    "template": .string(status.outcome == .failure ? "red" : "blue"),
                    "title": .object(["tag": .string("plain_text"), "content": .string(title)]),
                ]),
                "elements": .array(elements),
            ]),
        ]
        ChannelRequest.signFeishu(&body, secret: secret, now: now)
        return ChannelRequest(url: webhookURL, body: Array(JSONValue.object(body).compactData()))
    }

    func slack(webhookURL: String, title: String, part: Part, link: String?, language: AlertWording.Language) -> ChannelRequest {
        var blocks: [JSONValue] = [
            // Slack rejects a header longer than 150 characters.
            .object(["type": .string("header"), "text": .object(["type": .string("plain_text"), "text": .string(String(title.prefix(150)))])]),
            .object(["type": .string("section"), "text": .object(["type": .string("mrkdwn"), "text": .string(part.text)])]),
        ]
        if let link {
            blocks.append(.object(["type": .string("context"), "elements": .array([
                .object(["type": .string("mrkdwn"), "text": .string("<\(link)|\(Self.linkText(language))>")]),
            ])]))
        }
        // `text` is what notifications and clients without blocks show.
        let body = JSONValue.object(["text": .string(MarkupStyle.slackMarkdown.escape(title)), "blocks": .array(blocks)])
        return ChannelRequest(url: webhookURL, body: Array(body.compactData()))
    }

    /// Builds the generic webhook's body: the whole output with the run's ids, never split.
    func webhook(channel: ChannelSettings, webhookURL: String, secret: String?, part: Part, now: Date) -> ChannelRequest {
        var payload: [String: JSONValue] = [
            "v": .int(1),
            "type": .string("output"),
            "trigger_id": .string(triggerID),
            "status": .string(status.rawValue),
            "content": .string(content),
            "title": .string(partTitle(part)),
            "markdown": .string(part.text),
            "part": .int(Int64(part.number)),
            "parts": .int(Int64(part.count)),
        ]
        if let jobID { payload["job_id"] = .string(jobID) }
        if let link { payload["link"] = .string(link) }
        let body = Array(JSONValue.object(payload).compactData(sortedKeys: true))
        return ChannelRequest(url: webhookURL, headers: ChannelRequest.webhookHeaders(channel: channel, secret: secret, body: body, now: now), body: body)
    }

    // MARK: - Mail

    /// Builds the mail that sends `part` through an email channel: the text as plain text, and as
    /// preformatted HTML so line breaks and code keep their layout.
    public func mail(channel: ChannelSettings, channelName: String, part: Part) -> EmailMessage {
        let language = AlertWording.Language(setting: channel.language)
        let html = MarkupStyle.html
        var text = part.text + "\n"
        var body = "<h3>\(html.escape(partTitle(part)))</h3>\n<pre style=\"white-space:pre-wrap;font-family:inherit\">\(Self.escapeHTML(part.text))</pre>\n"
        if part.isLast, let link {
            text += "\n\(Self.linkText(language)): \(link)\n"
            body += "<p><a href=\"\(html.escape(link))\">\(html.escape(Self.linkText(language)))</a></p>\n"
        }
        // Stable per run, channel and part, so a mail sent again threads with the first.
        let digest = StableHash.sha256Hex("output\u{0}\(triggerID)\u{0}\(channelName)\u{0}\(part.number)").prefix(24)
        return EmailMessage(
            from: channel.from ?? "", to: channel.to ?? [], subject: partTitle(part), text: text,
            html: "<html><body>\n\(body)</body></html>\n", messageID: "<\(digest)@dify-scheduler>")
    }

    /// HTML-escapes `text` line by line, keeping the line breaks that ``MarkupStyle/html`` joins.
    static func escapeHTML(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { MarkupStyle.html.escape(String($0)) }.joined(separator: "\n")
    }
}
