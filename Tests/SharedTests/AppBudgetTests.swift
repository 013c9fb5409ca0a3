import Foundation
import Testing

@testable import Shared

@Suite struct AppBudgetTests {
    func load(budget: String) throws -> Configuration {
        try ConfigurationLoader(environment: [:]).load(text: """
            apps:
              report-bot:
                base_url: http://dify.internal/v1
                api_key_env: REPORT_BOT_KEY
                budget: \(budget)
            """, file: "apps.yaml")
    }

    func problems(budget: String) -> String {
        do {
            _ = try load(budget: budget)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func loadsEveryKey() throws {
        let configuration = try load(budget: "{daily_tokens: 200000, daily_cost: 5.00, currency: USD, zone: Asia/Shanghai, warn_at: 80%, when_exhausted: wait}")
        let budget = try #require(configuration.apps["report-bot"]?.budget)
        #expect(budget.dailyTokens == 200_000)
        #expect(budget.dailyCost == 5.0)
        #expect(budget.effectiveCurrency == "USD")
        #expect(budget.effectiveZone == "Asia/Shanghai")
        #expect(budget.warnFraction == 0.8)
        #expect(budget.effectiveAction == .wait)
    }

    @Test func defaultsApply() throws {
        let budget = try #require(try load(budget: "{daily_tokens: 1000}").apps["report-bot"]?.budget)
        #expect(budget.effectiveZone == "UTC")
        #expect(budget.warnFraction == 0.8)
        #expect(budget.effectiveAction == .alertOnly)
        #expect(budget.effectiveCurrency == "USD")
    }

    @Test func warnAtTakesFraction() throws {
        let budget = try #require(try load(budget: "{daily_tokens: 1000, warn_at: 0.5}").apps["report-bot"]?.budget)
        #expect(budget.warnFraction == 0.5)
    }

    @Test func invalidValuesNamed() {
        let cases: [(String, String)] = [
            ("{zone: UTC}", "apps.report-bot.budget: set daily_tokens, daily_cost or both"),
            ("{daily_tokens: 0}", "apps.report-bot.budget.daily_tokens: 0 is out of range"),
            ("{daily_cost: -1}", "apps.report-bot.budget.daily_cost: -1.0 is out of range"),
            ("{daily_tokens: 10, currency: dollars}", "apps.report-bot.budget.currency: \"dollars\" is not a currency code"),
            ("{daily_tokens: 10, zone: Mars/Base}", "apps.report-bot.budget.zone:"),
            ("{daily_tokens: 10, warn_at: 120%}", "apps.report-bot.budget.warn_at: \"120%\" is not a share"),
            ("{daily_tokens: 10, when_exhausted: block}", "apps.report-bot.budget.when_exhausted: unknown action \"block\""),
            ("{daily_tokens: 10, daily_token: 5}", "daily_token"),
        ]
        for (budget, expected) in cases {
            let message = problems(budget: budget)
            #expect(message.contains(expected), "\(budget) gave: \(message)")
        }
    }
}
