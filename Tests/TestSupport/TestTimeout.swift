import Foundation

/// The error of a test that waited past its time limit for something to happen.
public struct TestTimeout: Error, CustomStringConvertible {
    public let activity: String
    public let timeout: Duration

    public init(activity: String, timeout: Duration) {
        self.activity = activity
        self.timeout = timeout
    }

    public var description: String { "timed out after \(timeout) \(activity)" }
}

/// Runs `body`, throwing `TestTimeout` if it has not returned after `timeout`.
///
/// The body is cancelled when the time is up. A body that ignores cancellation keeps running
/// after the throw.
public func withDeadline<Result: Sendable>(
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

/// Waits until `condition` holds, checking every 50 ms, failing after `timeout`.
public func waitUntil(
    _ activity: String,
    timeout: Duration = .seconds(20),
    _ condition: @escaping @Sendable () throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        if ContinuousClock.now >= deadline { throw TestTimeout(activity: activity, timeout: timeout) }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Waits until the async `condition` holds, checking every 100 ms, failing after `timeout`.
public func waitUntilAsync(
    _ activity: String,
    timeout: Duration = .seconds(20),
    _ condition: @escaping @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        if ContinuousClock.now >= deadline { throw TestTimeout(activity: activity, timeout: timeout) }
        try await Task.sleep(for: .milliseconds(100))
    }
}
