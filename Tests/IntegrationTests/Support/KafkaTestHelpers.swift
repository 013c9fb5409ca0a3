import Foundation
import Shared
import Synchronization

/// Reads `count` messages from `consumer`, failing after `timeout`.
func collect(from consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(30)) async throws -> [KafkaMessage] {
    try await withDeadline(timeout, activity: "waiting for \(count) messages") {
        var messages: [KafkaMessage] = []
        for try await message in consumer.messages() {
            messages.append(message)
            if messages.count == count { break }
        }
        return messages
    }
}

/// Runs `body`, throwing `TestTimeout` if it has not returned after `timeout`.
func withDeadline<Result: Sendable>(
    _ timeout: Duration,
    activity: String,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else {
            throw TestTimeout(activity: activity, timeout: timeout)
        }
        return result
    }
}

struct TestTimeout: Error, CustomStringConvertible {
    let activity: String
    let timeout: Duration
    var description: String { "timed out after \(timeout) \(activity)" }
}

/// Collects values reported from any thread, such as rebalance events.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    func append(_ value: Value) {
        values.withLock { $0.append(value) }
    }

    var all: [Value] { values.withLock { $0 } }
}

/// Waits until `condition` holds, checking every 50 ms, failing after `timeout`.
func waitUntil(_ activity: String, timeout: Duration = .seconds(20), _ condition: @escaping @Sendable () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        if ContinuousClock.now >= deadline { throw TestTimeout(activity: activity, timeout: timeout) }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Waits until the async `condition` holds, checking every 100 ms, failing after `timeout`.
func waitUntilAsync(_ activity: String, timeout: Duration = .seconds(20), _ condition: @escaping @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        if ContinuousClock.now >= deadline { throw TestTimeout(activity: activity, timeout: timeout) }
        try await Task.sleep(for: .milliseconds(100))
    }
}
