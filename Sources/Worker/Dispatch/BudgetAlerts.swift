import Foundation
import Shared

/// Builds the `budget_near` and `budget_exhausted` alerts and the detail of budget waits.
///
/// Budget alerts are app-level, like `app_threshold`: no job id, so the alerts topic keys them
/// by app name and the producer's notifier sends them to the app's alert channels. Each alert's
/// id is derived from the app, the day and the limits, so an alert raised again after a worker
/// restart or a partition move has the same id and the notifier drops it as already handled.
enum BudgetAlerts {
    static func alert(app: String, ledger: BudgetLedger, crossing: BudgetLedger.Crossing, now: Date = Date()) -> Alert {
        let budget = ledger.budget
        let kind: AlertKind = crossing == .exhausted ? .budgetExhausted : .budgetNear
        let identity = [
            kind.rawValue, app, ledger.civilDay.description, budget.effectiveZone,
            budget.dailyTokens.map(String.init) ?? "-", budget.dailyCost.map { "\($0)" } ?? "-", budget.effectiveCurrency,
            budget.warnFraction.map { "\($0)" } ?? "-",
        ].joined(separator: "\u{0}")
        let id = "a-" + StableHash.hex(Array(StableHash.sha256(identity).prefix(12)))

        var alert = Alert(
            kind: kind, severity: crossing == .exhausted ? .critical : .warning, jobID: nil, app: app, triggerID: nil,
            status: nil, message: message(app: app, ledger: ledger, crossing: crossing), time: now, id: id)
        alert.detail = detail(ledger: ledger)
        return alert
    }

    /// Returns the day's usage and limits, for alerts, events and logs.
    static func detail(ledger: BudgetLedger) -> [String: JSONValue] {
        let budget = ledger.budget
        var detail: [String: JSONValue] = [
            "day": .string(ledger.civilDay.description),
            "zone": .string(budget.effectiveZone),
            "when_exhausted": .string(budget.effectiveAction.rawValue),
            "tokens_used": .int(ledger.tokens),
            "resume_at": .string(Timestamp.rfc3339(ledger.nextDayStart)),
        ]
        if let limit = budget.dailyTokens { detail["daily_tokens"] = .int(limit) }
        if let limit = budget.dailyCost {
            detail["daily_cost"] = .double(limit)
            detail["cost_used"] = .double(ledger.cost)
            detail["currency"] = .string(budget.effectiveCurrency)
        }
        if !ledger.ignoredCurrencies.isEmpty {
            detail["ignored_currencies"] = .array(ledger.ignoredCurrencies.sorted().map(JSONValue.string))
        }
        return detail
    }

    static func message(app: String, ledger: BudgetLedger, crossing: BudgetLedger.Crossing) -> String {
        let usage = usageText(ledger: ledger)
        let day = "\(ledger.civilDay) (\(ledger.budget.effectiveZone))"
        switch crossing {
        case .near:
            let warn = Int(((ledger.budget.warnFraction ?? AppBudget.defaultWarnFraction) * 100).rounded())
            return "app \(app) has used \(usage) of its daily budget on \(day), past the \(warn)% warning level"
        case .exhausted:
            let resume = Timestamp.rfc3339(ledger.nextDayStart)
            if ledger.budget.effectiveAction == .wait {
                return "app \(app) has used \(usage) of its daily budget on \(day): its next runs wait until the next day starts at \(resume)"
            }
            return "app \(app) has used \(usage) of its daily budget on \(day); runs go on because when_exhausted is alert_only"
        }
    }

    /// Describes the usage of each limit, such as `160512 of 200000 tokens (80%)`.
    static func usageText(ledger: BudgetLedger) -> String {
        var parts: [String] = []
        let fractions = ledger.usedFractions
        if let limit = ledger.budget.dailyTokens {
            parts.append("\(ledger.tokens) of \(limit) tokens (\(percent(fractions["tokens"] ?? 0)))")
        }
        if let limit = ledger.budget.dailyCost {
            let currency = ledger.budget.effectiveCurrency
            let used = String(format: "%.4f", ledger.cost)
            let total = String(format: "%.2f", limit)
            parts.append("\(used) of \(total) \(currency) (\(percent(fractions["cost"] ?? 0)))")
        }
        return parts.joined(separator: " and ")
    }

    private static func percent(_ fraction: Double) -> String {
        "\(Int((fraction * 100).rounded(.down)))%"
    }
}
