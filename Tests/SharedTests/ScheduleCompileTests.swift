import Foundation
import Testing

@testable import Shared

@Suite struct ScheduleCompileTests {
    func date(_ text: String) throws -> Date {
        try #require(Timestamp.parse(text))
    }

    @Test func emptyScheduleNeverFires() throws {
        let schedule = try CompiledSchedule(spec: ScheduleSpec(timezone: "Europe/Berlin"), jobID: "chained-only")
        #expect(schedule.nextFire(after: Date(timeIntervalSince1970: 0)) == nil)
        #expect(schedule.zone.identifier == "Europe/Berlin")
    }

    @Test func everyStaysOnEpochGrid() throws {
        #expect(try scheduleFires(ScheduleSpec(every: "5m"), from: "2026-03-01T00:02:30Z", count: 3)
            == ["2026-03-01T00:05:00Z", "2026-03-01T00:10:00Z", "2026-03-01T00:15:00Z"])
        // Exact elapsed time: 1d across the Berlin switch is 24 hours, so local time moves.
        #expect(try scheduleFires(ScheduleSpec(every: "1d", timezone: "Europe/Berlin"), from: "2026-03-28T00:00:00Z", count: 2)
            == ["2026-03-29T00:00:00Z", "2026-03-30T00:00:00Z"])
    }

    @Test func everyAnchorsAtStart() throws {
        let spec = ScheduleSpec(every: "90s", start: "2026-03-01T00:00:07Z")
        #expect(try scheduleFires(spec, from: "2026-01-01T00:00:00Z", count: 2) == ["2026-03-01T00:00:07Z", "2026-03-01T00:01:37Z"])
        #expect(try scheduleFires(spec, from: "2026-03-01T00:01:37Z", count: 1) == ["2026-03-01T00:03:07Z"])
    }

    @Test func atAcceptsOffsetOrLocalTime() throws {
        #expect(try scheduleFires(ScheduleSpec(at: "2026-05-01T09:00:00+08:00"), from: "2026-01-01T00:00:00Z", count: 2)
            == ["2026-05-01T01:00:00Z"])
        #expect(try scheduleFires(ScheduleSpec(at: "2026-05-01T09:00:00", timezone: "Asia/Shanghai"), from: "2026-01-01T00:00:00Z", count: 2)
            == ["2026-05-01T01:00:00Z"])
        // Local time in the gap shifts to the end of the gap; in the overlap it follows dst_overlap.
        #expect(try scheduleFires(ScheduleSpec(at: "2026-03-29T02:30:00", timezone: "Europe/Berlin"), from: "2026-01-01T00:00:00Z", count: 2)
            == ["2026-03-29T01:00:00Z"])
        #expect(try scheduleFires(
            ScheduleSpec(at: "2026-10-25T02:30:00", timezone: "Europe/Berlin", dstOverlap: "twice"),
            from: "2026-01-01T00:00:00Z", count: 3) == ["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"])
        #expect(try scheduleFires(ScheduleSpec(at: "2026-05-01T09:00:00Z"), from: "2026-05-01T09:00:00Z", count: 1) == [])
    }

    @Test func delayFollowsRunEnd() throws {
        let schedule = try CompiledSchedule(spec: ScheduleSpec(delay: "10m", maxRuns: 2), jobID: "job")
        let first = try #require(schedule.nextFire(after: try date("2026-03-01T00:00:00Z")))
        #expect(Timestamp.rfc3339(first.scheduledAt) == "2026-03-01T00:10:00Z")
        let second = try #require(schedule.nextFire(afterRunEndedAt: try date("2026-03-01T00:12:30.400Z"), firedCount: 1))
        #expect(Timestamp.rfc3339(second.scheduledAt) == "2026-03-01T00:22:31Z")
        #expect(schedule.nextFire(afterRunEndedAt: try date("2026-03-01T00:30:00Z"), firedCount: 2) == nil)
    }

    @Test func startEndAndMaxRunsLimitFires() throws {
        let spec = ScheduleSpec(
            cron: "0 0 * * * *", start: "2026-03-01T05:30:00Z", end: "2026-03-01T08:00:00Z", maxRuns: 10)
        #expect(try scheduleFires(spec, from: "2026-03-01T00:00:00Z", count: 10)
            == ["2026-03-01T06:00:00Z", "2026-03-01T07:00:00Z", "2026-03-01T08:00:00Z"])
        let schedule = try CompiledSchedule(spec: spec, jobID: "job")
        #expect(schedule.nextFire(after: try date("2026-03-01T00:00:00Z"), firedCount: 10) == nil)
    }

    @Test func firesInRangeCountsTowardMaxRuns() throws {
        let schedule = try CompiledSchedule(spec: ScheduleSpec(cron: "0 */15 * * * *", maxRuns: 5), jobID: "job")
        let fires = schedule.fires(after: try date("2026-03-01T00:00:00Z"), through: try date("2026-03-01T02:00:00Z"), limit: 100, firedCount: 2)
        #expect(fires.map { Timestamp.rfc3339($0.scheduledAt) } == ["2026-03-01T00:15:00Z", "2026-03-01T00:30:00Z", "2026-03-01T00:45:00Z"])
        let limited = schedule.fires(after: try date("2026-03-01T00:00:00Z"), through: try date("2026-03-01T02:00:00Z"), limit: 2)
        #expect(limited.count == 2)
        let inclusive = schedule.fires(after: try date("2026-03-01T00:00:00Z"), through: try date("2026-03-01T00:15:00Z"), limit: 10)
        #expect(inclusive.map { Timestamp.rfc3339($0.scheduledAt) } == ["2026-03-01T00:15:00Z"])
    }

    @Test func previousFireFindsLastBefore() throws {
        let berlin = try CompiledSchedule(
            spec: ScheduleSpec(cron: "0 30 2 * * *", timezone: "Europe/Berlin", dstOverlap: "twice"), jobID: "job")
        #expect(berlin.previousFire(before: try date("2026-10-25T01:30:00Z")).map { Timestamp.rfc3339($0.scheduledAt) }
            == "2026-10-25T00:30:00Z")
        #expect(berlin.previousFire(before: try date("2026-10-25T01:30:01Z")).map { Timestamp.rfc3339($0.scheduledAt) }
            == "2026-10-25T01:30:00Z")
        let leap = try CompiledSchedule(spec: ScheduleSpec(cron: "0 0 0 29 2 *"), jobID: "job")
        #expect(leap.previousFire(before: try date("2031-01-01T00:00:00Z")).map { Timestamp.rfc3339($0.scheduledAt) }
            == "2028-02-29T00:00:00Z")
        let every = try CompiledSchedule(spec: ScheduleSpec(every: "7s"), jobID: "job")
        #expect(every.previousFire(before: try date("1970-01-01T00:01:00Z")).map { Timestamp.rfc3339($0.scheduledAt) }
            == "1970-01-01T00:00:56Z")
    }

    @Test func jitterIsDeterministicAndBounded() throws {
        let spec = ScheduleSpec(cron: "0 * * * * *", jitter: "30s")
        let first = try CompiledSchedule(spec: spec, jobID: "report")
        let again = try CompiledSchedule(spec: spec, jobID: "report")
        let other = try CompiledSchedule(spec: spec, jobID: "other")
        var cursor = try date("2026-03-01T00:00:00Z")
        var offsets: Set<Int64> = []
        for _ in 0..<200 {
            let fire = try #require(first.nextFire(after: cursor))
            let offset = Int64((fire.fireAt.timeIntervalSince(fire.scheduledAt) * 1000).rounded())
            #expect(offset >= 0 && offset < 30_000)
            #expect(again.nextFire(after: cursor) == fire)
            offsets.insert(offset)
            cursor = fire.scheduledAt
        }
        #expect(offsets.count > 150)
        #expect(other.nextFire(after: cursor)?.fireAt != first.nextFire(after: cursor)?.fireAt)
    }

    @Test func kathmanduQuarterHourOffset() throws {
        #expect(try scheduleFires(ScheduleSpec(cron: "0 0,30 * * * *", timezone: "Asia/Kathmandu"), from: "2026-01-01T00:00:00Z", count: 2)
            == ["2026-01-01T00:15:00Z", "2026-01-01T00:45:00Z"])
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        var spec: ScheduleSpec
        var code: ScheduleError.Code
        var message: String

        var testDescription: String { message }
    }

    static let invalid: [Invalid] = [
        Invalid(spec: ScheduleSpec(cron: "@daily", every: "5m"), code: .invalidSpec,
                message: #"schedule: "cron, every": set only one of cron, every, delay or at"#),
        Invalid(spec: ScheduleSpec(cron: "@daily", timezone: "Mars/Olympus"), code: .invalidTimeZone,
                message: #"timezone: "Mars/Olympus": unknown time zone (no file in /usr/share/zoneinfo); write an IANA name such as Asia/Shanghai, and install the tzdata package if the zone should exist"#),
        Invalid(spec: ScheduleSpec(cron: "@daily", timezone: "+08:00"), code: .invalidTimeZone,
                message: #"timezone: "+08:00": not an IANA time zone name; write a name such as Asia/Shanghai, Europe/Berlin or UTC"#),
        Invalid(spec: ScheduleSpec(cron: "@daily", timezone: "../etc/passwd"), code: .invalidTimeZone,
                message: #"timezone: "../etc/passwd": not an IANA time zone name; write a name such as Asia/Shanghai, Europe/Berlin or UTC"#),
        Invalid(spec: ScheduleSpec(every: "500ms"), code: .invalidSpec,
                message: #"every: "500ms": must be whole seconds, at least 1s, such as 1s, 5m or 1d"#),
        Invalid(spec: ScheduleSpec(every: "5 minutes"), code: .invalidSpec,
                message: #"every: "5 minutes": not a duration; write a number and a unit s, m, h or d, such as 30s or 1h30m"#),
        Invalid(spec: ScheduleSpec(delay: "0s"), code: .invalidSpec,
                message: #"delay: "0s": must be whole seconds, at least 1s, such as 1s, 5m or 1d"#),
        Invalid(spec: ScheduleSpec(at: "tomorrow"), code: .invalidSpec,
                message: #"at: "tomorrow": not an instant; write RFC 3339 with an offset (2026-03-29T09:00:00+08:00) or a local time in the job's zone (2026-03-29T09:00:00)"#),
        Invalid(spec: ScheduleSpec(at: "2026-03-29T09:00:00.5Z"), code: .invalidSpec,
                message: #"at: "2026-03-29T09:00:00.5Z": must be a whole second; remove the fraction"#),
        Invalid(spec: ScheduleSpec(at: "2026-03-29T02:30:00", timezone: "Europe/Berlin", dstGap: "skip"), code: .invalidSpec,
                message: #"at: "2026-03-29T02:30:00": does not exist in Europe/Berlin (clocks move forward) and dst_gap is skip; pick another local time or use dst_gap: shift"#),
        Invalid(spec: ScheduleSpec(cron: "@daily", dstGap: "later", dstOverlap: "never", dayMatch: "all", cronDialect: "unix"), code: .invalidSpec,
                message: "dst_gap: \"later\": must be shift or skip\ndst_overlap: \"never\": must be once or twice\n"
                    + "day_match: \"all\": must be either or both\ncron_dialect: \"unix\": must be linux or quartz"),
        Invalid(spec: ScheduleSpec(cron: "@daily", start: "2026-05-01T00:00:00Z", end: "2026-04-01T00:00:00Z"), code: .invalidSpec,
                message: #"end: "2026-04-01T00:00:00Z": is before start 2026-05-01T00:00:00Z; make end later than start"#),
        Invalid(spec: ScheduleSpec(cron: "@daily", maxRuns: 0), code: .invalidSpec,
                message: #"max_runs: "0": must be at least 1; leave it out for no limit"#),
        Invalid(spec: ScheduleSpec(cron: "@daily", jitter: "soon"), code: .invalidSpec,
                message: #"jitter: "soon": not a duration; write a value such as 30s or 500ms"#),
        Invalid(spec: ScheduleSpec(cron: "@daily", calendar: "nowhere"), code: .invalidCalendar,
                message: #"calendar: "nowhere": unknown calendar; define it under calendars in the configuration"#),
        Invalid(spec: ScheduleSpec(cron: "@daily", calendarMode: "exclude"), code: .invalidSpec,
                message: #"calendar_mode: "exclude": needs a calendar; set calendar or remove calendar_mode"#),
        Invalid(spec: ScheduleSpec(cron: "0 0 9 ? * MON#6", timezone: "Nowhere/City"), code: .invalidTimeZone,
                message: "timezone: \"Nowhere/City\": unknown time zone (no file in /usr/share/zoneinfo); write an IANA name such as Asia/Shanghai, and install the tzdata package if the zone should exist\n"
                    + "day-of-week: \"MON#6\": # must be 1-5"),
    ]

    @Test(arguments: invalid) func rejectsInvalidSpec(_ testCase: Invalid) {
        #expect {
            _ = try CompiledSchedule(spec: testCase.spec, jobID: "job", calendars: { _ in nil })
        } throws: { error in
            guard let error = error as? ScheduleError else { return false }
            return error.description == testCase.message && error.code == testCase.code
        }
    }

    @Test func specDecodesSnakeCaseKeys() throws {
        let json = #"{"cron":"0 0 9 * * MON-FRI","timezone":"Asia/Shanghai","dst_gap":"skip","day_match":"both","cron_dialect":"quartz","max_runs":3,"calendar_mode":"exclude"}"#
        let spec = try JSONDecoder().decode(ScheduleSpec.self, from: Data(json.utf8))
        #expect(spec.dstGap == "skip")
        #expect(spec.dayMatch == "both")
        #expect(spec.cronDialect == "quartz")
        #expect(spec.maxRuns == 3)
        #expect(spec.calendarMode == "exclude")
    }
}
