import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// A Tansu broker (a Kafka-protocol broker) with in-memory storage on a free 127.0.0.1 port,
/// started for one test.
///
/// The binary is `$DIFY_SCHEDULER_TOOLS_DIR/bin/tansu`, or `.tools/bin/tansu` under the package
/// root, where `scripts/setup.sh` installs it. The broker's output goes to `tansu-PORT.log` in
/// `$DIFY_SCHEDULER_TEST_OUTPUT` (or the temporary directory).
///
/// Tansu 0.6 differs from Apache Kafka in ways tests must allow for. A group join waits for
/// half of `session.timeout.ms`, so tests set it low (6000). It accepts transactions but does
/// not hide aborted records, and it never compacts topics.
///
/// Use ``run(_:)``, which stops the broker when the body returns or throws.
final class TansuBroker: Sendable {
    let port: Int
    /// The `host:port` to give clients as bootstrap servers.
    let bootstrapServers: String
    let logFile: URL
    private let process: Process

    /// Starts a broker, runs `body` with it and stops it afterwards.
    static func run<Result>(_ body: (TansuBroker) async throws -> Result) async throws -> Result {
        let broker = try await start()
        defer { broker.stop() }
        return try await body(broker)
    }

    /// Starts a broker and waits until it accepts connections.
    ///
    /// - Throws: ``TansuBrokerError`` when the binary is missing, the process exits early or the
    ///   port does not open within 10 seconds.
    static func start() async throws -> TansuBroker {
        let binary = try binaryPath()
        var lastFailure = ""
        // A port found free can be taken before Tansu binds it, so a failed start is retried.
        for _ in 0..<3 {
            let port = try FreePort.next()
            let broker = try TansuBroker(binary: binary, port: port)
            if try await broker.waitUntilAccepting(timeout: .seconds(10)) {
                return broker
            }
            broker.stop()
            lastFailure = (try? String(contentsOf: broker.logFile, encoding: .utf8)) ?? ""
        }
        throw TansuBrokerError(reason: "Tansu did not start listening; its output was:\n\(lastFailure)")
    }

    private init(binary: String, port: Int) throws {
        self.port = port
        bootstrapServers = "127.0.0.1:\(port)"

        let outputDirectory = ProcessInfo.processInfo.environment["DIFY_SCHEDULER_TEST_OUTPUT"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        logFile = outputDirectory.appendingPathComponent("tansu-\(port).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let output = try FileHandle(forWritingTo: logFile)

        let listener = "tcp://127.0.0.1:\(port)"
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "broker",
            "--storage-engine", "memory://tansu/",
            "--listener-url", listener,
            "--advertised-listener-url", listener,
        ]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        RunningBrokers.shared.add(process.processIdentifier)
    }

    deinit {
        stop()
    }

    /// Stops the broker with SIGKILL (its storage is in memory, so nothing is lost that a test
    /// needs) and waits for it to exit.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        RunningBrokers.shared.remove(process.processIdentifier)
    }

    private func waitUntilAccepting(timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !process.isRunning { return false }
            if FreePort.isAccepting(port: port) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    private static func binaryPath() throws -> String {
        let toolsDirectory = ProcessInfo.processInfo.environment["DIFY_SCHEDULER_TOOLS_DIR"]
            ?? packageRoot().appendingPathComponent(".tools").path
        let binary = URL(fileURLWithPath: toolsDirectory).appendingPathComponent("bin/tansu").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TansuBrokerError(
                reason: "the Tansu binary \(binary) is missing; run `scripts/setup.sh test` or set DIFY_SCHEDULER_TOOLS_DIR to a directory holding bin/tansu"
            )
        }
        return binary
    }

    /// Returns the package root, three levels above this file (Tests/IntegrationTests/Support).
    private static func packageRoot() -> URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}

struct TansuBrokerError: Error, CustomStringConvertible {
    let reason: String
    var description: String { "starting Tansu failed: \(reason)" }
}

/// Brokers still running, killed when the test process exits so none outlives a failed test.
///
/// A crash of the test process (a signal) skips this, leaving brokers running until killed.
final class RunningBrokers: Sendable {
    static let shared = RunningBrokers()

    private let processIdentifiers = Mutex<Set<Int32>>([])

    private init() {
        atexit {
            for identifier in RunningBrokers.shared.processIdentifiers.withLock({ $0 }) {
                kill(identifier, SIGKILL)
            }
        }
    }

    func add(_ identifier: Int32) {
        processIdentifiers.withLock { _ = $0.insert(identifier) }
    }

    func remove(_ identifier: Int32) {
        processIdentifiers.withLock { _ = $0.remove(identifier) }
    }
}
