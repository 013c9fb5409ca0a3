/// A records store failure: opening, migrating, reading or writing SQLite or PostgreSQL.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What failed; extensible, compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String

        public static let invalidLocation = Code(name: "invalid_location")
        public static let openFailed = Code(name: "open_failed")
        public static let statementFailed = Code(name: "statement_failed")
        public static let migrationFailed = Code(name: "migration_failed")
        public static let newerSchema = Code(name: "newer_schema")
        public static let connectionLost = Code(name: "connection_lost")
        public static let invalidQuery = Code(name: "invalid_query")

        public var description: String { name }
    }

    public var code: Code
    public var reason: String
    /// The SQLite result code or PostgreSQL SQLSTATE, when the database reported one.
    public var databaseCode: String?
    /// True when the same call may succeed later (a busy database, a lost connection).
    public var isRetryable: Bool

    public init(code: Code, reason: String, databaseCode: String? = nil, isRetryable: Bool = false) {
        self.code = code
        self.reason = reason
        self.databaseCode = databaseCode
        self.isRetryable = isRetryable
    }

    public var description: String {
        var text = "records store \(code): \(reason)"
        if let databaseCode { text += " (database code \(databaseCode))" }
        return text
    }
}
