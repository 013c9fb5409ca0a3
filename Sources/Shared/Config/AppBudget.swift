import Foundation

/// An app's daily budget of LLM tokens and cost, counted by the worker that owns the app.
///
/// A day runs from midnight to midnight in `zone`. Tokens are the results' `total_tokens`;
/// cost is the results' `total_price` in `currency`, counted only for runs where Dify reports
/// a price in that currency.
///
/// ```yaml
/// budget: {daily_tokens: 200000, daily_cost: 5.00, currency: USD, zone: Asia/Shanghai,
///          warn_at: 80%, when_exhausted: wait}
/// ```
public struct AppBudget: Codable, Sendable, Hashable {
    /// Action on the app's next runs once a limit is reached.
    public enum ExhaustedAction: String, Codable, Sendable, Hashable, CaseIterable {
        /// Runs stay queued, with their offsets uncommitted, until the next day in `zone`.
        case wait
        /// Runs go on; only the `budget_exhausted` alert is sent.
        case alertOnly = "alert_only"
    }

    public var dailyTokens: Int64?
    public var dailyCost: Double?
    /// ISO 4217 code the cost limit is in; results priced in another currency do not count.
    public var currency: String?
    /// IANA zone whose midnight starts a new budget day; UTC when absent.
    public var zone: String?
    /// Share of a limit at which `budget_near` is sent: `80%` or `0.8`; 80% when absent.
    public var warnAt: String?
    /// `wait` or `alert_only` (the default); kept as text so a typo gets a clear message.
    public var whenExhausted: String?

    public init(
        dailyTokens: Int64? = nil, dailyCost: Double? = nil, currency: String? = nil, zone: String? = nil,
        warnAt: String? = nil, whenExhausted: ExhaustedAction? = nil
    ) {
        self.dailyTokens = dailyTokens
        self.dailyCost = dailyCost
        self.currency = currency
        self.zone = zone
        self.warnAt = warnAt
        self.whenExhausted = whenExhausted?.rawValue
    }

    enum CodingKeys: String, CodingKey {
        case currency, zone
        case dailyTokens = "daily_tokens"
        case dailyCost = "daily_cost"
        case warnAt = "warn_at"
        case whenExhausted = "when_exhausted"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Each key decodes on its own, so a wrong type hides none of the other problems.
        dailyTokens = try decoder.collecting(nil) { try container.decodeIfPresent(Int64.self, forKey: .dailyTokens) }
        dailyCost = try decoder.collecting(nil) { try container.decodeIfPresent(Double.self, forKey: .dailyCost) }
        currency = try decoder.collecting(nil) { try container.decodeIfPresent(String.self, forKey: .currency) }
        zone = try decoder.collecting(nil) { try container.decodeIfPresent(String.self, forKey: .zone) }
        warnAt = try decoder.collecting(nil) { try container.decodeIfPresent(String.self, forKey: .warnAt) }
        whenExhausted = try decoder.collecting(nil) { try container.decodeIfPresent(String.self, forKey: .whenExhausted) }
    }

    public static let defaultCurrency = "USD"
    public static let defaultWarnFraction = 0.8

    public var effectiveCurrency: String { (currency ?? Self.defaultCurrency).uppercased() }
    public var effectiveZone: String { zone ?? "UTC" }
    public var effectiveAction: ExhaustedAction { whenExhausted.flatMap(ExhaustedAction.init(rawValue:)) ?? .alertOnly }

    /// The warning share as a fraction in (0, 1], or nil when `warn_at` cannot be read.
    public var warnFraction: Double? {
        guard let text = warnAt?.trimmingCharacters(in: .whitespaces) else { return Self.defaultWarnFraction }
        let value: Double?
        if text.hasSuffix("%") {
            value = Double(text.dropLast().trimmingCharacters(in: .whitespaces)).map { $0 / 100 }
        } else {
            value = Double(text)
        }
        guard let value, value > 0, value <= 1 else { return nil }
        return value
    }

    /// Lists every invalid value, with the key under `budget` it belongs to.
    public func problems() -> [JobProblem] {
        var problems: [JobProblem] = []
        if dailyTokens == nil && dailyCost == nil {
            problems.append(JobProblem(field: "budget", message: "set daily_tokens, daily_cost or both; a budget without a limit does nothing"))
        }
        if let tokens = dailyTokens, tokens < 1 {
            problems.append(JobProblem(field: "budget.daily_tokens", message: "\(tokens) is out of range: use a whole number of tokens of at least 1, such as 200000"))
        }
        if let cost = dailyCost, !(cost > 0 && cost.isFinite) {
            problems.append(JobProblem(field: "budget.daily_cost", message: "\(cost) is out of range: use an amount above 0, such as 5.00"))
        }
        if let currency, currency.count != 3 || !currency.allSatisfy({ $0.isASCII && $0.isLetter }) {
            problems.append(JobProblem(field: "budget.currency", message: "\"\(currency)\" is not a currency code: use the three letters Dify reports, such as USD or RMB"))
        }
        if let zone {
            do {
                _ = try ZoneRules.named(zone)
            } catch {
                problems.append(JobProblem(field: "budget.zone", message: error.description))
            }
        }
        if let action = whenExhausted, ExhaustedAction(rawValue: action) == nil {
            problems.append(JobProblem(field: "budget.when_exhausted", message: "unknown action \"\(action)\": use wait (runs wait for the next day) or alert_only"))
        }
        if warnFraction == nil {
            problems.append(JobProblem(field: "budget.warn_at", message: "\"\(warnAt ?? "")\" is not a share of the limit: use a percentage such as 80% or a fraction such as 0.8, above 0 and at most 100%"))
        }
        return problems
    }
}
