import Foundation
import Synchronization

/// The run records of the producer: runs with their node traces, schedule events and alerts,
/// in SQLite or PostgreSQL.
///
/// Writes go through one connection and reads through a small pool of others, each on its own
/// serial Dispatch queue, so blocking database calls never run on Swift's cooperative pool
/// and a slow dashboard query does not hold up ingest. SQLite runs in WAL mode, in which
/// readers and the writer do not block each other.
///
/// ```swift
/// let store = try await RecordStore.open(try StoreLocation(parsing: "sqlite:./data/records.db"))
/// try await store.upsert(results: results)
/// let page = try await store.runs(RunQuery())
/// ```
public final class RecordStore: Sendable {
    public let location: StoreLocation
    /// A random id written at the first migration, naming this store in consumer group ids.
    public let storeID: String
    public let limits: RecordLimits
    let writer: DatabaseQueue
    private let readers: [DatabaseQueue]
    private let nextReader = Atomic<Int>(0)

    private init(location: StoreLocation, storeID: String, limits: RecordLimits, writer: DatabaseQueue, readers: [DatabaseQueue]) {
        self.location = location
        self.storeID = storeID
        self.limits = limits
        self.writer = writer
        self.readers = readers
    }

    public var dialect: SQLDialect { location.dialect }

    /// Opens the store and applies any pending migration.
    ///
    /// - Parameter readers: connections for queries, used in turn.
    /// - Throws: ``StoreError`` when the store cannot be opened or migrated.
    public static func open(_ location: StoreLocation, limits: RecordLimits = RecordLimits(), readers: Int = 2, logger: Logger? = nil) async throws -> RecordStore {
        let setup = DatabaseQueue(label: "dify-scheduler.store.open", connection: try await Self.connect(location))
        let (applied, storeID) = try await setup.run { connection in
            let applied = try StoreMigrations.apply(on: connection)
            let id = try connection.query("SELECT value FROM store_meta WHERE key = 'store_id'", []).first?["value"].string
            return (applied, id ?? "unknown")
        }
        if !applied.isEmpty {
            logger?.notice("records store migrated", ["store": location.description, "versions": applied.map(String.init).joined(separator: ",")])
        }

        var readerQueues: [DatabaseQueue] = []
        for index in 0..<max(readers, 1) {
            readerQueues.append(DatabaseQueue(label: "dify-scheduler.store.read.\(index)", connection: try await Self.connect(location)))
        }
        return RecordStore(location: location, storeID: storeID, limits: limits, writer: setup, readers: readerQueues)
    }

    /// Opens a connection on a Dispatch thread: SQLite may wait for a lock, libpq for the network.
    private static func connect(_ location: StoreLocation) async throws -> any SQLConnection {
        let opener = DatabaseQueue.opener
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<UncheckedConnection, any Error>) in
            opener.async {
                continuation.resume(with: Result {
                    switch location {
                    case .sqlite(let path): UncheckedConnection(value: try SQLiteConnection(path: path))
                    case .postgres(let url): UncheckedConnection(value: try PostgresConnection(url: url))
                    }
                })
            }
        }.value
    }

    /// Runs a read on the next reader connection.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await readers[index % readers.count].run(body)
    }
}

/// Size caps applied to what the store keeps of Dify's data.
public struct RecordLimits: Sendable, Hashable {
    /// Upper bound on a run's inputs, outputs and answer, each, in bytes of compact JSON.
    public var runIOBytes: Int = 65_536
    /// Upper bound on a node's inputs and outputs, each.
    public var nodeIOBytes: Int = 16_384
    /// Upper bound on error messages and node titles.
    public var textBytes: Int = 8_192

    public init() {}
}

/// A connection handed from the thread that opened it to its queue.
private struct UncheckedConnection: @unchecked Sendable {
    // @unchecked Sendable: the connection is created on one thread and then used only by the
    // single DatabaseQueue it is handed to; no two threads hold it at once.
    let value: any SQLConnection
}

extension DatabaseQueue {
    static let opener = DispatchQueue(label: "dify-scheduler.store.connect", attributes: .concurrent)
}
