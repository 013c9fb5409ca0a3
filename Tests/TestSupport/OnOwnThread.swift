import Foundation

/// Runs blocking `body` on a new thread, off Swift's cooperative pool.
///
/// Dispatch's global queues would not do: on Linux Swift's task executor shares their threads,
/// so many blocked reads would starve the servers the tests talk to.
public func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try body() }) }.start()
    }
}
