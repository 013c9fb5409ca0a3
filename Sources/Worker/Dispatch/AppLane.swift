import Shared

/// One app's waiting triggers and the limits that decide when the next one may start:
/// request-rate token bucket with AIMD back-off, concurrency cap, LLM-token budget and
/// `Retry-After` pauses.
///
/// A pure value: the dispatcher passes the time in and carries out the decisions.
struct AppLane: Sendable {
    enum Decision: Sendable {
        case start(QueuedTrigger, chargedTokens: Double)
        /// The first trigger may start after this many seconds; `reason` names the limit.
        case wait(seconds: Double, reason: String)
        /// All concurrency slots are taken; a finishing run will pump the lane again.
        case full
        case idle
    }

    private(set) var app: WorkerApp
    private(set) var queue = AppQueue<QueuedTrigger>()
    private(set) var inFlight = 0
    private var requestBucket: TokenBucket?
    private var adaptiveRate: AdaptiveRate?
    private var tokenBudget: TokenBucket?
    private var retryBudget: RetryBudget
    private var blockedUntil: Double = 0
    /// Moving average of each job's total tokens, the charge when the job gives no estimate.
    private var averageTokens: [String: Double] = [:]

    init(app: WorkerApp, now: Double) {
        self.app = app
        retryBudget = RetryBudget(ratio: app.limits.retryBudget ?? 0.2, now: now)
        configureLimits(now: now)
    }

    /// Switches to a reloaded app (a new key, URL or limits) for the runs that start from now
    /// on. Runs in flight keep the app they started with. Changed limits start full buckets.
    mutating func replace(app newApp: WorkerApp, now: Double) {
        let limitsChanged = newApp.limits != app.limits
        app = newApp
        guard limitsChanged else { return }
        requestBucket = nil
        adaptiveRate = nil
        tokenBudget = nil
        retryBudget = RetryBudget(ratio: app.limits.retryBudget ?? 0.2, now: now)
        configureLimits(now: now)
    }

    private mutating func configureLimits(now: Double) {
        if let rate = app.limits.requestsPerSecond {
            let burst = Double(app.limits.burst ?? max(1, Int(rate.rounded(.up))))
            requestBucket = TokenBucket(rate: rate, capacity: burst, now: now)
            adaptiveRate = AdaptiveRate(configuredRate: rate, now: now)
        }
        if let perMinute = app.limits.tokensPerMinute {
            tokenBudget = TokenBucket(rate: Double(perMinute) / 60, capacity: Double(perMinute), now: now)
        }
    }

    var queuedCount: Int { queue.count }
    var firstTrigger: QueuedTrigger? { queue.first }

    func containsTrigger(_ id: String) -> Bool {
        queue.contains { $0.trigger.id == id }
    }

    mutating func enqueue(_ trigger: QueuedTrigger) {
        queue.push(trigger, priority: trigger.trigger.policy?.priority ?? 0)
    }

    /// Removes queued triggers matching `predicate` (a revoked partition, a cancel).
    mutating func remove(where predicate: (QueuedTrigger) -> Bool) -> [QueuedTrigger] {
        queue.removeAll(where: predicate)
    }

    /// Decides whether the first waiting trigger starts now. `originFree` is true when the
    /// app's Dify has a free slot under its shared cap.
    mutating func next(now: Double, originFree: Bool) -> Decision {
        guard let first = queue.first else { return .idle }
        if let cap = app.limits.maxConcurrency, inFlight >= cap { return .full }
        guard originFree else { return .full }
        // Adopted runs already hold a Dify slot: they only wait for concurrency.
        let isAdoption = first.adopt != nil

        if !isAdoption && now < blockedUntil {
            return .wait(seconds: blockedUntil - now, reason: "retry_after")
        }
        if !isAdoption, var bucket = requestBucket, var rate = adaptiveRate {
            bucket.setRate(rate.effectiveRate(now: now), now: now)
            adaptiveRate = rate
            let wait = bucket.waitTime(now: now)
            requestBucket = bucket
            if wait > 0 { return .wait(seconds: wait, reason: "requests_per_second") }
        }
        let charge = isAdoption ? 0 : expectedTokens(for: first.trigger)
        if charge > 0, var budget = tokenBudget {
            let wait = budget.waitTime(for: charge, now: now)
            tokenBudget = budget
            if wait > 0 { return .wait(seconds: wait, reason: "tokens_per_minute") }
        }

        if !isAdoption {
            _ = requestBucket?.take(now: now)
            tokenBudget?.adjust(by: -charge, now: now)
            retryBudget.recordCall(now: now)
        }
        _ = queue.popFirst()
        inFlight += 1
        return .start(first, chargedTokens: charge)
    }

    /// Decides what may start while the app's daily budget holds its new runs back: adopted
    /// runs, which are already running in Dify, and triggers for which `isExpired` is true,
    /// which end as `expired` without calling Dify. Both still take a concurrency slot.
    mutating func nextWhileHeld(originFree: Bool, isExpired: (Trigger) -> Bool) -> Decision {
        guard !queue.isEmpty else { return .idle }
        if let cap = app.limits.maxConcurrency, inFlight >= cap { return .full }
        guard originFree else { return .full }
        guard let exempt = queue.first(where: { $0.adopt != nil || isExpired($0.trigger) }) else { return .idle }
        _ = queue.removeAll { $0.trigger.id == exempt.trigger.id && $0.offset == exempt.offset }
        inFlight += 1
        return .start(exempt, chargedTokens: 0)
    }

    /// Returns every queued trigger, in no particular order.
    var queuedTriggers: [QueuedTrigger] {
        var all: [QueuedTrigger] = []
        var copy = queue
        while let next = copy.popFirst() { all.append(next) }
        return all
    }

    /// Records the end of a run: frees its slot and corrects the token charge with the real count.
    mutating func finished(jobID: String?, chargedTokens: Double, actualTokens: Int64?, now: Double) {
        inFlight = max(0, inFlight - 1)
        guard let actualTokens else { return }
        tokenBudget?.adjust(by: chargedTokens - Double(actualTokens), now: now)
        if let jobID {
            let previous = averageTokens[jobID] ?? Double(actualTokens)
            averageTokens[jobID] = previous * 0.7 + Double(actualTokens) * 0.3
        }
    }

    /// Applies a throttle error from Dify: halves the rate and pauses the app until `Retry-After`.
    mutating func throttled(retryAfterSeconds: Double?, now: Double) {
        adaptiveRate?.throttled(now: now)
        let pause = retryAfterSeconds ?? (adaptiveRate == nil ? 1 : 0)
        blockedUntil = max(blockedUntil, now + pause)
    }

    mutating func spendRetry(now: Double) -> Bool {
        retryBudget.spendRetry(now: now)
    }

    /// Returns the request rate in force now, for the effective-rate metric; nil when unlimited.
    mutating func effectiveRate(now: Double) -> Double? {
        guard var rate = adaptiveRate else { return nil }
        let value = rate.effectiveRate(now: now)
        adaptiveRate = rate
        return value
    }

    private func expectedTokens(for trigger: Trigger) -> Double {
        if let expected = trigger.policy?.expectedTokens { return Double(expected) }
        if let jobID = trigger.jobID, let average = averageTokens[jobID] { return average }
        return 0
    }
}
