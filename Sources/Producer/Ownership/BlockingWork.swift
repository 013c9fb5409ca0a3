import Dispatch

/// Runs blocking work (a Kafka read to the end of a partition) on a Dispatch thread, never on
/// Swift's cooperative pool.
enum BlockingWork {
    static func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result<Value, any Error> { try body() })
            }
        }
    }
}
