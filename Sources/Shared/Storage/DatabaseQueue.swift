import Dispatch

/// One database connection and the serial Dispatch queue that alone uses it.
///
/// SQLite steps and libpq round trips block, so they run here rather than on Swift's
/// cooperative pool; async callers suspend until the queue has run their work.
final class DatabaseQueue: @unchecked Sendable {
    // @unchecked Sendable: `connection` is touched only inside blocks run on `queue`, which
    // is serial, so no two threads use it at once.
    private let connection: any SQLConnection
    private let queue: DispatchQueue

    init(label: String, connection: any SQLConnection) {
        self.connection = connection
        self.queue = DispatchQueue(label: label)
    }

    var dialect: SQLDialect { connection.dialect }

    /// Runs `body` with the connection on the queue and returns its value.
    func run<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body(self.connection) })
            }
        }
    }

    /// Runs `body` on the queue, blocking the calling thread; for threads of their own (ingest).
    func runBlocking<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try queue.sync { try body(connection) }
    }
}
