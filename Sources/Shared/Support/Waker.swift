import Synchronization

/// Lets a loop sleep until a deadline or until something wakes it early, such as a new job
/// whose fire comes before the one the loop sleeps for.
///
/// A `wake()` with no loop waiting is remembered, so the next `wait` returns at once.
public final class Waker: Sendable {
    private struct State {
        var pending = false
        var waiterID = 0
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func wake() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns after `duration`, at a `wake()`, or when the task is cancelled, whichever is first.
    public func wait(upTo duration: Duration) async {
        let id: Int? = state.withLock { state in
            if state.pending {
                state.pending = false
                return nil
            }
            state.waiterID += 1
            return state.waiterID
        }
        guard let id else { return }

        let timer = Task { [weak self] in
            try? await Task.sleep(for: duration, tolerance: .milliseconds(1))
            self?.resume(id: id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    // A wake, the timer or a cancel may have come before the continuation existed.
                    guard state.waiterID == id, !state.pending, !Task.isCancelled else {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: { [weak self] in
            self?.resume(id: id)
        }
        timer.cancel()
    }

    private func resume(id: Int) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard state.waiterID == id, let waiter = state.waiter else {
                if state.waiterID == id { state.waiterID += 1 }
                return nil
            }
            state.waiter = nil
            state.waiterID += 1
            return waiter
        }
        waiter?.resume()
    }
}
