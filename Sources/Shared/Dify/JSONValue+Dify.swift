import Foundation

/// Lenient field readers for Dify payloads.
///
/// Dify's fields change shape between releases. A field may be absent or `null`, and a number
/// may come as an integer, a float or a numeric string (`"total_price": "0.0"`). A time may
/// come as unix seconds or, in older builds, as an RFC 822 string. These readers return nil for a
/// value they cannot read instead of failing the whole event.
extension JSONValue {
    /// Returns a string field's text; numbers and booleans are turned into text, `null` is nil.
    func text(_ key: String) -> String? {
        switch self[key] {
        case .string(let value): return value
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        default: return nil
        }
    }

    /// Returns an integer field, from an integer, a whole float or a numeric string.
    func integer(_ key: String) -> Int64? {
        guard let value = self[key] else { return nil }
        if let number = value.intValue { return number }
        if let text = value.stringValue?.trimmingCharacters(in: .whitespaces) {
            if let number = Int64(text) { return number }
            if let number = Double(text), number.isFinite, number.rounded() == number, abs(number) < 9.0e18 {
                return Int64(number)
            }
        }
        return nil
    }

    /// Returns a number field, from an integer, a float or a numeric string.
    func number(_ key: String) -> Double? {
        guard let value = self[key] else { return nil }
        if let number = value.doubleValue { return number }
        if let text = value.stringValue, let number = Double(text.trimmingCharacters(in: .whitespaces)),
            number.isFinite
        {
            return number
        }
        return nil
    }

    func flag(_ key: String) -> Bool? {
        switch self[key] {
        case .bool(let value): return value
        case .int(let value): return value != 0
        case .string(let value): return ["true", "1", "yes"].contains(value.lowercased())
        default: return nil
        }
    }

    /// Returns a time field: unix seconds (integer, float or numeric string), an RFC 3339 string or an
    /// RFC 822 / HTTP date string.
    func date(_ key: String) -> Date? {
        guard let value = self[key] else { return nil }
        return JSONValue.date(from: value)
    }

    static func date(from value: JSONValue) -> Date? {
        if let seconds = value.doubleValue { return Date(timeIntervalSince1970: seconds) }
        guard let text = value.stringValue?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return nil
        }
        if let seconds = Double(text), seconds.isFinite { return Date(timeIntervalSince1970: seconds) }
        return Timestamp.parse(text) ?? HTTPDate.parse(text)
    }

    /// Returns the member when it is present and not `null`.
    func present(_ key: String) -> JSONValue? {
        guard let value = self[key], !value.isNull else { return nil }
        return value
    }

    /// Returns a list of strings; other members of the list are turned into text or skipped.
    func texts(_ key: String) -> [String]? {
        guard let items = self[key]?.arrayValue else { return nil }
        return items.compactMap { item in
            switch item {
            case .string(let value): return value
            case .int(let value): return String(value)
            case .double(let value): return String(value)
            default: return nil
            }
        }
    }
}

extension Date {
    /// Whole unix seconds, as `NodeTrace` and results keep times.
    var unixSeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }
}
