import Foundation
import Testing

@testable import Shared

/// A seeded slice of `make fuzz`: random strings through the cron parser and, when they compile,
/// through fire computation and description. `SCHEDULE_FUZZ_RUNS` sets the count (default 20,000).
@Suite struct ScheduleFuzzTests {
    static let alphabet = Array("0123456789 */-,?LW#@JANFEBMONSUNTHUFRIDECLWxyz\t\u{00e9}\u{65e5}")

    @Test func parserSurvivesRandomInput() {
        let runs = ProcessInfo.processInfo.environment["SCHEDULE_FUZZ_RUNS"].flatMap(Int.init) ?? 20_000
        var random = SplitMix64(seed: 1_000_003)
        var accepted = 0
        let from = Date(timeIntervalSince1970: 1_774_700_000)

        for _ in 0..<runs {
            let length = Int.random(in: 0...40, using: &random)
            var text = String((0..<length).map { _ in Self.alphabet[Int.random(in: 0..<Self.alphabet.count, using: &random)] })
            if Bool.random(using: &random) {
                // Mutate a valid expression so that many inputs get past the field count.
                var fields = ["0", "*/5", "9-17", "L", "*", "MON#2"]
                fields[Int.random(in: 0..<6, using: &random)] = String(text.prefix(6))
                text = fields.joined(separator: " ")
            }
            let spec = ScheduleSpec(cron: text, timezone: Bool.random(using: &random) ? "Europe/Berlin" : "UTC")
            guard let schedule = try? CompiledSchedule(spec: spec, jobID: "fuzz") else { continue }
            accepted += 1
            if let fire = schedule.nextFire(after: from) {
                #expect(fire.scheduledAt > from, "\(text)")
            }
            if case .cron(let expression) = schedule.kind {
                #expect(!CronDescription.describe(expression).isEmpty)
            }
        }
        #expect(accepted > 0)
    }
}
