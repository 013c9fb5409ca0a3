import Foundation

/// Converts the common Markdown of an LLM answer to Slack's mrkdwn: `&`, `<` and `>` escaped,
/// `**bold**` as `*bold*`, `[text](url)` as `<url|text>`, and headings as bold lines. Lines
/// inside code fences are only escaped.
///
/// Escaping `<` also turns `<!channel>` and `<@U123>` in the output into plain text, so a
/// delivered answer cannot mention anyone.
enum SlackMarkup {
    static func convert(_ markdown: String) -> String {
        var lines: [String] = []
        var fence: MessageSplitter.Fence?
        for line in markdown.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let escaped = escape(line)
            let inside = fence != nil
            fence = MessageSplitter.fenceState(after: line, open: fence)
            if inside || fence != nil {
                lines.append(escaped)
                continue
            }
            lines.append(inline(heading(escaped)))
        }
        return lines.joined(separator: "\n")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// `# Title` to `*Title*`.
    static func heading(_ line: String) -> String {
        let hashes = line.prefix { $0 == "#" }
        guard (1...6).contains(hashes.count), line.dropFirst(hashes.count).first == " " else { return line }
        let title = line.dropFirst(hashes.count + 1).trimmingCharacters(in: .whitespaces)
        return title.isEmpty ? line : "*\(title.replacingOccurrences(of: "**", with: ""))*"
    }

    static let bold = try! NSRegularExpression(pattern: #"\*\*(.+?)\*\*"#)
    static let link = try! NSRegularExpression(pattern: #"\[([^\]\n]+)\]\((https?://[^)\s]+)\)"#)

    static func inline(_ line: String) -> String {
        var text = line
        text = bold.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "*$1*")
        text = link.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "<$2|$1>")
        return text
    }
}
