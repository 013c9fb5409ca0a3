import Foundation
import Testing

@testable import Shared

/// Returns the first `count` fires after `from` as RFC 3339 UTC text.
func scheduleFires(
    _ spec: ScheduleSpec, from: String, count: Int, jobID: String = "job", calendars: CalendarLookup? = nil
) throws -> [String] {
    let schedule = try CompiledSchedule(spec: spec, jobID: jobID, calendars: calendars)
    var cursor = try #require(Timestamp.parse(from))
    var result: [String] = []
    while result.count < count, let fire = schedule.nextFire(after: cursor) {
        result.append(Timestamp.rfc3339(fire.scheduledAt))
        cursor = fire.scheduledAt
    }
    return result
}

@Suite struct ScheduleDSTTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var zone: String
        var cron: String
        var gap = "shift"
        var overlap = "once"
        var from: String
        var expected: [String]

        var testDescription: String { "\(zone) \(cron) gap=\(gap) overlap=\(overlap)" }
    }

    static let cases: [Case] = [
        // America/New_York 2026: 02:00 EST -> 03:00 EDT on March 8, 02:00 EDT -> 01:00 EST on November 1.
        Case(zone: "America/New_York", cron: "0 30 2 * * *", gap: "shift", from: "2026-03-07T12:00:00Z",
             expected: ["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"]),
        Case(zone: "America/New_York", cron: "0 30 2 * * *", gap: "skip", from: "2026-03-07T12:00:00Z",
             expected: ["2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"]),
        Case(zone: "America/New_York", cron: "0 30 1 * * *", overlap: "once", from: "2026-10-31T12:00:00Z",
             expected: ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]),
        Case(zone: "America/New_York", cron: "0 30 1 * * *", overlap: "twice", from: "2026-10-31T12:00:00Z",
             expected: ["2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-02T06:30:00Z"]),
        // Europe/Berlin 2026: 02:00 CET -> 03:00 CEST on March 29, 03:00 CEST -> 02:00 CET on October 25.
        Case(zone: "Europe/Berlin", cron: "0 30 2 * * *", gap: "shift", from: "2026-03-28T12:00:00Z",
             expected: ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]),
        Case(zone: "Europe/Berlin", cron: "0 30 2 * * *", gap: "skip", from: "2026-03-28T12:00:00Z",
             expected: ["2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"]),
        Case(zone: "Europe/Berlin", cron: "0 30 2 * * *", overlap: "once", from: "2026-10-24T12:00:00Z",
             expected: ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]),
        Case(zone: "Europe/Berlin", cron: "0 30 2 * * *", overlap: "twice", from: "2026-10-24T12:00:00Z",
             expected: ["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z"]),
        // Several local times in one gap give one fire, which also absorbs a match at 03:00.
        Case(zone: "Europe/Berlin", cron: "0 0/30 1-3 * * *", gap: "shift", from: "2026-03-28T23:00:00Z",
             expected: ["2026-03-29T00:00:00Z", "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"]),
        Case(zone: "Europe/Berlin", cron: "0 0/30 1-3 * * *", gap: "skip", from: "2026-03-28T23:00:00Z",
             expected: ["2026-03-29T00:00:00Z", "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"]),
        // Australia/Lord_Howe: a 30-minute shift. 02:00 -> 02:30 on 2026-10-04, 02:00 -> 01:30 on 2026-04-05.
        Case(zone: "Australia/Lord_Howe", cron: "0 15 2 * * *", gap: "shift", from: "2026-10-03T00:00:00Z",
             expected: ["2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"]),
        Case(zone: "Australia/Lord_Howe", cron: "0 15 2 * * *", gap: "skip", from: "2026-10-03T00:00:00Z",
             expected: ["2026-10-04T15:15:00Z", "2026-10-05T15:15:00Z"]),
        Case(zone: "Australia/Lord_Howe", cron: "0 45 1 * * *", overlap: "once", from: "2026-04-04T00:00:00Z",
             expected: ["2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"]),
        Case(zone: "Australia/Lord_Howe", cron: "0 45 1 * * *", overlap: "twice", from: "2026-04-04T00:00:00Z",
             expected: ["2026-04-04T14:45:00Z", "2026-04-04T15:15:00Z", "2026-04-05T15:15:00Z"]),
        // Australia/Sydney (southern hemisphere): 02:00 AEST -> 03:00 AEDT on 2026-10-04,
        // 03:00 AEDT -> 02:00 AEST on 2026-04-05.
        Case(zone: "Australia/Sydney", cron: "0 30 2 * * *", gap: "shift", from: "2026-10-03T00:00:00Z",
             expected: ["2026-10-03T16:00:00Z", "2026-10-04T15:30:00Z"]),
        Case(zone: "Australia/Sydney", cron: "0 30 2 * * *", gap: "skip", from: "2026-10-03T00:00:00Z",
             expected: ["2026-10-04T15:30:00Z", "2026-10-05T15:30:00Z"]),
        Case(zone: "Australia/Sydney", cron: "0 30 2 * * *", overlap: "once", from: "2026-04-04T00:00:00Z",
             expected: ["2026-04-04T15:30:00Z", "2026-04-05T16:30:00Z"]),
        Case(zone: "Australia/Sydney", cron: "0 30 2 * * *", overlap: "twice", from: "2026-04-04T00:00:00Z",
             expected: ["2026-04-04T15:30:00Z", "2026-04-04T16:30:00Z", "2026-04-05T16:30:00Z"]),
        // Second-level steps across the Berlin gap and overlap.
        Case(zone: "Europe/Berlin", cron: "*/20 59 1,2 * * *", gap: "shift", from: "2026-03-28T23:00:00Z",
             expected: ["2026-03-29T00:59:00Z", "2026-03-29T00:59:20Z", "2026-03-29T00:59:40Z",
                        "2026-03-29T01:00:00Z", "2026-03-29T23:59:00Z"]),
        Case(zone: "Europe/Berlin", cron: "*/20 59 1,2 * * *", gap: "skip", from: "2026-03-28T23:00:00Z",
             expected: ["2026-03-29T00:59:00Z", "2026-03-29T00:59:20Z", "2026-03-29T00:59:40Z",
                        "2026-03-29T23:59:00Z"]),
        Case(zone: "Europe/Berlin", cron: "*/30 59 2 * * *", overlap: "once", from: "2026-10-24T22:00:00Z",
             expected: ["2026-10-25T00:59:00Z", "2026-10-25T00:59:30Z", "2026-10-26T01:59:00Z"]),
        Case(zone: "Europe/Berlin", cron: "*/30 59 2 * * *", overlap: "twice", from: "2026-10-24T22:00:00Z",
             expected: ["2026-10-25T00:59:00Z", "2026-10-25T00:59:30Z", "2026-10-25T01:59:00Z",
                        "2026-10-25T01:59:30Z", "2026-10-26T01:59:00Z"]),
        // Asia/Kathmandu (+05:45, no DST).
        Case(zone: "Asia/Kathmandu", cron: "0 0 9 * * *", from: "2026-01-01T00:00:00Z",
             expected: ["2026-01-01T03:15:00Z", "2026-01-02T03:15:00Z"]),
    ]

    @Test(arguments: cases) func dstPolicies(_ testCase: Case) throws {
        let spec = ScheduleSpec(
            cron: testCase.cron, timezone: testCase.zone, dstGap: testCase.gap, dstOverlap: testCase.overlap)
        #expect(try scheduleFires(spec, from: testCase.from, count: testCase.expected.count) == testCase.expected)
    }

    @Test func localTimeResolution() throws {
        let berlin = try ZoneRules.named("Europe/Berlin")
        let gapLocal = try #require(Timestamp.parse("2026-03-29T02:30:00Z")).timeIntervalSince1970
        #expect(berlin.resolve(local: Int64(gapLocal)) == .gap(endsAt: 1_774_746_000))
        let overlapLocal = try #require(Timestamp.parse("2026-10-25T02:30:00Z")).timeIntervalSince1970
        #expect(berlin.resolve(local: Int64(overlapLocal)) == .overlap(first: 1_792_888_200, second: 1_792_891_800))
    }

    @Test func offsetsBeyondTheTable() throws {
        // 2600 lies past the precomputed table; the footer rule still gives summer and winter time.
        let berlin = try ZoneRules.named("Europe/Berlin")
        let july = Int64(CivilDate(year: 2600, month: 7, day: 1).daysSinceEpoch) * 86_400
        let january = Int64(CivilDate(year: 2600, month: 1, day: 15).daysSinceEpoch) * 86_400
        #expect(berlin.offset(at: july) == 7200)
        #expect(berlin.offset(at: january) == 3600)
    }

    @Test func zoneOffsetsMatchZoneinfo() throws {
        let zones = [
            "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Australia/Sydney", "America/Santiago",
            "Asia/Kathmandu", "Pacific/Chatham", "Africa/Casablanca", "America/Havana", "Europe/Dublin",
            "Asia/Tehran", "Pacific/Apia", "America/St_Johns", "Antarctica/Troll",
        ]
        var generator = SplitMix64(seed: 7)
        var cases: [[String: Any]] = []
        var instants: [[Int64]] = []
        for zone in zones {
            // 1900 to 2199: the table, the footer extension and the years in between.
            let sample = (0..<3000).map { _ in Int64(generator.next() % 9_467_280_000) - 2_208_988_800 }
            instants.append(sample)
            cases.append(["op": "offsets", "zone": zone, "instants": sample])
        }
        let answers = try ScheduleOracle.run(cases)
        for (index, zone) in zones.enumerated() {
            let rules = try ZoneRules.named(zone)
            let expected = try #require(answers[index]["offsets"] as? [Int])
            var mismatches: [String] = []
            for (instant, offset) in zip(instants[index], expected) where rules.offset(at: instant) != Int64(offset) {
                mismatches.append("\(instant): engine \(rules.offset(at: instant)), zoneinfo \(offset)")
            }
            #expect(mismatches.isEmpty, "\(zone): \(mismatches.prefix(5))")
        }
    }
}

/// A small seeded generator so that random tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
