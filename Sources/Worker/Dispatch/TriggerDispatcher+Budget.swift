import Foundation
import Shared

/// Daily budgets: counting each app's usage, raising `budget_near` and `budget_exhausted`,
/// and holding an app's new runs back until the next day when its budget is set to `wait`.
///
/// Usage is counted from results as runs end, and rebuilt on a partition assignment from the
/// final run states of that partition of `runs`, which carry each run's tokens and price. One
/// worker owns an app's trigger partition at a time, so its count is the app's count.
extension TriggerDispatcher {
    static func makeLedger(for app: WorkerApp, now: Date, logger: Logger) -> BudgetLedger? {
        guard let budget = app.budget else { return nil }
        do {
            return try BudgetLedger(budget: budget, now: now)
        } catch {
            // Configuration validation checks the zone first, so this means the zone files changed.
            logger.error("budget not applied: its zone cannot be read", [LogKey.app: app.name, LogKey.error: "\(error)"])
            return nil
        }
    }

    // MARK: - Counting

    /// Counts the final run states rebuilt for a newly assigned partition.
    func countBudgetUsage(of states: [RunState]) {
        let now = Date()
        var raised: [String: BudgetLedger.Crossing] = [:]
        for state in states.sorted(by: { $0.updatedAt < $1.updatedAt }) where budgets[state.app] != nil {
            for crossing in budgets[state.app]!.record(state, now: now) where raised[state.app] != .exhausted {
                raised[state.app] = crossing
            }
        }
        for name in Set(states.map(\.app)) where budgets[name] != nil {
            logger.info("budget usage rebuilt", [LogKey.app: name, "usage": BudgetAlerts.usageText(ledger: budgets[name]!)])
            refreshBudgetMetrics(app: name)
        }
        // Only the highest threshold passed is raised. It has the id of the alert the previous
        // owner sent, so the notifier drops it, and one the previous owner never sent goes out now.
        for (name, crossing) in raised.sorted(by: { $0.key < $1.key }) {
            raiseBudgetAlert(app: name, crossing: crossing)
        }
    }

    /// Counts a finished run's tokens and price.
    func countBudgetUsage(of result: RunResult) {
        guard budgets[result.app] != nil else { return }
        let crossings = budgets[result.app]!.record(
            triggerID: result.triggerID, tokens: result.totalTokens, price: result.totalPrice, currency: result.currency,
            finishedAt: result.finishedAt ?? Date(), now: Date())
        refreshBudgetMetrics(app: result.app)
        for crossing in crossings {
            raiseBudgetAlert(app: result.app, crossing: crossing)
        }
    }

    func raiseBudgetAlert(app name: String, crossing: BudgetLedger.Crossing) {
        guard let ledger = budgets[name] else { return }
        let alert = BudgetAlerts.alert(app: name, ledger: ledger, crossing: crossing)
        let metadata = [LogKey.app: name, "alert_id": alert.id, "usage": BudgetAlerts.usageText(ledger: ledger)]
        if crossing == .exhausted {
            logger.warning("daily budget reached", metadata.merging(["when_exhausted": ledger.budget.effectiveAction.rawValue]) { first, _ in first })
        } else {
            logger.notice("daily budget nearly used", metadata)
        }
        let executor = self.executor
        Task {
            await executor.publishReliably("budget alert") { try await executor.publisher.publish(alert: alert) }
        }
    }

    // MARK: - Holding runs back

    /// Returns true while the app's budget is reached for today and set to `wait`.
    func holdsForBudget(app name: String) -> Bool {
        guard budgets[name] != nil else { return false }
        let wasHolding = budgets[name]!.holdsRuns
        budgets[name]!.roll(to: Date())
        let holding = budgets[name]!.holdsRuns
        if wasHolding && !holding {
            logger.notice("daily budget renewed, runs start again", [LogKey.app: name])
            refreshBudgetMetrics(app: name)
        }
        return holding
    }

    /// Starts only what the held app may still start (adoptions, expired triggers), publishes
    /// an event with the reason for each newly held trigger, and wakes the lane at the next
    /// day or at the first queued trigger's expiry, whichever comes first.
    func pumpHeld(app name: String) {
        guard var lane = lanes[name], let ledger = budgets[name] else { return }
        // Taken out while it changes, as in `pump(app:)`: a copy left in the dictionary makes
        // every start copy the whole queue.
        lanes[name] = nil
        let current = Date()
        let isExpired = { (trigger: Trigger) in trigger.expiresAt.map { $0 < current } ?? false }
        while true {
            let origin = lane.app.origin
            let originFree = originInFlight[origin, default: 0] < settings.maxConcurrencyPerOrigin
            guard case .start(let queued, let charged) = lane.nextWhileHeld(originFree: originFree, isExpired: isExpired) else { break }
            start(queued, app: lane.app, chargedTokens: charged)
        }
        lanes[name] = lane
        updateQueueMetrics()

        let held = lane.queuedTriggers
        for queued in held where !budgetNoticed.contains(queued.trigger.id) {
            budgetNoticed.insert(queued.trigger.id)
            logger.info("run waits for the next budget day", [
                LogKey.app: name, LogKey.triggerID: queued.trigger.id, LogKey.jobID: queued.trigger.jobID ?? "",
                "resume_at": Timestamp.rfc3339(ledger.nextDayStart),
            ])
            metrics.throttled.increment(by: 1, [LogKey.app: name, "reason": "daily_budget"])
            var detail = BudgetAlerts.detail(ledger: ledger)
            detail["reason"] = .string("daily_budget")
            detail["message"] = .string("the app's daily budget is used up (\(BudgetAlerts.usageText(ledger: ledger))), so the run waits until \(Timestamp.rfc3339(ledger.nextDayStart))")
            detail["wait_ms"] = .int(Int64(max(0, ledger.nextDayStart.timeIntervalSince(current)) * 1000))
            let trigger = queued.trigger
            let executor = self.executor
            Task { await executor.publishEvent(.throttled, trigger: trigger, detail: detail) }
        }

        var wake = ledger.nextDayStart
        if let firstExpiry = held.compactMap(\.trigger.expiresAt).filter({ $0 >= current }).min(), firstExpiry < wake {
            wake = firstExpiry
        }
        // A few milliseconds past the instant, so the day has turned or the trigger has expired.
        scheduleWakeup(app: name, after: max(0.01, wake.timeIntervalSince(current) + 0.01))
    }

    // MARK: - Metrics

    func refreshBudgetMetrics(app name: String) {
        guard let ledger = budgets[name] else { return }
        for (limit, fraction) in ledger.usedFractions {
            metrics.budgetUsed.set(fraction, [LogKey.app: name, "limit": limit])
        }
        metrics.budgetTokens.set(Double(ledger.tokens), [LogKey.app: name])
        if ledger.budget.dailyCost != nil {
            metrics.budgetCost.set(ledger.cost, [LogKey.app: name, "currency": ledger.budget.effectiveCurrency])
        }
        metrics.budgetHolding.set(ledger.holdsRuns ? 1 : 0, [LogKey.app: name])
    }

    /// Starts a new budget day where one has begun, and refreshes every budget's metrics.
    func refreshBudgets() {
        for name in budgets.keys {
            let wasHolding = budgets[name]!.holdsRuns
            if wasHolding && !holdsForBudget(app: name) {
                pump(app: name)
            }
            refreshBudgetMetrics(app: name)
        }
        if budgets.values.allSatisfy({ !$0.holdsRuns }) {
            budgetNoticed.removeAll()
        }
    }
}
