import Shared
import Synchronization

/// Reason the worker itself stopped a run. It decides the result's status whatever status
/// Dify's last frame carried (Dify 1.9.2 reports a stopped stream as `failed`).
enum StopReason: Sendable, Equatable {
    /// The job's `timeout` passed.
    case timeout
    /// An operator or a `cancel_previous` overlap asked for it.
    case cancelled(actor: String)
    /// The worker is shutting down and the grace period is over.
    case shutdown

    var status: RunStatus {
        switch self {
        case .timeout: .timedOut
        case .cancelled, .shutdown: .stopped
        }
    }
}

/// A handle on a run in flight: lets the dispatcher ask it to stop, and lets the run report
/// the Dify ids it learned so a stop can reach Dify.
///
/// Shared between the dispatcher actor and the executing task; a mutex guards the state.
final class RunControl: Sendable {
    private struct State {
        var stopReason: StopReason?
        var nextWaiterID = 0
        var waiters: [Int: CheckedContinuation<StopReason?, Never>] = [:]
    }

    private let state = Mutex(State())

    /// Asks the run to stop; the first reason wins.
    func requestStop(_ reason: StopReason) {
        let waiters: [CheckedContinuation<StopReason?, Never>] = state.withLock { state in
            guard state.stopReason == nil else { return [] }
            state.stopReason = reason
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.resume(returning: reason)
        }
    }

    var stopReason: StopReason? {
        state.withLock { $0.stopReason }
    }

    /// Waits until a stop is requested; returns nil when the waiting task is cancelled.
    func waitForStop() async -> StopReason? {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<StopReason?, Never>) in
                let immediate: StopReason?? = state.withLock { state in
                    if let reason = state.stopReason { return .some(reason) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }
}

