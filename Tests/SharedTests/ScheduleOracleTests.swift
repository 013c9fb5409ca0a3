import Foundation
import Testing

@testable import Shared

/// Random cron expressions in the syntax both the engine and the Python oracle read.
struct CronExpressionGenerator {
    var random: SplitMix64

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &random) < probability }
    mutating func pick<T>(_ values: [T]) -> T { values[int(0...values.count - 1)] }

    /// A value, range, step or list within `low...high`; names used for some values when given.
    mutating func plain(_ low: Int, _ high: Int, names: [String] = [], nameBase: Int = 0, star: Double = 0.2) -> String {
        func value(_ number: Int) -> String {
            let index = number - nameBase
            if !names.isEmpty, index >= 0, index < names.count, chance(0.4) {
                let name = names[index]
                return chance(0.3) ? name.lowercased() : name
            }
            return String(number)
        }
        if chance(star) { return "*" }
        let span = high - low + 1
        switch int(0...6) {
        case 0: return "*/\(int(1...max(1, span / 2)))"
        case 1: return value(int(low...high))
        case 2:
            let first = int(low...high)
            return "\(value(first))-\(value(int(first...high)))"
        case 3:
            let first = int(low...high)
            return "\(value(first))-\(value(int(first...high)))/\(int(1...max(1, span / 3)))"
        case 4: return "\(value(int(low...high)))/\(int(1...max(1, span / 2)))"
        case 5:
            // A wrapping range such as 22-2 or FRI-MON.
            let first = int(low...high)
            let last = int(low...high)
            return "\(value(max(first, last)))-\(value(min(first, last)))"
        default:
            return (0..<int(2...3)).map { _ in value(int(low...high)) }.joined(separator: ",")
        }
    }

    mutating func dayOfMonth() -> String {
        switch int(0...9) {
        case 0, 1, 2: return "*"
        case 3: return "L"
        case 4: return "L-\(int(0...5))"
        case 5: return "\(int(1...31))W"
        case 6: return "LW"
        case 7: return "\(int(1...28)),L"
        default: return plain(1, 31, star: 0)
        }
    }

    mutating func dayOfWeek(_ dialect: CronExpression.Dialect) -> String {
        let names = CronParser.weekdayNames
        let (low, high, base) = dialect == .linux ? (0, 7, 0) : (1, 7, 1)
        func weekday() -> String {
            let number = int(low...(dialect == .linux ? 6 : 7))
            return chance(0.5) ? names[(number - base + 7) % 7] : String(number)
        }
        switch int(0...9) {
        case 0, 1, 2: return "*"
        case 3: return "\(weekday())L"
        case 4: return "\(weekday())#\(int(1...5))"
        case 5: return "\(weekday()),\(weekday())#\(int(1...4))"
        default: return plain(low, high, names: names, nameBase: base, star: 0)
        }
    }

    mutating func expression(_ dialect: CronExpression.Dialect) -> String {
        if chance(0.03) { return pick(["@yearly", "@monthly", "@weekly", "@daily", "@hourly", "@MIDNIGHT"]) }
        let second = chance(0.5) ? "0" : plain(0, 59, star: 0.03)
        let minute = plain(0, 59, star: 0.08)
        let hour = plain(0, 23, star: 0.2)
        var dayOfMonth = dayOfMonth()
        var dayOfWeek = dayOfWeek(dialect)
        if chance(0.1) {
            if chance(0.5) { dayOfMonth = "?" } else { dayOfWeek = "?" }
        }
        let month = chance(0.6) ? "*" : plain(1, 12, names: CronParser.monthNames, nameBase: 1, star: 0)
        var fields = [second, minute, hour, dayOfMonth, month, dayOfWeek]
        if chance(0.15) { fields.removeFirst() } else if chance(0.15) {
            fields.append(pick(["*", "2020-2045", "2026,2028,2031", "2021/3", "2030-2024"].filter { $0 != "2030-2024" }))
        }
        return fields.joined(separator: " ")
    }
}

@Suite struct ScheduleOracleTests {
    static let zones = [
        "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Australia/Sydney", "America/Santiago",
        "Asia/Kathmandu", "Pacific/Chatham", "Europe/London", "America/Havana", "America/St_Johns",
        "Africa/Casablanca", "UTC",
    ]

    /// Cases to run: `SCHEDULE_ORACLE_CASES` or 10,000.
    static var caseCount: Int {
        ProcessInfo.processInfo.environment["SCHEDULE_ORACLE_CASES"].flatMap(Int.init) ?? 10_000
    }

    @Test func engineMatchesOracle() throws {
        var generator = CronExpressionGenerator(random: SplitMix64(seed: 20_260_329))
        let horizonDays: Int64 = 3660
        let fireCount = 4
        var cases: [[String: Any]] = []
        var engineFires: [[Int64]] = []
        var rejected = 0

        while cases.count < Self.caseCount {
            let zone = generator.pick(Self.zones)
            let dialect: CronExpression.Dialect = generator.chance(0.3) ? .quartz : .linux
            let text = generator.expression(dialect)
            let dayMatch = generator.chance(0.3) ? "both" : "either"
            let gap = generator.chance(0.5) ? "shift" : "skip"
            let overlap = generator.chance(0.5) ? "once" : "twice"
            let spec = ScheduleSpec(
                cron: text, timezone: zone, dstGap: gap, dstOverlap: overlap, dayMatch: dayMatch,
                cronDialect: dialect.rawValue)
            guard let schedule = try? CompiledSchedule(spec: spec, jobID: "oracle") else {
                rejected += 1
                continue
            }

            // Start up to three days before a switch between 2020 and 2040, or anywhere in that span.
            let rules = schedule.zone
            let switches = rules.transitionTimes.filter { $0 > 1_577_836_800 && $0 < 2_208_988_800 }
            let after: Int64 =
                switches.isEmpty || generator.chance(0.1)
                ? Int64(generator.int(1_577_836_800...2_208_988_800))
                : generator.pick(switches) - Int64(generator.int(0...259_200))

            var fires: [Int64] = []
            var cursor = after
            while fires.count < fireCount, let next = schedule.nextNominal(after: cursor),
                next <= after + horizonDays * 86_400
            {
                fires.append(next)
                cursor = next
            }
            engineFires.append(fires)
            cases.append([
                "op": "cron", "cron": text, "dialect": dialect.rawValue, "day_match": dayMatch, "zone": zone,
                "gap": gap, "overlap": overlap, "after": after, "count": fireCount, "horizon_days": horizonDays,
            ])
        }

        let answers = try ScheduleOracle.run(cases)
        var mismatches: [String] = []
        for (index, answer) in answers.enumerated() {
            let expected = (answer["fires"] as? [Int])?.map(Int64.init)
            if expected != engineFires[index] {
                let error = answer["error"] as? String ?? ""
                mismatches.append("\(cases[index]) engine \(engineFires[index]) oracle \(expected ?? []) \(error)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases.count) differ: \(mismatches.prefix(8).joined(separator: "\n"))")
        #expect(rejected < cases.count / 10, "generator made \(rejected) expressions the engine rejects")
    }
}
