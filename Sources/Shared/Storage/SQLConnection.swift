/// The SQL flavour of a connection, for the few statements that differ.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres
}

/// A blocking database connection; statements use `?` placeholders in both dialects.
///
/// - Important: not thread-safe. Each connection belongs to one ``DatabaseQueue``, which runs
///   every call on its own serial Dispatch queue, never on Swift's cooperative pool.
protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }

    /// Runs one statement and returns the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int

    /// Runs one query and returns its rows.
    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow]

    /// Runs several statements separated by semicolons, without parameters.
    func executeScript(_ sql: String) throws
}

extension SQLConnection {
    /// Runs `body` inside a transaction, committing when it returns and rolling back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try executeScript(dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let value = try body()
            try executeScript("COMMIT")
            return value
        } catch {
            try? executeScript("ROLLBACK")
            throw error
        }
    }
}
