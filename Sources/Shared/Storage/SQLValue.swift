import Foundation

/// A value bound to a statement parameter or read from a result column.
///
/// Instants are stored as milliseconds since the Unix epoch in `BIGINT` columns, so that both
/// SQLite and PostgreSQL compare and bucket them as plain integers.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public init(_ value: String?) {
        self = value.map { .text($0) } ?? .null
    }

    public init(_ value: Int64?) {
        self = value.map { .integer($0) } ?? .null
    }

    public init(_ value: Int?) {
        self = value.map { .integer(Int64($0)) } ?? .null
    }

    public init(_ value: Double?) {
        self = value.map { .real($0) } ?? .null
    }

    public init(_ value: Bool?) {
        self = value.map { .integer($0 ? 1 : 0) } ?? .null
    }

    public init(_ value: Date?) {
        self = value.map { .integer(SQLValue.milliseconds($0)) } ?? .null
    }

    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public var int64: Int64? {
        switch self {
        case .integer(let value): value
        case .real(let value): Int64(exactly: value.rounded(.down))
        case .text(let text): Int64(text)
        case .null: nil
        }
    }

    public var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .real(let value): value
        case .text(let text): Double(text)
        case .null: nil
        }
    }

    public var string: String? {
        switch self {
        case .text(let text): text
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .null: nil
        }
    }

    public var bool: Bool? { int64.map { $0 != 0 } }

    public var date: Date? { int64.map { Date(timeIntervalSince1970: Double($0) / 1000) } }

    /// The value parsed as JSON text, or nil for NULL and text that is not JSON.
    public var json: JSONValue? { string.flatMap { try? JSONValue.parse($0) } }
}

/// One result row, addressed by column name.
public struct SQLRow: Sendable {
    let columns: [String: Int]
    let values: [SQLValue]

    public subscript(_ name: String) -> SQLValue {
        columns[name].map { values[$0] } ?? .null
    }

    public subscript(_ index: Int) -> SQLValue {
        index < values.count ? values[index] : .null
    }
}
