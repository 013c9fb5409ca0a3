/// A token bucket: `rate` tokens per second up to `capacity`, taken one request at a time.
///
/// Time is passed in as seconds on a monotonic clock, so the bucket is a pure value that tests
/// drive without sleeping. Fractional rates work (`0.2` is one request every 5 s).
struct TokenBucket: Sendable {
    private(set) var rate: Double
    private(set) var capacity: Double
    private var tokens: Double
    private var updatedAt: Double

    init(rate: Double, capacity: Double, now: Double) {
        self.rate = rate
        self.capacity = max(capacity, 1)
        self.tokens = max(capacity, 1)
        self.updatedAt = now
    }

    private mutating func refill(now: Double) {
        guard now > updatedAt else { return }
        tokens = min(capacity, tokens + (now - updatedAt) * rate)
        updatedAt = now
    }

    /// Seconds until `amount` tokens are available; zero when they are available now.
    mutating func waitTime(for amount: Double = 1, now: Double) -> Double {
        refill(now: now)
        let needed = min(amount, capacity)
        if tokens >= needed { return 0 }
        guard rate > 0 else { return .infinity }
        return (needed - tokens) / rate
    }

    /// Takes `amount` tokens if available now and returns true; otherwise takes nothing.
    mutating func take(_ amount: Double = 1, now: Double) -> Bool {
        guard waitTime(for: amount, now: now) == 0 else { return false }
        tokens -= min(amount, capacity)
        return true
    }

    /// Adds (or, with a negative amount, removes) tokens, as when a charge is corrected.
    /// The balance may go below zero: an overspent budget delays later requests.
    mutating func adjust(by amount: Double, now: Double) {
        refill(now: now)
        tokens = min(capacity, tokens + amount)
    }

    /// Changes the refill rate, keeping the tokens already earned.
    mutating func setRate(_ newRate: Double, now: Double) {
        refill(now: now)
        rate = newRate
    }

    var availableTokens: Double { tokens }
}
