import Foundation
import Shared
import Testing

@testable import Worker

@Suite struct BudgetLedgerTests {
    func instant(_ text: String) -> Date {
        Timestamp.parse(text)!
    }

    func ledger(tokens: Int64? = 1000, cost: Double? = nil, zone: String = "Asia/Shanghai", warnAt: String? = nil, at now: String) throws -> BudgetLedger {
        try BudgetLedger(budget: AppBudget(dailyTokens: tokens, dailyCost: cost, zone: zone, warnAt: warnAt, whenExhausted: .wait), now: instant(now))
    }

    @Test func dayTurnsAtMidnightInZone() throws {
        var ledger = try ledger(at: "2026-12-04T15:00:00Z")
        #expect(ledger.civilDay.description == "2026-12-04")
        #expect(ledger.nextDayStart == instant("2026-12-04T16:00:00Z"))

        let late = instant("2026-12-04T15:59:59Z")
        _ = ledger.record(triggerID: "t1", tokens: 600, price: nil, currency: nil, finishedAt: late, now: late)
        #expect(ledger.tokens == 600)

        let early = instant("2026-12-04T16:00:01Z")
        let crossings = ledger.record(triggerID: "t2", tokens: 600, price: nil, currency: nil, finishedAt: early, now: early)
        #expect(crossings.isEmpty)
        #expect(ledger.civilDay.description == "2026-12-05")
        #expect(ledger.tokens == 600)
    }

    @Test func runOfPreviousDayNotCounted() throws {
        var ledger = try ledger(at: "2026-12-04T16:30:00Z")
        let crossings = ledger.record(
            triggerID: "t1", tokens: 900, price: nil, currency: nil,
            finishedAt: instant("2026-12-04T15:59:00Z"), now: instant("2026-12-04T16:30:00Z"))
        #expect(crossings.isEmpty)
        #expect(ledger.tokens == 0)
    }

    @Test func dayStartAcrossDaylightSaving() throws {
        let newYork = try ZoneRules.named("America/New_York")
        // Clocks move forward at 02:00 on 2026-03-08, so that day is 23 hours long.
        let march8 = CivilDate(year: 2026, month: 3, day: 8).daysSinceEpoch
        #expect(BudgetLedger.start(of: march8, in: newYork) == instant("2026-03-08T05:00:00Z"))
        #expect(BudgetLedger.start(of: march8 + 1, in: newYork) == instant("2026-03-09T04:00:00Z"))
        #expect(BudgetLedger.day(of: instant("2026-03-09T03:59:59Z"), in: newYork) == march8)

        // Chile moves its clocks forward at midnight, so 2026-09-06 starts at 01:00 local.
        let santiago = try ZoneRules.named("America/Santiago")
        let september6 = CivilDate(year: 2026, month: 9, day: 6).daysSinceEpoch
        #expect(BudgetLedger.start(of: september6, in: santiago) == instant("2026-09-06T04:00:00Z"))
    }

    @Test func warnsAndExhaustsOncePerDay() throws {
        var ledger = try ledger(at: "2026-12-04T02:00:00Z")
        let now = instant("2026-12-04T02:00:00Z")
        func add(_ id: String, _ tokens: Int64) -> [BudgetLedger.Crossing] {
            ledger.record(triggerID: id, tokens: tokens, price: nil, currency: nil, finishedAt: now, now: now)
        }
        #expect(add("t1", 500) == [])
        #expect(add("t2", 300) == [.near])
        #expect(add("t3", 100) == [])
        #expect(!ledger.holdsRuns)
        #expect(add("t4", 200) == [.exhausted])
        #expect(ledger.holdsRuns)
        #expect(add("t5", 50) == [])
        #expect(add("t4", 200) == [])
        #expect(ledger.tokens == 1150)

        let tomorrow = instant("2026-12-05T02:00:00Z")
        #expect(ledger.record(triggerID: "t6", tokens: 850, price: nil, currency: nil, finishedAt: tomorrow, now: tomorrow) == [.near])
        #expect(!ledger.holdsRuns)
    }

    @Test func jumpPastBothRaisesExhaustedOnly() throws {
        var ledger = try ledger(at: "2026-12-04T02:00:00Z")
        let now = instant("2026-12-04T02:00:00Z")
        #expect(ledger.record(triggerID: "t1", tokens: 5000, price: nil, currency: nil, finishedAt: now, now: now) == [.exhausted])
        #expect(ledger.record(triggerID: "t2", tokens: 1, price: nil, currency: nil, finishedAt: now, now: now) == [])
    }

    @Test func costCountsOnlyBudgetCurrency() throws {
        var ledger = try ledger(tokens: nil, cost: 1.0, warnAt: "50%", at: "2026-12-04T02:00:00Z")
        let now = instant("2026-12-04T02:00:00Z")
        #expect(ledger.record(triggerID: "t1", tokens: 10, price: 0.6, currency: "USD", finishedAt: now, now: now) == [.near])
        #expect(ledger.record(triggerID: "t2", tokens: 10, price: 0.5, currency: "RMB", finishedAt: now, now: now) == [])
        #expect(ledger.ignoredCurrencies == ["RMB"])
        #expect(ledger.record(triggerID: "t3", tokens: 10, price: 0.5, currency: "usd", finishedAt: now, now: now) == [.exhausted])
        #expect(abs(ledger.cost - 1.1) < 1e-9)
    }

    @Test func rebuildsFromFinalRunStates() throws {
        let now = instant("2026-12-04T09:00:00Z")
        var ledger = try ledger(at: "2026-12-04T09:00:00Z")

        var finished = RunState(triggerID: "t1", jobID: "j", app: "bot", phase: .final, attempt: 1, workerID: "w0", updatedAt: instant("2026-12-04T08:00:00Z"))
        finished.status = .succeeded
        finished.totalTokens = 700
        finished.totalPrice = 0.01
        finished.currency = "USD"
        // The state goes through the runs topic as JSON, so the usage must survive encoding.
        let decoded = try MessageCodec.decode(RunState.self, from: MessageCodec.encode(finished))
        #expect(decoded.totalTokens == 700)
        #expect(decoded.currency == "USD")

        var yesterday = finished
        yesterday.triggerID = "t0"
        yesterday.updatedAt = instant("2026-12-03T08:00:00Z")
        var started = RunState(triggerID: "t2", jobID: "j", app: "bot", phase: .started, attempt: 1, workerID: "w0")
        started.totalTokens = 999

        #expect(ledger.record(yesterday, now: now) == [])
        #expect(ledger.record(started, now: now) == [])
        #expect(ledger.record(decoded, now: now) == [])
        #expect(ledger.tokens == 700)

        var second = decoded
        second.triggerID = "t3"
        second.totalTokens = 150
        #expect(ledger.record(second, now: now) == [.near])
        #expect(ledger.record(second, now: now) == [])
        #expect(ledger.tokens == 850)
    }

    @Test func reloadedLimitsKeepUsage() throws {
        let now = instant("2026-12-04T02:00:00Z")
        var ledger = try ledger(at: "2026-12-04T02:00:00Z")
        #expect(ledger.record(triggerID: "t1", tokens: 1000, price: nil, currency: nil, finishedAt: now, now: now) == [.exhausted])

        let raised = try ledger.update(budget: AppBudget(dailyTokens: 2000, zone: "Asia/Shanghai", whenExhausted: .wait), now: now)
        #expect(raised == [])
        #expect(!ledger.holdsRuns)
        #expect(ledger.tokens == 1000)

        let lowered = try ledger.update(budget: AppBudget(dailyTokens: 500, zone: "Asia/Shanghai", whenExhausted: .wait), now: now)
        #expect(lowered == [.exhausted])
        #expect(ledger.holdsRuns)

        _ = try ledger.update(budget: AppBudget(dailyTokens: 500, zone: "Asia/Shanghai", whenExhausted: .alertOnly), now: now)
        #expect(!ledger.holdsRuns)
        #expect(ledger.isExhausted)
    }

    @Test func alertIdStableForAppAndDay() throws {
        let now = instant("2026-12-04T02:00:00Z")
        var first = try ledger(at: "2026-12-04T02:00:00Z")
        _ = first.record(triggerID: "t1", tokens: 1000, price: nil, currency: nil, finishedAt: now, now: now)
        var second = try ledger(at: "2026-12-04T03:00:00Z")
        _ = second.record(triggerID: "t9", tokens: 1200, price: nil, currency: nil, finishedAt: now, now: now)

        let alert = BudgetAlerts.alert(app: "bot", ledger: first, crossing: .exhausted)
        #expect(alert.id == BudgetAlerts.alert(app: "bot", ledger: second, crossing: .exhausted).id)
        #expect(alert.id != BudgetAlerts.alert(app: "bot", ledger: first, crossing: .near).id)
        #expect(alert.id != BudgetAlerts.alert(app: "other", ledger: first, crossing: .exhausted).id)
        #expect(alert.kind == .budgetExhausted)
        #expect(alert.jobID == nil)
        #expect(alert.app == "bot")
        #expect(alert.message.contains("1000 of 1000 tokens"))
        #expect(alert.detail?["resume_at"] == .string("2026-12-04T16:00:00Z"))
    }
}

@Suite struct BudgetHoldTests {
    func app() throws -> WorkerApp {
        WorkerApp(
            name: "bot", endpoint: try DifyAppEndpoint(name: "bot", baseURL: "http://127.0.0.1:1/v1", apiKey: "app-key-123"),
            limits: AppLimits(maxConcurrency: 1), mode: .workflow, origin: "http://127.0.0.1:1", acceptsExternal: false)
    }

    func queued(_ id: String, maxDelay: String? = nil, adopt: Bool = false) -> QueuedTrigger {
        var trigger = Trigger(id: id, app: "bot")
        trigger.jobID = "job"
        trigger.scheduledAt = Date(timeIntervalSince1970: 1_000)
        var policy = TriggerPolicy()
        policy.maxDelay = maxDelay
        trigger.policy = policy
        var queued = QueuedTrigger(trigger: trigger, partition: 0, offset: 0, receivedAt: Date())
        if adopt {
            queued.adopt = RunState(triggerID: id, jobID: "job", app: "bot", phase: .started, attempt: 1, workerID: "w0")
        }
        return queued
    }

    @Test func heldLaneStartsOnlyExempt() throws {
        var lane = AppLane(app: try app(), now: 0)
        lane.enqueue(queued("plain"))
        lane.enqueue(queued("late", maxDelay: "10s"))
        lane.enqueue(queued("adopted", adopt: true))
        let isExpired = { (trigger: Trigger) in trigger.expiresAt.map { $0 < Date() } ?? false }

        guard case .start(let first, _) = lane.nextWhileHeld(originFree: true, isExpired: isExpired) else {
            Issue.record("expected a start")
            return
        }
        #expect(first.trigger.id == "late" || first.trigger.id == "adopted")
        // The concurrency cap of 1 still applies while held.
        guard case .full = lane.nextWhileHeld(originFree: true, isExpired: isExpired) else {
            Issue.record("expected full")
            return
        }
        lane.finished(jobID: "job", chargedTokens: 0, actualTokens: nil, now: 1)
        guard case .start(let second, _) = lane.nextWhileHeld(originFree: true, isExpired: isExpired) else {
            Issue.record("expected a second start")
            return
        }
        #expect(Set([first.trigger.id, second.trigger.id]) == ["late", "adopted"])
        lane.finished(jobID: "job", chargedTokens: 0, actualTokens: nil, now: 2)
        guard case .idle = lane.nextWhileHeld(originFree: true, isExpired: isExpired) else {
            Issue.record("expected the plain trigger to stay queued")
            return
        }
        #expect(lane.queuedCount == 1)
        #expect(lane.firstTrigger?.trigger.id == "plain")
    }

    @Test func expiryTakesEarlierLimit() {
        var trigger = Trigger(id: "t", app: "bot")
        trigger.scheduledAt = Date(timeIntervalSince1970: 1_000)
        var policy = TriggerPolicy()
        policy.maxDelay = "1m"
        trigger.policy = policy
        #expect(trigger.expiresAt == Date(timeIntervalSince1970: 1_060))
        trigger.deadline = Date(timeIntervalSince1970: 1_030)
        #expect(trigger.expiresAt == Date(timeIntervalSince1970: 1_030))
    }
}
