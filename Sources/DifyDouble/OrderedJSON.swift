import Foundation
import Shared

/// A JSON value whose objects keep their key order, rendered the way Dify 1.9.2 renders it.
///
/// Dify's JSON responses come from Python's `json.dumps` (`", "` and `": "` separators,
/// non-ASCII escaped as `\uXXXX`), while its Server-Sent Events carry compact JSON with raw
/// UTF-8. Both renderings are here so the double's bytes look like the recordings.
indirect enum OrderedJSON: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    enum Style {
        /// Compact separators, raw UTF-8: the SSE `data:` lines.
        case compact
        /// `json.dumps` defaults: spaced separators, ASCII only.
        case python
    }

    static func int(_ value: Int) -> OrderedJSON { .int(Int64(value)) }

    static func optionalString(_ value: String?) -> OrderedJSON {
        value.map(OrderedJSON.string) ?? .null
    }

    /// Converts a parsed request value; object keys come out sorted.
    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .int(number)
        case .double(let number): self = .double(number)
        case .string(let text): self = .string(text)
        case .array(let items): self = .array(items.map(OrderedJSON.init))
        case .object(let members):
            self = .object(members.keys.sorted().map { ($0, OrderedJSON(members[$0]!)) })
        }
    }

    func render(_ style: Style) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(to: &output, style: style)
        return output
    }

    func text(_ style: Style) -> String {
        String(decoding: render(style), as: UTF8.self)
    }

    func write(to output: inout [UInt8], style: Style) {
        switch self {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number):
            output.append(contentsOf: String(number).utf8)
        case .double(let number):
            output.append(contentsOf: Self.pythonFloat(number).utf8)
        case .string(let text):
            Self.writeString(text, to: &output, asciiOnly: style == .python)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { Self.writeSeparator(",", to: &output, style: style) }
                item.write(to: &output, style: style)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { Self.writeSeparator(",", to: &output, style: style) }
                Self.writeString(key, to: &output, asciiOnly: style == .python)
                Self.writeSeparator(":", to: &output, style: style)
                value.write(to: &output, style: style)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Formats a float as Python's `repr` does for the values Dify sends (`0.5`, `25.0`, `1e-05`).
    static func pythonFloat(_ number: Double) -> String {
        guard number.isFinite else { return "NaN" }
        if number == number.rounded(), abs(number) < 1e16 {
            return String(format: "%.1f", number)
        }
        return "\(number)"
    }

    private static func writeSeparator(_ character: Character, to output: inout [UInt8], style: Style) {
        output.append(character.asciiValue!)
        if style == .python { output.append(UInt8(ascii: " ")) }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, to output: inout [UInt8], asciiOnly: Bool) {
        output.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output.append(contentsOf: [92, 34])
            case "\\": output.append(contentsOf: [92, 92])
            case "\n": output.append(contentsOf: [92, UInt8(ascii: "n")])
            case "\r": output.append(contentsOf: [92, UInt8(ascii: "r")])
            case "\t": output.append(contentsOf: [92, UInt8(ascii: "t")])
            case "\u{08}": output.append(contentsOf: [92, UInt8(ascii: "b")])
            case "\u{0C}": output.append(contentsOf: [92, UInt8(ascii: "f")])
            default:
                if scalar.value < 0x20 || (asciiOnly && scalar.value > 0x7F) {
                    if scalar.value > 0xFFFF {
                        let value = scalar.value - 0x10000
                        writeEscape(0xD800 + (value >> 10), to: &output)
                        writeEscape(0xDC00 + (value & 0x3FF), to: &output)
                    } else {
                        writeEscape(scalar.value, to: &output)
                    }
                } else if scalar.isASCII {
                    output.append(UInt8(scalar.value))
                } else {
                    output.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func writeEscape(_ value: UInt32, to output: inout [UInt8]) {
        output.append(contentsOf: [92, UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) {
            output.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)])
        }
    }
}
