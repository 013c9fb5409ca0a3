/// Why a `dify_cleanup` run could not go on: the database URL, the connection, Dify's schema
/// or a statement.
struct CleanupError: Error, Sendable, CustomStringConvertible {
    /// What failed; extensible, compare with the static members.
    struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        static let unknownDatabase = Code(name: "unknown_database")
        static let invalidConfiguration = Code(name: "invalid_configuration")
        static let connectFailed = Code(name: "connect_failed")
        static let schemaMismatch = Code(name: "schema_mismatch")
        static let statementFailed = Code(name: "statement_failed")

        var description: String { name }
    }

    var code: Code
    /// What is wrong and how to fix it; never contains the database password.
    var reason: String
    /// PostgreSQL's SQLSTATE, when the server reported one.
    var sqlState: String?
    /// True when the same run may succeed later (a lost connection, a lock timeout).
    var retryable: Bool

    init(code: Code, reason: String, sqlState: String? = nil, retryable: Bool = false) {
        self.code = code
        self.reason = reason
        self.sqlState = sqlState
        self.retryable = retryable
    }

    var description: String {
        sqlState.map { "\(reason) (SQLSTATE \($0))" } ?? reason
    }
}
