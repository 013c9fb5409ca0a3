import Foundation
import Shared

/// One app's usage of its daily budget on the current day in the budget's zone, and which
/// of the day's budget alerts were raised.
///
/// A pure value: the dispatcher passes times in, records each finished run once by trigger
/// id, and publishes the crossings it returns. A run counts on the day it finished; usage
/// starts again from zero at midnight in the zone.
struct BudgetLedger: Sendable {
    /// A threshold the day's usage passed.
    enum Crossing: String, Sendable, Equatable {
        case near
        case exhausted
    }

    private(set) var budget: AppBudget
    private(set) var zone: ZoneRules
    /// Days since 1970-01-01 in `zone`.
    private(set) var day: Int
    private(set) var tokens: Int64 = 0
    private(set) var cost: Double = 0
    /// Currencies of prices that did not count because they differ from the budget's.
    private(set) var ignoredCurrencies: Set<String> = []
    private(set) var nearRaised = false
    private(set) var exhaustedRaised = false
    private var counted: Set<String> = []

    /// - Throws: ``ScheduleError`` when the budget's zone is unknown (validation rejects that earlier).
    init(budget: AppBudget, now: Date) throws {
        self.budget = budget
        self.zone = try ZoneRules.named(budget.effectiveZone)
        self.day = Self.day(of: now, in: zone)
    }

    // MARK: - Days

    /// Returns the day (days since 1970-01-01) that `instant` falls on in `zone`.
    static func day(of instant: Date, in zone: ZoneRules) -> Int {
        let seconds = Int64(instant.timeIntervalSince1970.rounded(.down))
        let local = seconds + zone.offset(at: seconds)
        return Int((Double(local) / 86_400).rounded(.down))
    }

    /// Returns the first instant of `day` in `zone`. When midnight falls into a DST gap the
    /// day starts when the gap ends.
    static func start(of day: Int, in zone: ZoneRules) -> Date {
        let local = Int64(day) * 86_400
        let instant: Int64
        switch zone.resolve(local: local) {
        case .unique(let value): instant = value
        case .gap(let endsAt): instant = endsAt
        case .overlap(let first, _): instant = first
        }
        return Date(timeIntervalSince1970: TimeInterval(instant))
    }

    var civilDay: CivilDate { CivilDate(daysSinceEpoch: day) }

    /// The instant the next budget day starts, when runs held back by `wait` may start again.
    var nextDayStart: Date { Self.start(of: day + 1, in: zone) }

    /// Starts a new day when `now` is past the current one: usage and raised alerts reset.
    mutating func roll(to now: Date) {
        let today = Self.day(of: now, in: zone)
        guard today > day else { return }
        day = today
        tokens = 0
        cost = 0
        ignoredCurrencies = []
        nearRaised = false
        exhaustedRaised = false
        counted = []
    }

    // MARK: - Usage

    /// Adds one finished run's usage, once per trigger id and only when it finished today.
    ///
    /// - Parameters:
    ///   - finishedAt: when the run ended; a run of an earlier day does not count.
    ///   - now: the current time, which decides the current day.
    /// - Returns: the thresholds this run made the day's usage pass, at most one.
    mutating func record(triggerID: String, tokens runTokens: Int64?, price: Double?, currency: String?, finishedAt: Date, now: Date) -> [Crossing] {
        roll(to: now)
        guard Self.day(of: finishedAt, in: zone) == day, !counted.contains(triggerID) else { return [] }
        counted.insert(triggerID)
        if let runTokens, runTokens > 0 {
            tokens += runTokens
        }
        if let price, price > 0, price.isFinite {
            let runCurrency = currency?.uppercased() ?? budget.effectiveCurrency
            if runCurrency == budget.effectiveCurrency {
                cost += price
            } else {
                ignoredCurrencies.insert(runCurrency)
            }
        }
        return crossings()
    }

    /// Adds the usage a final run state carries; other phases carry none and are skipped.
    /// The state's `updated_at`, written when the run's result was published, is its end.
    mutating func record(_ state: RunState, now: Date) -> [Crossing] {
        guard state.phase == .final else { return [] }
        return record(
            triggerID: state.triggerID, tokens: state.totalTokens, price: state.totalPrice, currency: state.currency,
            finishedAt: state.updatedAt, now: now)
    }

    /// Replaces the budget after a configuration reload, keeping the day's usage. Alerts raised
    /// for the old limits are raised again when the new limits are passed.
    mutating func update(budget newBudget: AppBudget, now: Date) throws -> [Crossing] {
        let newZone = try ZoneRules.named(newBudget.effectiveZone)
        let limitsChanged = newBudget.dailyTokens != budget.dailyTokens || newBudget.dailyCost != budget.dailyCost
            || newBudget.warnFraction != budget.warnFraction || newBudget.effectiveCurrency != budget.effectiveCurrency
        if newZone.identifier != zone.identifier {
            // A new zone means a new day boundary; the usage counted so far stays, as that of today.
            zone = newZone
            day = Self.day(of: now, in: zone)
        }
        budget = newBudget
        if limitsChanged {
            nearRaised = false
            exhaustedRaised = false
        }
        roll(to: now)
        return crossings()
    }

    /// The share of each limit used today, by limit name (`tokens`, `cost`).
    var usedFractions: [String: Double] {
        var fractions: [String: Double] = [:]
        if let limit = budget.dailyTokens { fractions["tokens"] = Double(tokens) / Double(limit) }
        if let limit = budget.dailyCost { fractions["cost"] = cost / limit }
        return fractions
    }

    /// True when a limit is reached for today.
    var isExhausted: Bool {
        usedFractions.values.contains { $0 >= 1 }
    }

    /// True when the budget holds the app's new runs back until the next day.
    var holdsRuns: Bool {
        isExhausted && budget.effectiveAction == .wait
    }

    private var isNear: Bool {
        let warn = budget.warnFraction ?? AppBudget.defaultWarnFraction
        return usedFractions.values.contains { $0 >= warn }
    }

    /// Marks and returns the thresholds passed and not yet raised today. Exhaustion raises
    /// only `exhausted`, because a near alert at the same moment would add nothing.
    private mutating func crossings() -> [Crossing] {
        if isExhausted {
            guard !exhaustedRaised else { return [] }
            exhaustedRaised = true
            nearRaised = true
            return [.exhausted]
        }
        if isNear, !nearRaised {
            nearRaised = true
            return [.near]
        }
        return []
    }
}
