import Foundation
import Shared

extension TriggerDispatcher {
    /// Switches to reloaded apps: new keys, URLs, limits and budgets apply to runs that start
    /// from now on, while runs in flight finish with the app they started with.
    ///
    /// An app that is no longer configured keeps its lane until the triggers already queued
    /// for it have run. New triggers for it are rejected as for any unknown app. Each budget
    /// keeps the day's usage.
    func replaceApps(_ newApps: [String: WorkerApp]) async {
        let current = Date()
        let moved = newApps.values.filter { app in
            guard let old = apps[app.name] else { return false }
            return old.endpoint.baseURL != app.endpoint.baseURL
        }
        await executor.modes.forget(moved.map(\.name))
        apps = newApps
        for (name, app) in newApps {
            lanes[name]?.replace(app: app, now: now)
            guard let budget = app.budget else {
                if budgets.removeValue(forKey: name) != nil {
                    metrics.budgetHolding.set(0, [LogKey.app: name])
                }
                continue
            }
            guard budgets[name] != nil else {
                budgets[name] = Self.makeLedger(for: app, now: current, logger: logger)
                continue
            }
            do {
                let crossings = try budgets[name]!.update(budget: budget, now: current)
                for crossing in crossings {
                    raiseBudgetAlert(app: name, crossing: crossing)
                }
            } catch {
                logger.error("budget not updated: its zone cannot be read", [LogKey.app: name, LogKey.error: "\(error)"])
            }
        }
        for name in budgets.keys where newApps[name] == nil {
            budgets[name] = nil
            metrics.budgetHolding.set(0, [LogKey.app: name])
        }
        for name in lanes.keys {
            refreshBudgetMetrics(app: name)
            pump(app: name)
        }
        logger.notice("apps reloaded", ["apps": newApps.keys.sorted().joined(separator: ",")])
    }
}
