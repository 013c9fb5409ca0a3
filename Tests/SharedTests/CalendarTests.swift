import Foundation
import Testing

@testable import Shared

@Suite struct CalendarTests {
    /// China's 2026 National Day: October 1-7 off, Sunday September 27 and Saturday October 10 worked.
    static func chinaAutumn() throws -> ScheduleCalendar {
        try ScheduleCalendar(
            name: "cn-workdays", weekdayNames: ["MON", "TUE", "WED", "THU", "FRI"],
            holidays: (1...7).map { "2026-10-0\($0)" }, workdays: ["2026-09-27", "2026-10-10"])
    }

    @Test func workingDaysFollowHolidaysAndMakeUpDays() throws {
        let calendar = try Self.chinaAutumn()
        #expect(calendar.isWorkingDay(CivilDate(year: 2026, month: 9, day: 25)))  // Friday
        #expect(!calendar.isWorkingDay(CivilDate(year: 2026, month: 9, day: 26)))  // Saturday
        #expect(calendar.isWorkingDay(CivilDate(year: 2026, month: 9, day: 27)))  // make-up Sunday
        #expect(!calendar.isWorkingDay(CivilDate(year: 2026, month: 10, day: 1)))  // holiday Thursday
        #expect(calendar.isWorkingDay(CivilDate(year: 2026, month: 10, day: 10)))  // make-up Saturday
    }

    @Test func cronFiresOnlyOnWorkingDays() throws {
        let registry = CalendarRegistry([try Self.chinaAutumn()])
        let spec = ScheduleSpec(cron: "0 0 9 * * *", timezone: "Asia/Shanghai", calendar: "cn-workdays")
        let fires = try scheduleFires(spec, from: "2026-09-25T00:00:00Z", count: 5, calendars: registry.lookup)
        #expect(fires == [
            "2026-09-25T01:00:00Z", "2026-09-27T01:00:00Z", "2026-09-28T01:00:00Z", "2026-09-29T01:00:00Z",
            "2026-09-30T01:00:00Z",
        ])
        let afterHoliday = try scheduleFires(spec, from: "2026-09-30T02:00:00Z", count: 2, calendars: registry.lookup)
        #expect(afterHoliday == ["2026-10-08T01:00:00Z", "2026-10-09T01:00:00Z"])
    }

    @Test func excludeModeSkipsOnlyHolidays() throws {
        let registry = CalendarRegistry([try Self.chinaAutumn()])
        let spec = ScheduleSpec(cron: "0 0 9 * * *", timezone: "Asia/Shanghai", calendar: "cn-workdays", calendarMode: "exclude")
        let fires = try scheduleFires(spec, from: "2026-09-30T02:00:00Z", count: 2, calendars: registry.lookup)
        #expect(fires == ["2026-10-08T01:00:00Z", "2026-10-09T01:00:00Z"])
        let weekend = try scheduleFires(spec, from: "2026-09-25T02:00:00Z", count: 1, calendars: registry.lookup)
        #expect(weekend == ["2026-09-26T01:00:00Z"])
    }

    @Test func calendarChangeAppliesAtNextComputation() throws {
        let registry = CalendarRegistry([try ScheduleCalendar(name: "ops", weekdayNames: ["MON"])])
        let schedule = try CompiledSchedule(
            spec: ScheduleSpec(cron: "0 0 9 * * *", calendar: "ops"), jobID: "job", calendars: registry.lookup)
        let from = try #require(Timestamp.parse("2026-03-02T10:00:00Z"))  // a Monday
        #expect(schedule.nextFire(after: from).map { Timestamp.rfc3339($0.scheduledAt) } == "2026-03-09T09:00:00Z")

        registry.set(try ScheduleCalendar(name: "ops", weekdayNames: ["MON", "TUE"]))
        #expect(schedule.nextFire(after: from).map { Timestamp.rfc3339($0.scheduledAt) } == "2026-03-03T09:00:00Z")
    }

    @Test func everyRespectsCalendar() throws {
        let registry = CalendarRegistry([try ScheduleCalendar(name: "weekdays")])
        let spec = ScheduleSpec(every: "12h", timezone: "Europe/Berlin", calendar: "weekdays")
        // 2026-03-06 is a Friday; the weekend's grid points are skipped.
        let fires = try scheduleFires(spec, from: "2026-03-06T10:00:00Z", count: 2, calendars: registry.lookup)
        #expect(fires == ["2026-03-06T12:00:00Z", "2026-03-09T00:00:00Z"])
    }

    @Test func icsImportsHolidaysAndWorkdays() throws {
        let ics = """
            BEGIN:VCALENDAR\r
            VERSION:2.0\r
            BEGIN:VEVENT\r
            DTSTART;VALUE=DATE:20261001\r
            DTEND;VALUE=DATE:20261008\r
            SUMMARY:国庆节 休\r
            END:VEVENT\r
            BEGIN:VEVENT\r
            DTSTART;VALUE=DATE:20260927\r
            SUMMARY:国庆节 补班\r
            END:VEVENT\r
            BEGIN:VEVENT\r
            DTSTART;VALUE=DATE:20261010\r
            SUMMARY:Make-up work\r
             day\r
            END:VEVENT\r
            BEGIN:VEVENT\r
            DTSTART;VALUE=DATE:20251225\r
            RRULE:FREQ=YEARLY;COUNT=3\r
            SUMMARY:Christmas\r
            END:VEVENT\r
            BEGIN:VEVENT\r
            DTSTART:20261015T090000Z\r
            SUMMARY:Meeting\r
            END:VEVENT\r
            END:VCALENDAR\r

            """
        let calendar = try ScheduleCalendar(name: "cn", icsText: ics)
        #expect(calendar.holidays.count == 7 + 3)
        #expect(calendar.isHoliday(CivilDate(year: 2027, month: 12, day: 25)))
        #expect(!calendar.isHoliday(CivilDate(year: 2028, month: 12, day: 25)))
        #expect(calendar.workdays == [CivilDate(year: 2026, month: 9, day: 27), CivilDate(year: 2026, month: 10, day: 10)])
        #expect(calendar.isWorkingDay(CivilDate(year: 2026, month: 10, day: 15)))
    }

    @Test func icsWorkdayPatternIsConfigurable() throws {
        let ics = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260927\nSUMMARY:Arbeitstag\nEND:VEVENT\nEND:VCALENDAR\n"
        #expect(try ScheduleCalendar(name: "de", icsText: ics).holidays.count == 1)
        #expect(try ScheduleCalendar(name: "de", icsText: ics, workdayPattern: "arbeitstag").workdays.count == 1)
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        var name: String
        var make: @Sendable () throws -> ScheduleCalendar
        var message: String

        var testDescription: String { name }
    }

    static let invalid: [Invalid] = [
        Invalid(name: "bad weekday", make: { try ScheduleCalendar(name: "c", weekdayNames: ["MON", "FUNDAY"]) },
                message: #"calendars.c.weekdays: "FUNDAY": not a weekday name; use MON, TUE, WED, THU, FRI, SAT or SUN"#),
        Invalid(name: "bad date", make: { try ScheduleCalendar(name: "c", holidays: ["2026-02-30", "2026-1-1"]) },
                message: "calendars.c.holidays: \"2026-02-30\": not a valid date; write YYYY-MM-DD, such as 2026-10-01\n"
                    + "calendars.c.holidays: \"2026-1-1\": not a valid date; write YYYY-MM-DD, such as 2026-10-01"),
        Invalid(name: "conflict", make: { try ScheduleCalendar(name: "c", holidays: ["2026-10-01"], workdays: ["2026-10-01"]) },
                message: #"calendars.c: "2026-10-01": listed in both holidays and workdays; keep each date in one list"#),
        Invalid(name: "not ics", make: { try ScheduleCalendar(name: "c", icsText: "hello") },
                message: #"calendars.c:1: "hello": not an iCalendar file; it must start with BEGIN:VCALENDAR"#),
        Invalid(name: "bad ics date",
                make: { try ScheduleCalendar(name: "c", icsText: "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261301\nEND:VEVENT\nEND:VCALENDAR") },
                message: #"calendars.c:3: "20261301": not an iCalendar date; write YYYYMMDD"#),
        Invalid(name: "unsupported rrule",
                make: { try ScheduleCalendar(name: "c", icsText: "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261001\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nEND:VCALENDAR") },
                message: #"calendars.c:4: "FREQ=WEEKLY": only FREQ=YEARLY is supported in RRULE; list other dates as separate events"#),
        Invalid(name: "bad pattern",
                make: { try ScheduleCalendar(name: "c", icsText: "BEGIN:VCALENDAR\nEND:VCALENDAR", workdayPattern: "(") },
                message: #"calendars.c.ics_workday_pattern: "(": not a valid regular expression (ICU syntax)"#),
    ]

    @Test(arguments: invalid) func rejectsInvalidCalendar(_ testCase: Invalid) {
        #expect {
            _ = try testCase.make()
        } throws: { error in
            (error as? ScheduleError)?.description == testCase.message
        }
    }

    @Test func loadsYAMLAndICSFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("calendar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let yaml = directory.appendingPathComponent("cn.yaml")
        try "weekdays: [MON, TUE, WED, THU, FRI]\nholidays:\n  - 2026-10-01\nworkdays: [2026-09-27]\n"
            .write(to: yaml, atomically: true, encoding: .utf8)
        let fromYAML = try ScheduleCalendar.load(contentsOfFile: yaml.path)
        #expect(fromYAML.name == "cn")
        #expect(fromYAML.holidays == [CivilDate(year: 2026, month: 10, day: 1)])
        #expect(fromYAML.workdays == [CivilDate(year: 2026, month: 9, day: 27)])

        let badYAML = directory.appendingPathComponent("bad.yaml")
        try "weekdays: [MON]\nholiday: [2026-10-01]\n".write(to: badYAML, atomically: true, encoding: .utf8)
        #expect {
            _ = try ScheduleCalendar.load(contentsOfFile: badYAML.path)
        } throws: { error in
            (error as? ScheduleError)?.description
                == "\(badYAML.path):2: \"holiday\": unknown key; a calendar file has weekdays, holidays and workdays"
        }

        #expect {
            _ = try ScheduleCalendar.load(contentsOfFile: directory.appendingPathComponent("missing.ics").path)
        } throws: { error in
            (error as? ScheduleError)?.code == .invalidCalendar
        }
    }
}
