/// The text formats channels render, and how untrusted text (Dify's error messages, job
/// names) is escaped so it shows as written and cannot add links, mentions or markup.
public enum MarkupStyle: Sendable, Hashable {
    /// DingTalk's and WeCom's Markdown subset.
    case markdown
    /// Feishu and Lark card Markdown (`lark_md`), which also reads HTML-like tags.
    case larkMarkdown
    /// Slack's mrkdwn: only `&`, `<` and `>` are special to Slack's parser.
    case slackMarkdown
    case html
    case plain

    /// Returns `text` escaped for this format, on one line.
    public func escape(_ text: String) -> String {
        let line = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: true).joined(separator: " ")
        switch self {
        case .plain:
            return line
        case .html:
            return Self.replacing(line, ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"])
        case .slackMarkdown:
            // Slack offers no escape for *, _ and ~; a zero-width space after each keeps them
            // from pairing into bold, italics or strike-through.
            var escaped = Self.replacing(line, ["&": "&amp;", "<": "&lt;", ">": "&gt;"])
            for mark in ["*", "_", "~", "`"] {
                escaped = escaped.replacingOccurrences(of: mark, with: mark + "\u{200B}")
            }
            return escaped
        case .markdown, .larkMarkdown:
            var output = ""
            output.reserveCapacity(line.utf8.count)
            for character in line {
                switch character {
                case "<": output += "&lt;"
                case ">": output += "&gt;"
                case "&": output += "&amp;"
                // Values follow a label on their line, so list and heading marks (-, +, #)
                // never start a line; brackets are enough to stop links and images.
                case "\\", "`", "*", "_", "[", "]", "|", "~":
                    output += "\\" + String(character)
                default:
                    output.append(character)
                }
            }
            return output
        }
    }

    private static func replacing(_ text: String, _ table: [Character: String]) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            if let replacement = table[character] { output += replacement } else { output.append(character) }
        }
        return output
    }
}
