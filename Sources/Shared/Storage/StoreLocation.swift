import Foundation

/// Where the records store lives: a SQLite file or a PostgreSQL URL, as `producer.store` gives it.
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// Parses `sqlite:PATH` or `postgres://…` (also `postgresql://…`).
    ///
    /// - Throws: ``StoreError`` `invalidLocation` naming the value and the accepted forms.
    public init(parsing text: String) throws {
        let value = text.trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") {
            self = .postgres(url: value)
            return
        }
        if value.hasPrefix("sqlite:") {
            var path = String(value.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            if !path.isEmpty {
                self = .sqlite(path: path)
                return
            }
        }
        throw StoreError(
            code: .invalidLocation,
            reason: "producer.store \"\(value)\" is not a store location; write sqlite:PATH (such as sqlite:./data/records.db) or postgres://USER@HOST:PORT/DATABASE")
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): PostgresConnection.redacted(url)
        }
    }

    public var dialect: SQLDialect {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }
}
