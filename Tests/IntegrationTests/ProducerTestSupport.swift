import Foundation
import Shared

#if canImport(FoundationNetworking)
import FoundationNetworking
import TestSupport
#endif

/// Helpers for the producer's integration tests: reading triggers and events, calling the
/// control API and running `dify-producer apply`.
extension SchedulerCluster {
    func triggers() async throws -> [Trigger] {
        try await readAll(topics.triggers).compactMap { message in
            message.value.flatMap { try? MessageCodec.decode(Trigger.self, from: Data($0)) }
        }
    }

    /// Scheduled triggers of `jobID`, by scheduled instant (duplicates kept).
    func scheduledTriggers(of jobID: String) async throws -> [Trigger] {
        try await triggers().filter { $0.jobID == jobID && $0.effectiveType == .run && $0.source == .schedule }
            .sorted { $0.scheduledAt! < $1.scheduledAt! }
    }

    /// Runs `dify-producer ARGUMENTS` to its end and returns its exit status and output.
    func runProducerCommand(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = ManagedProcess.binDirectory.appendingPathComponent("dify-producer")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = try await BlockingRead.all(pipe.fileHandleForReading)
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Waits until the events topic holds an event that satisfies `condition`.
    func waitForEvent(_ what: String, timeout: Duration = .seconds(30), _ condition: @escaping @Sendable (ScheduleEvent) -> Bool) async throws -> ScheduleEvent {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let event = try await events().first(where: condition) { return event }
            guard ContinuousClock.now < deadline else { throw TestTimeout(activity: what, timeout: timeout) }
            try await Task.sleep(for: .milliseconds(300))
        }
    }
}

/// Reads a pipe to its end off Swift's cooperative pool.
enum BlockingRead {
    static func all(_ handle: FileHandle) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try handle.readToEnd() ?? Data() })
            }
        }
    }
}

extension ManagedProcess {
    /// The port of the control API, from the producer's `http server listening` log line.
    func controlPort(timeout: Duration = .seconds(30)) async throws -> Int {
        try await waitForLog("http server listening", timeout: timeout)
        for line in log.split(separator: "\n") where line.contains("http server listening") {
            if let range = line.range(of: "http.port=") {
                let digits = line[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return port }
            }
        }
        throw ProcessError(reason: "no http.port in the log of \(name)")
    }
}

/// A small JSON client for the control API.
struct ControlClient: Sendable {
    let port: Int

    struct Reply: Sendable {
        var status: Int
        var body: JSONValue
    }

    /// Sends a request with the API token of `actor` (see ``TestTokens``); a nil actor sends none.
    func send(_ method: String, _ path: String, body: JSONValue? = nil, actor: String? = "test-operator") async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let actor {
            request.setValue("Bearer \(TestTokens.token(for: actor))", forHTTPHeaderField: "Authorization")
        }
        if let body {
            request.httpBody = Data(body.compactText().utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let json = (try? JSONValue.parse(data)) ?? .string(String(decoding: data, as: UTF8.self))
        return Reply(status: status, body: json)
    }

    /// Waits until `/readyz` answers 200.
    func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let reply = try? await send("GET", "/readyz"), reply.status == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestTimeout(activity: "waiting for /readyz", timeout: timeout)
    }
}

