import CLibPQ
import Foundation

/// A PostgreSQL connection over libpq, sending parameters as text with explicit types.
///
/// Statements are written with `?` placeholders, as for SQLite, and rewritten to `$1`, `$2`, ….
/// - Important: not thread-safe; its ``DatabaseQueue`` serialises every call.
final class PostgresConnection: SQLConnection {
    let dialect = SQLDialect.postgres
    private let handle: OpaquePointer
    private let url: String
    private var rewritten: [String: String] = [:]

    /// Connects to `url` (`postgres://user:password@host:port/database?sslmode=...`).
    ///
    /// - Throws: ``StoreError`` `openFailed` with libpq's message, the password left out.
    init(url: String) throws {
        self.url = url
        guard let pointer = PQconnectdb(url) else {
            throw StoreError(code: .openFailed, reason: "libpq could not allocate a connection")
        }
        guard PQstatus(pointer) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(pointer)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(pointer)
            throw StoreError(
                code: .openFailed,
                reason: "cannot connect to PostgreSQL at \(PostgresConnection.redacted(url)): \(message); check the store URL, that the server runs and accepts this user",
                isRetryable: true)
        }
        handle = pointer
        _ = try query("SET client_min_messages = warning", [])
    }

    deinit {
        PQfinish(handle)
    }

    /// The URL with any password replaced by `***`, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "postgres://***"
    }

    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        let result = try run(sql, parameters)
        defer { PQclear(result) }

        let rowCount = PQntuples(result)
        let fieldCount = PQnfields(result)
        var columns: [String: Int] = [:]
        var kinds: [ColumnKind] = []
        for field in 0..<fieldCount {
            columns[String(cString: PQfname(result, field))] = Int(field)
            kinds.append(ColumnKind(oid: PQftype(result, field)))
        }
        var rows: [SQLRow] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [SQLValue] = []
            values.reserveCapacity(Int(fieldCount))
            for field in 0..<fieldCount {
                if PQgetisnull(result, row, field) == 1 {
                    values.append(.null)
                    continue
                }
                let text = String(cString: PQgetvalue(result, row, field))
                values.append(kinds[Int(field)].value(text))
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }

    func executeScript(_ sql: String) throws {
        guard let result = PQexec(handle, sql) else { throw lostConnection(sql) }
        defer { PQclear(result) }
        try check(result, sql)
    }

    private func run(_ sql: String, _ parameters: [SQLValue]) throws -> OpaquePointer {
        let statement = numbered(sql)
        var types: [Oid] = []
        var texts: [String?] = []
        types.reserveCapacity(parameters.count)
        texts.reserveCapacity(parameters.count)
        for parameter in parameters {
            switch parameter {
            case .null:
                types.append(0)
                texts.append(nil)
            case .integer(let value):
                types.append(20)  // int8
                texts.append(String(value))
            case .real(let value):
                types.append(701)  // float8
                texts.append(value.isFinite ? String(value) : nil)
            case .text(let value):
                types.append(25)  // text
                // PostgreSQL text cannot hold NUL; Dify text may.
                texts.append(value.contains("\u{0}") ? value.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : value)
            }
        }

        let result: OpaquePointer? = withCStrings(texts) { pointers in
            PQexecParams(handle, statement, Int32(parameters.count), types, pointers, nil, nil, 0)
        }
        guard let result else { throw lostConnection(sql) }
        do {
            try check(result, sql)
        } catch {
            PQclear(result)
            throw error
        }
        return result
    }

    private func check(_ result: OpaquePointer, _ sql: String) throws {
        let status = PQresultStatus(result)
        guard status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK else { return }
        let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        if PQstatus(handle) != CONNECTION_OK {
            PQreset(handle)
            throw StoreError(code: .connectionLost, reason: "PostgreSQL connection lost: \(message)", databaseCode: state, isRetryable: true)
        }
        // 40001 serialization failure, 40P01 deadlock, 55P03 lock not available: worth another try.
        let retryable = ["40001", "40P01", "55P03"].contains(state ?? "")
        throw StoreError(code: .statementFailed, reason: "PostgreSQL: \(message) in \(sql.prefix(120))", databaseCode: state, isRetryable: retryable)
    }

    private func lostConnection(_ sql: String) -> StoreError {
        let message = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
        PQreset(handle)
        return StoreError(code: .connectionLost, reason: "PostgreSQL connection lost: \(message)", isRetryable: true)
    }

    /// Rewrites `?` placeholders outside quoted text to `$1`, `$2`, ….
    private func numbered(_ sql: String) -> String {
        if let cached = rewritten[sql] { return cached }
        var output = ""
        output.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quoted = false
        for character in sql {
            if character == "'" { quoted.toggle() }
            if character == "?", !quoted {
                number += 1
                output += "$\(number)"
            } else {
                output.append(character)
            }
        }
        if rewritten.count < 200 { rewritten[sql] = output }
        return output
    }

    private enum ColumnKind {
        case integer, real, boolean, text

        init(oid: Oid) {
            switch oid {
            case 20, 21, 23, 26: self = .integer  // int8, int2, int4, oid
            case 700, 701, 1700: self = .real  // float4, float8, numeric
            case 16: self = .boolean
            default: self = .text
            }
        }

        func value(_ text: String) -> SQLValue {
            switch self {
            case .integer: Int64(text).map(SQLValue.integer) ?? .text(text)
            case .real: Double(text).map(SQLValue.real) ?? .text(text)
            case .boolean: .integer(text == "t" ? 1 : 0)
            case .text: .text(text)
            }
        }
    }
}

/// Calls `body` with C strings for `values` (NULL for nil), valid only during the call.
private func withCStrings<Result>(_ values: [String?], _ body: ([UnsafePointer<CChar>?]) -> Result) -> Result {
    var buffers: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0) } ?? nil }
    defer { for buffer in buffers { free(buffer) } }
    return buffers.withUnsafeMutableBufferPointer { pointers in
        body(pointers.map { $0.map { UnsafePointer($0) } })
    }
}
