/// The unit a channel counts a message's length in.
///
/// Every unit is additive: the length of a text is the sum of its characters' lengths, so a
/// splitter can keep a running total.
public enum TextMeasure: String, Sendable, Hashable {
    /// UTF-8 bytes: a Chinese character counts 3, an emoji 4 (WeCom's Markdown content).
    case utf8Bytes = "utf8_bytes"
    /// UTF-8 bytes the text takes inside a JSON string, escapes included: for limits on the
    /// whole request body (DingTalk, Feishu). A newline counts 2, a Chinese character 3.
    case jsonUTF8Bytes = "json_utf8_bytes"
    /// UTF-16 code units: Slack's "characters", counted so that a character outside the BMP
    /// (most emoji) counts 2 and the count never comes out below Slack's.
    case utf16Units = "utf16_units"

    /// The length of `text` in this unit.
    public func count(_ text: some StringProtocol) -> Int {
        switch self {
        case .utf8Bytes: text.utf8.count
        case .utf16Units: text.utf16.count
        case .jsonUTF8Bytes: text.unicodeScalars.reduce(0) { $0 + Self.jsonBytes($1) }
        }
    }

    /// The length of one character in this unit.
    public func count(_ character: Character) -> Int {
        switch self {
        case .utf8Bytes: character.utf8.count
        case .utf16Units: character.utf16.count
        case .jsonUTF8Bytes: character.unicodeScalars.reduce(0) { $0 + Self.jsonBytes($1) }
        }
    }

    /// Bytes of one scalar as ``JSONValue`` writes it inside a string.
    static func jsonBytes(_ scalar: Unicode.Scalar) -> Int {
        switch scalar {
        case "\"", "\\", "\n", "\r", "\t": return 2
        case "\u{2028}", "\u{2029}": return 6
        default:
            if scalar.value < 0x20 { return 6 }
            return UTF8.width(scalar)
        }
    }
}
