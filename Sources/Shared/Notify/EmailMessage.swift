import Foundation

/// An alert as a mail: plain text and HTML alternatives, UTF-8, with an encoded subject.
public struct EmailMessage: Sendable, Hashable {
    public var from: String
    public var to: [String]
    public var subject: String
    public var text: String
    public var html: String
    /// Stable per alert and channel, so a mail sent twice shows as one thread in clients.
    public var messageID: String

    public init(from: String, to: [String], subject: String, text: String, html: String, messageID: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
    }

    /// The mail for `notice` through an email channel: the channel's `to` plus the contacts'
    /// addresses, each once.
    public static func build(channel: ChannelSettings, channelName: String, notice: AlertNotice) -> EmailMessage {
        let wording = AlertWording(notice: notice, language: AlertWording.Language(setting: channel.language))
        var recipients: [String] = []
        for address in (channel.to ?? []) + notice.mentions.emails where !recipients.contains(address) {
            recipients.append(address)
        }
        let html = MarkupStyle.html
        var body = "<h3>\(html.escape(wording.title))</h3>\n<table>\n"
        for line in wording.lines {
            let value = line.fromDify ? "<pre style=\"white-space:pre-wrap\">\(html.escape(line.value))</pre>" : html.escape(line.value)
            body += "<tr><th align=\"left\">\(html.escape(line.label))</th><td>\(value)</td></tr>\n"
        }
        body += "</table>\n"
        if let link = wording.link {
            body += "<p><a href=\"\(html.escape(link))\">\(html.escape(wording.linkText))</a></p>\n"
        }
        let digest = StableHash.sha256Hex("\(notice.alert.id)\u{0}\(channelName)").prefix(24)
        return EmailMessage(
            from: channel.from ?? "", to: recipients, subject: wording.title, text: wording.plainText,
            html: "<html><body>\n\(body)</body></html>\n", messageID: "<\(digest)@dify-scheduler>")
    }

    /// The message in RFC 5322 form with CRLF line ends, ready for SMTP's DATA.
    public func rendered(date: Date = Date()) -> [UInt8] {
        let boundary = "=_dify_scheduler_" + String(StableHash.fnv1a64(messageID), radix: 36)
        var lines: [String] = [
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(Self.dateHeader(date))",
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
            "",
        ]
        lines += Self.base64Lines(text)
        lines += ["--\(boundary)", "Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: base64", ""]
        lines += Self.base64Lines(html)
        lines += ["--\(boundary)--", ""]
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// RFC 2047 encoded words of at most 45 bytes of text each, folded onto continuation lines.
    static func encodedWord(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) && text.utf8.count < 70 { return text }
        var words: [String] = []
        var chunk = ""
        for character in text {
            if chunk.utf8.count + character.utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    static func base64Lines(_ text: String) -> [String] {
        let encoded = Data(text.utf8).base64EncodedString()
        var lines: [String] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        return lines
    }

    static func dateHeader(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let day = CivilDate(daysSinceEpoch: Int(seconds.floorDivided(by: 86_400)))
        let secondOfDay = Int(seconds - Int64(day.daysSinceEpoch) * 86_400)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(weekdays[day.weekday]), \(day.day) \(months[day.month - 1]) \(day.year) \(pad(secondOfDay / 3600)):\(pad(secondOfDay / 60 % 60)):\(pad(secondOfDay % 60)) +0000"
    }
}
