import Foundation

/// Exponential backoff with full jitter.
///
/// The ceiling for attempt `n` (the attempt that failed, from 1) is
/// `initial × multiplier^(n-1)`, capped at `maximum`; the wait is drawn uniformly between
/// `initial` and that ceiling, which spreads retries of jobs that failed together.
struct Backoff: Sendable {
    var initialMilliseconds: Int64
    var maximumMilliseconds: Int64
    var multiplier: Double

    init(initialMilliseconds: Int64 = 1000, maximumMilliseconds: Int64 = 60_000, multiplier: Double = 2) {
        self.initialMilliseconds = max(1, initialMilliseconds)
        self.maximumMilliseconds = max(self.initialMilliseconds, maximumMilliseconds)
        self.multiplier = max(1, multiplier)
    }

    func ceiling(afterAttempt attempt: Int) -> Int64 {
        let exponent = Double(max(0, attempt - 1))
        let raw = Double(initialMilliseconds) * pow(multiplier, exponent)
        return raw >= Double(maximumMilliseconds) ? maximumMilliseconds : Int64(raw)
    }

    func delay<R: RandomNumberGenerator>(afterAttempt attempt: Int, using generator: inout R) -> Int64 {
        let upper = ceiling(afterAttempt: attempt)
        guard upper > initialMilliseconds else { return initialMilliseconds }
        return Int64.random(in: initialMilliseconds...upper, using: &generator)
    }

    /// The wait after a `Retry-After` answer: the server's time plus up to 10 % jitter.
    func delay<R: RandomNumberGenerator>(retryAfterMilliseconds: Int64, using generator: inout R) -> Int64 {
        let jitter = max(1, retryAfterMilliseconds / 10)
        return retryAfterMilliseconds + Int64.random(in: 0...jitter, using: &generator)
    }
}

