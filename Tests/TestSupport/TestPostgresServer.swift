import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL 15 server started for the test run, in a fresh folder on a free port.
///
/// PostgreSQL refuses to run as root, and the tests run as root, so `initdb` and `pg_ctl` run
/// as the `postgres` user through `runuser` in a folder that user owns. The server starts once
/// per test process, on first use, and is stopped when the process exits. Each test gets a
/// database of its own from ``makeDatabase()``.
public final class TestPostgresServer: Sendable {
    /// The folder of PostgreSQL 15's programs, as Debian installs them.
    public static let binaries = "/usr/lib/postgresql/15/bin"
    /// The port of 127.0.0.1 the server listens on.
    public let port: Int
    /// The folder that contains the cluster, its log and its socket, removed at exit.
    public let directory: String

    private static let shared = Mutex<Result<TestPostgresServer, TestDatabaseError>?>(nil)
    private static let databaseNumber = Atomic<Int>(0)

    /// The server of this test process, started on first use.
    public static func get() throws -> TestPostgresServer {
        try shared.withLock { server in
            if let server { return try server.get() }
            let started = Result { try TestPostgresServer.start() }.mapError { $0 as? TestDatabaseError ?? TestDatabaseError(reason: "\($0)") }
            server = started
            if case .success(let running) = started {
                runningDirectory.withLock { $0 = running.directory }
                atexit { TestPostgresServer.stopAtExit() }
            }
            return try started.get()
        }
    }

    private init(port: Int, directory: String) {
        self.port = port
        self.directory = directory
    }

    private static func start() throws -> TestPostgresServer {
        guard FileManager.default.isExecutableFile(atPath: "\(binaries)/initdb") else {
            throw TestDatabaseError(reason: "\(binaries)/initdb is missing: install PostgreSQL 15 (apt-get install postgresql) or run scripts/setup.sh")
        }
        let directory = "/tmp/dify-scheduler-pg-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try run("/bin/chown", ["postgres:postgres", directory])
        try run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(binaries)/initdb", "-D", "\(directory)/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])

        // A port the kernel just found free, and another try when something took it meanwhile.
        var lastError: Error?
        for _ in 0..<5 {
            let port = try FreePort.next()
            do {
                try run("/usr/sbin/runuser", [
                    "-u", "postgres", "--", "\(binaries)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-t", "60",
                    "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                    "start",
                ])
                return TestPostgresServer(port: port, directory: directory)
            } catch {
                lastError = error
            }
        }
        let log = (try? String(contentsOfFile: "\(directory)/server.log", encoding: .utf8)) ?? ""
        throw TestDatabaseError(reason: "PostgreSQL did not start: \(lastError.map { "\($0)" } ?? "")\n\(log.suffix(2000))")
    }

    private static let runningDirectory = Mutex<String?>(nil)

    private static func stopAtExit() {
        guard let directory = runningDirectory.withLock({ $0 }) else { return }
        try? run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(binaries)/pg_ctl", "-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Creates an empty database with a name of its own and returns its URL.
    public func makeDatabase() throws -> String {
        let name = "records_\(TestPostgresServer.databaseNumber.wrappingAdd(1, ordering: .relaxed).oldValue)_\(UUID().uuidString.prefix(6).lowercased())"
        try Self.run("\(Self.binaries)/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-q", "-c", "CREATE DATABASE \(name)"])
        return "postgres://postgres@127.0.0.1:\(port)/\(name)"
    }

    /// Runs a command through `/bin/sh` and waits for it; throws with its output when it fails.
    ///
    /// Foundation's `Process` is not used here: it learns that a child ended from a descriptor
    /// the child inherits, and the server that `pg_ctl start` leaves running keeps that
    /// descriptor open, so `waitUntilExit()` would never return. `system(3)` waits with
    /// `waitpid`. Arguments are paths and options this helper makes, quoted for the shell.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("dify-store-cmd-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let quoted = ([executable] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let status = system(quoted.joined(separator: " ") + " </dev/null >\(outputPath) 2>&1")
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw TestDatabaseError(reason: "\(executable) \(arguments.joined(separator: " ")) exited with status \(status):\n\(output)")
        }
        return output
    }
}

/// A failed start of the test server or a failed command against it, with the output.
public struct TestDatabaseError: Error, CustomStringConvertible {
    public let reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
