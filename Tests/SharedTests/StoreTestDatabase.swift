import Foundation
import Shared
import TestSupport

/// The two store backends every store test runs on.
enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    var description: String { rawValue }

    /// A new, empty store location of this backend.
    func makeLocation() throws -> StoreLocation {
        switch self {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dify-store-\(UUID().uuidString.prefix(8))")
            return .sqlite(path: folder.appendingPathComponent("records.db").path)
        case .postgres:
            return .postgres(url: try TestPostgresServer.get().makeDatabase())
        }
    }

    func openStore(limits: RecordLimits = RecordLimits()) async throws -> RecordStore {
        try await RecordStore.open(try makeLocation(), limits: limits)
    }
}

/// Raw SQL against a store, through the database's own command-line client, for tests that
/// need a state the store API never makes.
enum StoreProbe {
    static func execute(_ location: StoreLocation, _ sql: String) async throws {
        switch location {
        case .sqlite(let path):
            // The store a test just dropped may still be closing its connection: wait for its lock.
            try TestPostgresServer.run("/usr/bin/sqlite3", ["-cmd", ".timeout 10000", path, sql])
        case .postgres(let url):
            try TestPostgresServer.run("\(TestPostgresServer.binaries)/psql", [url, "-q", "-c", sql])
        }
    }
}
