import Foundation

/// Wording shared by error messages: values cut to a readable length, and decoding errors
/// described in the terms of JSON and YAML rather than Swift's.
public enum MessageText {
    /// Maximum length, in characters, of a value that a message repeats whole.
    public static let valueLimit = 100

    /// Returns `text` whole when it is at most ``valueLimit`` characters, else its first
    /// ``valueLimit`` characters followed by "…" and the full length.
    public static func clipped(_ text: String, limit: Int = valueLimit) -> String {
        guard text.count > limit else { return text }
        return "\(text.prefix(limit))… (\(text.count) characters)"
    }

    /// Names a decoded Swift type as a JSON or YAML value: an object, a list, text, a number.
    public static func valueKind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type: return "text"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int8.Type, is Int16.Type, is Int32.Type, is Int64.Type,
            is UInt.Type, is UInt8.Type, is UInt16.Type, is UInt32.Type, is UInt64.Type:
            return "a whole number"
        case is Double.Type, is Float.Type, is Decimal.Type: return "a number"
        case let choice as any TextChoice.Type: return "text, one of \(choice.allowedValues)"
        default: break
        }
        let name = String(describing: type)
        if name.hasPrefix("Dictionary<") || name.hasPrefix("[") && name.contains(":") { return "an object" }
        if name.hasPrefix("Array<") || name.hasPrefix("[") || name.hasPrefix("Set<") { return "a list" }
        return "an object"
    }

    /// Describes a decoding problem without the field path: the expected value and, when the
    /// decoder reports it, the value found.
    public static func reason(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound:
            return "missing required field"
        case .valueNotFound(let type, _):
            return "must not be null: write \(valueKind(type))"
        case .typeMismatch(let type, let context):
            let found = foundKind(in: context.debugDescription).map { ", found \($0)" } ?? ""
            return "expected \(valueKind(type))\(found)"
        case .dataCorrupted(let context):
            return context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }

    /// Reads "but found a string instead" from Foundation's description, in JSON terms.
    private static func foundKind(in description: String) -> String? {
        guard let start = description.range(of: "but found "), let end = description.range(of: " instead", range: start.upperBound..<description.endIndex) else {
            return nil
        }
        switch description[start.upperBound..<end.lowerBound] {
        case "a string": return "text"
        case "an array": return "a list"
        case "a dictionary": return "an object"
        case "a number": return "a number"
        case "a bool", "a boolean": return "true or false"
        case "null": return "null"
        case let other: return String(other)
        }
    }
}
