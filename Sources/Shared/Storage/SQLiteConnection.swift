import CSQLite
import Foundation

/// A SQLite database connection in WAL mode, with a cache of prepared statements.
///
/// - Important: not thread-safe (opened with `SQLITE_OPEN_NOMUTEX`); its ``DatabaseQueue``
///   serialises every call.
final class SQLiteConnection: SQLConnection {
    let dialect = SQLDialect.sqlite
    private let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens or creates the database file at `path`, creating its folder.
    ///
    /// - Throws: ``StoreError`` `openFailed` naming the path.
    init(path: String, readOnly: Bool = false) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !readOnly, !folder.isEmpty {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        var pointer: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &pointer, flags, nil)
        guard status == SQLITE_OK, let pointer else {
            let message = pointer.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(pointer)
            throw StoreError(
                code: .openFailed, reason: "cannot open SQLite database \(path): \(message); check that the folder exists and is writable",
                databaseCode: "\(status)")
        }
        handle = pointer
        sqlite3_busy_timeout(handle, 10_000)
        sqlite3_extended_result_codes(handle, 1)
        if !readOnly {
            try executeScript("PRAGMA journal_mode = WAL")
            try executeScript("PRAGMA synchronous = NORMAL")
        }
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
        let statement = try prepare(sql)
        defer { statement.reset() }
        try statement.bind(parameters)
        while try statement.step(connection: self) {}
        return Int(sqlite3_changes(handle))
    }

    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        let statement = try prepare(sql)
        defer { statement.reset() }
        try statement.bind(parameters)
        var rows: [SQLRow] = []
        let columns = statement.columnIndexes
        while try statement.step(connection: self) {
            rows.append(SQLRow(columns: columns, values: statement.values()))
        }
        return rows
    }

    func executeScript(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(message)
            throw failure(status, text, sql)
        }
    }

    /// Returns a cached prepared statement for `sql`.
    private func prepare(_ sql: String) throws -> SQLiteStatement {
        if let statement = statements[sql] { return statement }
        var pointer: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard status == SQLITE_OK, let pointer else {
            throw failure(status, lastMessage, sql)
        }
        let statement = SQLiteStatement(handle: pointer)
        // Statements built for one query (many filters, many rows) are not worth keeping.
        if statements.count < 200 { statements[sql] = statement }
        return statement
    }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func failure(_ status: Int32, _ message: String, _ sql: String) -> StoreError {
        let primary = status & 0xFF
        let busy = primary == SQLITE_BUSY || primary == SQLITE_LOCKED
        return StoreError(
            code: .statementFailed, reason: "SQLite: \(message) in \(sql.prefix(120))",
            databaseCode: "\(status)", isRetryable: busy)
    }
}

/// A prepared SQLite statement, finalized in `deinit`.
final class SQLiteStatement {
    let handle: OpaquePointer
    let columnIndexes: [String: Int]

    init(handle: OpaquePointer) {
        self.handle = handle
        var indexes: [String: Int] = [:]
        for index in 0..<Int(sqlite3_column_count(handle)) {
            indexes[String(cString: sqlite3_column_name(handle, Int32(index)))] = index
        }
        columnIndexes = indexes
    }

    deinit {
        sqlite3_finalize(handle)
    }

    func bind(_ parameters: [SQLValue]) throws {
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(handle, index)
            case .integer(let number): status = sqlite3_bind_int64(handle, index, number)
            case .real(let number): status = sqlite3_bind_double(handle, index, number)
            case .text(let text): status = sqlite3_bind_text(handle, index, text, -1, sqliteTransient)
            }
            guard status == SQLITE_OK else {
                throw StoreError(code: .statementFailed, reason: "SQLite: cannot bind parameter \(index)", databaseCode: "\(status)")
            }
        }
    }

    /// Advances to the next row; returns false when the statement is done.
    func step(connection: SQLiteConnection) throws -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.failure(status, connection.lastMessage, String(cString: sqlite3_sql(handle)))
        }
    }

    func values() -> [SQLValue] {
        (0..<sqlite3_column_count(handle)).map { index in
            switch sqlite3_column_type(handle, index) {
            case SQLITE_INTEGER: .integer(sqlite3_column_int64(handle, index))
            case SQLITE_FLOAT: .real(sqlite3_column_double(handle, index))
            case SQLITE_NULL: .null
            default: .text(sqlite3_column_text(handle, index).map { String(cString: $0) } ?? "")
            }
        }
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies the bound text before the call returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
