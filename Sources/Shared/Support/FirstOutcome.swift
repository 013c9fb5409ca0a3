import Synchronization

/// The first of several competing values: the Dify call ending, a stop request, a timer.
public final class FirstOutcome<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiter: CheckedContinuation<Value, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Offers a value; only the first one offered is kept.
    public func offer(_ value: Value) {
        let waiter: CheckedContinuation<Value, Never>? = state.withLock { state in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: value)
    }

    public func value() async -> Value {
        await withCheckedContinuation { continuation in
            let existing: Value? = state.withLock { state in
                if let value = state.value { return value }
                state.waiter = continuation
                return nil
            }
            if let existing { continuation.resume(returning: existing) }
        }
    }
}
