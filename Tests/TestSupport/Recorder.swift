import Synchronization

/// Collects values reported from any thread, such as rebalance events.
public final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    public init() {}

    /// Adds `value` after the ones already recorded.
    public func append(_ value: Value) {
        values.withLock { $0.append(value) }
    }

    /// Every value recorded so far, in the order they arrived.
    public var all: [Value] { values.withLock { $0 } }
}
