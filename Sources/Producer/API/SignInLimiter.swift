import Foundation
import Shared
import Synchronization

/// Counts failed console sign-ins per client address and blocks an address that failed too
/// often, so a token cannot be guessed through the sign-in route.
///
/// An address may fail `max_failed_sign_ins` times within `sign_in_window`; further attempts
/// get 429 until the window that began with its first failure has passed. A successful
/// sign-in does not reset the count, so a valid token cannot be used to keep guessing others.
/// At most ``maxAddresses`` addresses are tracked; beyond that the oldest window is dropped.
final class SignInLimiter: Sendable {
    static let maxAddresses = 100_000

    private struct Window {
        var start: Date
        var failures: Int
    }

    private struct State {
        var limit: Int
        var window: TimeInterval
        var windows: [String: Window] = [:]
    }

    private let state: Mutex<State>

    init(settings: SessionSettings) {
        state = Mutex(State(limit: settings.maxFailedSignIns, window: TimeInterval(settings.signInWindowMilliseconds) / 1000))
    }

    func update(settings: SessionSettings) {
        state.withLock {
            $0.limit = settings.maxFailedSignIns
            $0.window = TimeInterval(settings.signInWindowMilliseconds) / 1000
        }
    }

    /// Returns the seconds `address` must wait before it may try again, or nil when it may try now.
    func retryAfter(_ address: String, now: Date = Date()) -> Int? {
        state.withLock { state in
            guard let window = state.windows[address] else { return nil }
            let end = window.start.addingTimeInterval(state.window)
            if now >= end {
                state.windows[address] = nil
                return nil
            }
            return window.failures >= state.limit ? max(1, Int(end.timeIntervalSince(now).rounded(.up))) : nil
        }
    }

    /// Records a failed sign-in from `address`.
    func recordFailure(_ address: String, now: Date = Date()) {
        state.withLock { state in
            if let window = state.windows[address], now < window.start.addingTimeInterval(state.window) {
                state.windows[address]?.failures += 1
                return
            }
            if state.windows.count >= Self.maxAddresses {
                let limit = state.window
                state.windows = state.windows.filter { now < $0.value.start.addingTimeInterval(limit) }
                if state.windows.count >= Self.maxAddresses, let oldest = state.windows.min(by: { $0.value.start < $1.value.start })?.key {
                    state.windows[oldest] = nil
                }
            }
            state.windows[address] = Window(start: now, failures: 1)
        }
    }
}
