import Dispatch
import Foundation
import Synchronization

/// A dedicated thread running a loop of blocking librdkafka calls, off Swift's cooperative pool.
///
/// The body checks ``isStopRequested`` between calls; each call must return within a short
/// timeout (100 ms here) so that ``stop()`` is prompt.
final class KafkaThread: Sendable {
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)

    init() {}

    var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    /// Starts `body` on a new thread named `name`.
    func start(name: String, _ body: @escaping @Sendable () -> Void) {
        started.store(true, ordering: .releasing)
        let thread = Thread { [finished] in
            body()
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
    }

    /// Asks the loop to stop and waits for the thread to end, without blocking the cooperative pool.
    func stop() async {
        requestStop()
        guard started.load(ordering: .acquiring) else { return }
        await KafkaBlocking.run { [finished] in
            finished.wait()
            finished.signal()
        }
    }
}

/// Runs blocking librdkafka calls (flush, commit, metadata) on a Dispatch queue instead of
/// Swift's cooperative pool, whose few threads must never block.
enum KafkaBlocking {
    private static let queue = DispatchQueue(label: "dify-scheduler.kafka.blocking", attributes: .concurrent)

    static func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Swift.Result { try body() })
            }
        }
    }

    static func run<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: body())
            }
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds for librdkafka timeouts, clamped to `Int32`.
    var kafkaMilliseconds: Int32 {
        let milliseconds = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(milliseconds, 0))
    }
}
