/// Additive-increase, multiplicative-decrease control of an app's request rate.
///
/// Each throttle answer from Dify (429, or Dify 1.9.2's 400 "Too many requests") halves the
/// effective rate, down to `minimumFraction` of the configured rate; every second without a
/// throttle answer gives back `recoveryPerSecond` of the configured rate, up to the full rate.
struct AdaptiveRate: Sendable {
    let configuredRate: Double
    let minimumFraction: Double
    let decreaseFactor: Double
    let recoveryPerSecond: Double
    private(set) var fraction: Double = 1
    private var updatedAt: Double

    init(configuredRate: Double, now: Double, minimumFraction: Double = 0.02, decreaseFactor: Double = 0.5, recoveryPerSecond: Double = 0.05) {
        self.configuredRate = configuredRate
        self.minimumFraction = minimumFraction
        self.decreaseFactor = decreaseFactor
        self.recoveryPerSecond = recoveryPerSecond
        self.updatedAt = now
    }

    mutating func recover(now: Double) {
        guard now > updatedAt else { return }
        fraction = min(1, fraction + (now - updatedAt) * recoveryPerSecond)
        updatedAt = now
    }

    mutating func throttled(now: Double) {
        recover(now: now)
        fraction = max(minimumFraction, fraction * decreaseFactor)
    }

    /// The rate to use now, in requests per second.
    mutating func effectiveRate(now: Double) -> Double {
        recover(now: now)
        return configuredRate * fraction
    }
}
