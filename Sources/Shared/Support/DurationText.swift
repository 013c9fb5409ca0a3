import Foundation

/// Durations written as in configuration files: `500ms`, `30s`, `10m`, `2h`, `1d`, or a sum
/// such as `1h30m`.
public enum DurationText {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let text: String

        public init(text: String) {
            self.text = text
        }

        public var description: String {
            "invalid duration \"\(text)\": write a number followed by ms, s, m, h or d, for example 30s, 10m or 1h30m"
        }
    }

    /// Parses `text` into milliseconds.
    public static func milliseconds(_ text: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ParseError(text: text) }

        var total: Int64 = 0
        var digits = ""
        var unit = ""
        var sawTerm = false

        func flush() throws {
            guard !digits.isEmpty, let value = Int64(digits) else { throw ParseError(text: text) }
            let scale: Int64
            switch unit {
            case "ms": scale = 1
            case "s": scale = 1000
            case "m": scale = 60_000
            case "h": scale = 3_600_000
            case "d": scale = 86_400_000
            default: throw ParseError(text: text)
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: scale)
            guard !overflow else { throw ParseError(text: text) }
            total += product
            digits = ""
            unit = ""
            sawTerm = true
        }

        for character in trimmed {
            if character.isASCII, character.isNumber {
                if !unit.isEmpty { try flush() }
                digits.append(character)
            } else if character.isASCII, character.isLetter {
                guard !digits.isEmpty else { throw ParseError(text: text) }
                unit.append(character)
            } else {
                throw ParseError(text: text)
            }
        }
        try flush()
        guard sawTerm else { throw ParseError(text: text) }
        return total
    }

    /// Parses `text` into a Swift `Duration`.
    public static func duration(_ text: String) throws -> Duration {
        .milliseconds(try milliseconds(text))
    }

    /// Formats milliseconds in the largest units that divide it exactly: `90000` is `1m30s`.
    public static func format(milliseconds: Int64) -> String {
        guard milliseconds != 0 else { return "0s" }
        var rest = milliseconds
        var text = rest < 0 ? "-" : ""
        rest = abs(rest)
        for (scale, unit) in [(Int64(86_400_000), "d"), (3_600_000, "h"), (60_000, "m"), (1000, "s"), (1, "ms")] {
            if rest >= scale {
                text += "\(rest / scale)\(unit)"
                rest %= scale
            }
        }
        return text
    }
}
