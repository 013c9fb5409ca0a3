import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A product binary (`dify-producer`, `dify-worker`, `dify-double`) started by a test, with its
/// output in a log file under the test output folder.
///
/// Binaries come from `$DIFY_SCHEDULER_BIN_DIR`, which `scripts/test.sh` sets after building,
/// or from `.build/debug` under the package root.
final class ManagedProcess: Sendable {
    let name: String
    let logFile: URL
    private let process: Process

    static var binDirectory: URL {
        if let directory = ProcessInfo.processInfo.environment["DIFY_SCHEDULER_BIN_DIR"], !directory.isEmpty {
            return URL(fileURLWithPath: directory)
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }

    static var packageRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url
    }

    static var outputDirectory: URL {
        let directory = ProcessInfo.processInfo.environment["DIFY_SCHEDULER_TEST_OUTPUT"].map { URL(fileURLWithPath: $0) }
            ?? packageRoot.appendingPathComponent("test-output")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Starts `binary` with `arguments`; `environment` is added to the test's own.
    init(binary: String, arguments: [String], environment: [String: String] = [:], logName: String) throws {
        let path = ManagedProcess.binDirectory.appendingPathComponent(binary)
        guard FileManager.default.isExecutableFile(atPath: path.path) else {
            throw ProcessError(reason: "\(path.path) is missing: run `swift build` (or make test) first")
        }
        name = logName
        logFile = ManagedProcess.outputDirectory.appendingPathComponent("\(logName).log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logFile)

        process = Process()
        process.executableURL = path
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { _, new in new }
        process.environment = merged
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) {
        if process.isRunning { kill(process.processIdentifier, number) }
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit; returns the exit status, or nil
    /// after killing a process that did not exit in time.
    @discardableResult
    func terminate(timeout: Duration = .seconds(30)) async -> Int32? {
        signal(SIGTERM)
        if await waitForExit(timeout: timeout) { return process.terminationStatus }
        kill9()
        return nil
    }

    func kill9() {
        signal(SIGKILL)
        process.waitUntilExit()
    }

    func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return !process.isRunning
    }

    var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// Waits until the log contains `text`.
    func waitForLog(_ text: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !log.contains(text) {
            guard process.isRunning else { throw ProcessError(reason: "\(name) exited before logging \"\(text)\":\n\(log.suffix(3000))") }
            guard ContinuousClock.now < deadline else { throw ProcessError(reason: "\(name) did not log \"\(text)\" within \(timeout):\n\(log.suffix(3000))") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
    }
}

struct ProcessError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
