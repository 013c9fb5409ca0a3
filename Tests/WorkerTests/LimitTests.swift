import Testing

@testable import Worker

@Suite struct TokenBucketTests {
    @Test func burstThenSteadyRate() {
        var bucket = TokenBucket(rate: 2, capacity: 3, now: 0)
        let value1 = bucket.take(now: 0)
        #expect(value1)
        let value2 = bucket.take(now: 0)
        #expect(value2)
        let value3 = bucket.take(now: 0)
        #expect(value3)
        let value4 = bucket.take(now: 0)
        #expect(!value4)
        let value5 = bucket.waitTime(now: 0)
        #expect(value5 == 0.5)
        let value6 = bucket.take(now: 0.5)
        #expect(value6)
    }

    @Test func fractionalRate() {
        var bucket = TokenBucket(rate: 0.2, capacity: 1, now: 0)
        let value7 = bucket.take(now: 0)
        #expect(value7)
        let value8 = bucket.waitTime(now: 0)
        #expect(value8 == 5)
        let value9 = bucket.take(now: 4.9)
        #expect(!value9)
        let value10 = bucket.take(now: 5)
        #expect(value10)
    }

    @Test func negativeAdjustmentDelaysLaterRequests() {
        var budget = TokenBucket(rate: 100, capacity: 6000, now: 0)
        let value11 = budget.take(1000, now: 0)
        #expect(value11)
        budget.adjust(by: -6000, now: 0)
        let value12 = budget.waitTime(for: 1000, now: 0)
        #expect(value12 == 20)
    }
}

@Suite struct AdaptiveRateTests {
    @Test func halvesOnThrottleAndRecoversAdditively() {
        var rate = AdaptiveRate(configuredRate: 10, now: 0, recoveryPerSecond: 0.1)
        rate.throttled(now: 0)
        let value13 = rate.effectiveRate(now: 0)
        #expect(value13 == 5)
        rate.throttled(now: 0)
        let value14 = rate.effectiveRate(now: 0)
        #expect(value14 == 2.5)
        let recovered = rate.effectiveRate(now: 2)
        #expect(abs(recovered - 4.5) < 1e-9)
        let value15 = rate.effectiveRate(now: 100)
        #expect(value15 == 10)
    }
}

@Suite struct RetryBudgetTests {
    @Test func allowsRetriesUpToRatioOfCalls() {
        var budget = RetryBudget(ratio: 0.2, minimumRetries: 1, now: 0)
        for _ in 0..<10 { budget.recordCall(now: 0) }
        let value16 = budget.spendRetry(now: 0)
        #expect(value16)
        let value17 = budget.spendRetry(now: 0)
        #expect(value17)
        let value18 = budget.spendRetry(now: 0)
        #expect(!value18)
    }

    @Test func windowSlidesAfterAMinute() {
        var budget = RetryBudget(ratio: 0.2, minimumRetries: 1, now: 0)
        let value19 = budget.spendRetry(now: 0)
        #expect(value19)
        let value20 = budget.spendRetry(now: 1)
        #expect(!value20)
        let value21 = budget.spendRetry(now: 61)
        #expect(value21)
    }
}

@Suite struct BackoffTests {
    @Test func ceilingGrowsAndCaps() {
        let backoff = Backoff(initialMilliseconds: 1000, maximumMilliseconds: 10_000, multiplier: 2)
        #expect(backoff.ceiling(afterAttempt: 1) == 1000)
        #expect(backoff.ceiling(afterAttempt: 3) == 4000)
        #expect(backoff.ceiling(afterAttempt: 10) == 10_000)
    }

    @Test func delayStaysWithinBounds() {
        let backoff = Backoff(initialMilliseconds: 1000, maximumMilliseconds: 10_000, multiplier: 2)
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...8 {
            let delay = backoff.delay(afterAttempt: attempt, using: &generator)
            #expect(delay >= 1000)
            #expect(delay <= backoff.ceiling(afterAttempt: attempt))
        }
    }
}

@Suite struct OffsetTrackerTests {
    @Test func commitPointWaitsForLowestHeld() {
        var tracker = OffsetTracker()
        for offset in Int64(4)...6 { tracker.hold(offset) }
        let value22 = tracker.finish(5)
        #expect(value22 == nil)
        let value23 = tracker.finish(6)
        #expect(value23 == nil)
        #expect(tracker.commitPoint == 4)
        let value24 = tracker.finish(4)
        #expect(value24 == 7)
    }

    @Test func gapsDoNotStallTheCommitPoint() {
        var tracker = OffsetTracker()
        tracker.hold(4)
        tracker.hold(6)
        tracker.hold(8)
        let value25 = tracker.finish(4)
        #expect(value25 == 6)
        let value26 = tracker.finish(6)
        #expect(value26 == 8)
        let value27 = tracker.finish(8)
        #expect(value27 == 9)
    }

    @Test func unknownOffsetIsIgnored() {
        var tracker = OffsetTracker()
        tracker.hold(1)
        let value28 = tracker.finish(7)
        #expect(value28 == nil)
        #expect(tracker.heldCount == 1)
    }
}

@Suite struct AppQueueTests {
    @Test func higherPriorityLeavesFirstThenArrivalOrder() {
        var queue = AppQueue<String>()
        queue.push("a", priority: 0)
        queue.push("b", priority: 5)
        queue.push("c", priority: 0)
        queue.push("d", priority: 5)
        let value29 = queue.popFirst()
        #expect(value29 == "b")
        let value30 = queue.popFirst()
        #expect(value30 == "d")
        let value31 = queue.popFirst()
        #expect(value31 == "a")
        let value32 = queue.popFirst()
        #expect(value32 == "c")
        let value33 = queue.popFirst()
        #expect(value33 == nil)
    }

    @Test func removeAllKeepsOrder() {
        var queue = AppQueue<Int>()
        for value in 0..<10 { queue.push(value, priority: value % 2) }
        let removed = queue.removeAll { $0 % 3 == 0 }.sorted()
        #expect(removed == [0, 3, 6, 9])
        let value35 = queue.popFirst()
        #expect(value35 == 1)
        let value36 = queue.popFirst()
        #expect(value36 == 5)
        let value37 = queue.popFirst()
        #expect(value37 == 7)
    }
}
