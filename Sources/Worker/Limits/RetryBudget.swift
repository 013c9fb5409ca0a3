/// Limits retries to a fraction of calls over a sliding window, so a failing app cannot start
/// a retry storm.
///
/// Calls and retries are counted in one-second slots over `window` seconds. A retry is
/// allowed while retries stay at most `ratio` of calls, with `minimumRetries` always allowed so
/// that an app with few calls can still retry.
struct RetryBudget: Sendable {
    let ratio: Double
    let window: Int
    let minimumRetries: Int
    private var calls: [Int]
    private var retries: [Int]
    private var slotSecond: Int

    init(ratio: Double, window: Int = 60, minimumRetries: Int = 3, now: Double) {
        self.ratio = ratio
        self.window = window
        self.minimumRetries = minimumRetries
        self.calls = Array(repeating: 0, count: window)
        self.retries = Array(repeating: 0, count: window)
        self.slotSecond = Int(now)
    }

    private mutating func advance(now: Double) {
        let second = Int(now)
        guard second > slotSecond else { return }
        let steps = min(second - slotSecond, window)
        for step in 1...steps {
            let index = (slotSecond + step) % window
            calls[index] = 0
            retries[index] = 0
        }
        slotSecond = second
    }

    mutating func recordCall(now: Double) {
        advance(now: now)
        calls[slotSecond % window] += 1
    }

    /// Returns true and counts the retry when the budget allows one more.
    mutating func spendRetry(now: Double) -> Bool {
        advance(now: now)
        let totalCalls = calls.reduce(0, +)
        let totalRetries = retries.reduce(0, +)
        let allowed = max(Double(minimumRetries), ratio * Double(totalCalls))
        guard Double(totalRetries + 1) <= allowed else { return false }
        retries[slotSecond % window] += 1
        return true
    }
}
