import Foundation

/// Per-channel rate limits over a sliding window: at most `messages` sends per `per`.
struct ChannelRateLimiter: Sendable {
    struct Limit: Sendable, Hashable {
        var messages: Int
        var perSeconds: Double
    }

    private var limits: [String: Limit]
    private var sent: [String: [Date]] = [:]

    init(limits: [String: Limit]) {
        self.limits = limits
    }

    /// Takes one send for `channel` at `now`; false when the channel is over its limit.
    mutating func take(_ channel: String, now: Date) -> Bool {
        guard let limit = limits[channel] else { return true }
        var times = sent[channel, default: []]
        let windowStart = now.addingTimeInterval(-limit.perSeconds)
        times.removeAll { $0 <= windowStart }
        guard times.count < limit.messages else {
            sent[channel] = times
            return false
        }
        times.append(now)
        sent[channel] = times
        return true
    }
}
