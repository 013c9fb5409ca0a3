import CLibPQ
import Dispatch
import Foundation
import Shared

/// One libpq connection to Dify's PostgreSQL database, used only by `dify_cleanup` runs.
///
/// Parameters are sent as text with no declared type, so each statement states the types it
/// needs with casts (`$1::uuid[]`, `$2::timestamp`). Every call runs on the connection's own
/// serial Dispatch queue, because libpq round trips block and must stay off Swift's
/// cooperative pool.
///
/// NOTE: a minimal wrapper, kept here while the records store's PostgreSQL connection is not
/// public in Shared; move to that one when it is.
final class DifyDatabaseConnection: @unchecked Sendable {
    // @unchecked Sendable: `handle` is used only inside blocks run on `queue`, which is
    // serial, and is freed in deinit when no block can run any more.
    private let handle: OpaquePointer
    private let queue: DispatchQueue
    /// The URL with its password replaced, for messages.
    let redactedURL: String

    /// Connects to `url` (`postgres://user:password@host:port/database`).
    ///
    /// - Throws: ``CleanupError`` `connectFailed` with libpq's message; retryable.
    static func connect(url: String, label: String) async throws -> DifyDatabaseConnection {
        let queue = DispatchQueue(label: "dify-cleanup.\(label)")
        let redacted = redact(url)
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    guard let pointer = PQconnectdb(url) else {
                        throw CleanupError(code: .connectFailed, reason: "libpq could not allocate a connection", retryable: true)
                    }
                    guard PQstatus(pointer) == CONNECTION_OK else {
                        let message = String(cString: PQerrorMessage(pointer)).trimmingCharacters(in: .whitespacesAndNewlines)
                        PQfinish(pointer)
                        throw CleanupError(
                            code: .connectFailed,
                            reason: "cannot connect to Dify's database at \(redacted): \(message); check the URL in worker.dify_databases and that the server accepts this user",
                            retryable: true)
                    }
                    return DifyDatabaseConnection(handle: pointer, queue: queue, redactedURL: redacted)
                })
            }
        }
    }

    private init(handle: OpaquePointer, queue: DispatchQueue, redactedURL: String) {
        self.handle = handle
        self.queue = queue
        self.redactedURL = redactedURL
    }

    deinit {
        PQfinish(handle)
    }

    /// Runs a query and returns its rows as text, nil for NULL.
    ///
    /// - Throws: ``CleanupError`` `statementFailed`.
    func query(_ sql: String, _ parameters: [String?] = []) async throws -> [[String?]] {
        try await run(sql, parameters) { result in
            let rows = PQntuples(result)
            let fields = PQnfields(result)
            return (0..<rows).map { row in
                (0..<fields).map { field in
                    PQgetisnull(result, row, field) == 1 ? nil : String(cString: PQgetvalue(result, row, field))
                }
            }
        }
    }

    /// Runs a statement and returns the number of rows it changed.
    ///
    /// - Throws: ``CleanupError`` `statementFailed`.
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = []) async throws -> Int64 {
        try await run(sql, parameters) { result in Int64(String(cString: PQcmdTuples(result))) ?? 0 }
    }

    private func run<T: Sendable>(_ sql: String, _ parameters: [String?], read: @escaping @Sendable (OpaquePointer) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                continuation.resume(with: Result {
                    let result = withCStrings(parameters) { pointers in
                        PQexecParams(handle, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
                    }
                    guard let result else {
                        let message = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
                        PQreset(handle)
                        throw CleanupError(code: .statementFailed, reason: "connection to Dify's database lost: \(message)", retryable: true)
                    }
                    defer { PQclear(result) }
                    let status = PQresultStatus(result)
                    guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
                        let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
                        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
                        let lost = PQstatus(handle) != CONNECTION_OK
                        if lost { PQreset(handle) }
                        // 40001 serialization failure, 40P01 deadlock, 55P03 lock not available.
                        let retryable = lost || ["40001", "40P01", "55P03", "57014"].contains(state ?? "")
                        throw CleanupError(code: .statementFailed, reason: "Dify's database rejected \(sql.prefix(100)): \(message)", sqlState: state, retryable: retryable)
                    }
                    return read(result)
                })
            }
        }
    }

    /// The URL with any password replaced by `***`.
    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "postgres://***"
    }
}

/// Calls `body` with C strings for `values` (NULL for nil), valid only during the call.
private func withCStrings<Result>(_ values: [String?], _ body: ([UnsafePointer<CChar>?]) -> Result) -> Result {
    let buffers: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0) } ?? nil }
    defer { for buffer in buffers { free(buffer) } }
    return body(buffers.map { $0.map { UnsafePointer($0) } })
}
