import Foundation
import Testing

@testable import Shared

@Suite struct CronParserTests {
    struct Invalid: CustomTestStringConvertible, Sendable {
        var expression: String
        var dialect = "linux"
        var message: String

        var testDescription: String { "\(expression) (\(dialect))" }
    }

    static let invalid: [Invalid] = [
        Invalid(expression: "0 0 9 ? * MON#6", message: #"day-of-week: "MON#6": # must be 1-5"#),
        Invalid(expression: "0 0 9 ? * MON#0", message: #"day-of-week: "MON#0": # must be 1-5"#),
        Invalid(expression: "0 0 9 ? * FOO#2", message: #"day-of-week: "FOO#2": # needs a weekday 0-7 (0 and 7 are Sunday) or SUN-SAT before it, as in MON#2"#),
        Invalid(expression: "60 * * * * *", message: #"second: "60": must be 0-59"#),
        Invalid(expression: "0 61 * * * *", message: #"minute: "61": must be 0-59"#),
        Invalid(expression: "0 0 24 * * *", message: #"hour: "24": must be 0-23"#),
        Invalid(expression: "0 0 0 32 * *", message: #"day-of-month: "32": must be 1-31"#),
        Invalid(expression: "0 0 0 0 * *", message: #"day-of-month: "0": must be 1-31"#),
        Invalid(expression: "0 0 0 * 13 *", message: #"month: "13": must be 1-12 or JAN-DEC"#),
        Invalid(expression: "0 0 0 * JANUARY *", message: #"month: "JANUARY": not a number or name; use 1-12 or JAN-DEC"#),
        Invalid(expression: "0 0 0 * * 8", message: #"day-of-week: "8": must be 0-7 (0 and 7 are Sunday) or SUN-SAT"#),
        Invalid(expression: "0 0 0 ? * 0", dialect: "quartz",
                message: #"day-of-week: "0": must be 1-7 (1 is Sunday, cron_dialect quartz) or SUN-SAT"#),
        Invalid(expression: "0 0 0 * * MOND", message: #"day-of-week: "MOND": not a number or name; use 0-7 (0 and 7 are Sunday) or SUN-SAT"#),
        Invalid(expression: "*/0 * * * * *", message: #"second: "*/0": step must be 1-60"#),
        Invalid(expression: "0 */61 * * * *", message: #"minute: "*/61": step must be 1-60"#),
        Invalid(expression: "0 0 */25 * * *", message: #"hour: "*/25": step must be 1-24"#),
        Invalid(expression: "0 0 0 1/2/3 * *", message: #"day-of-month: "1/2/3": more than one /; write start/step or start-end/step"#),
        Invalid(expression: "0 0 0 1-2-3 * *", message: #"day-of-month: "1-2-3": not a value or range; write a value 1-31, a range such as 1-5, or a step such as */15"#),
        Invalid(expression: "0 0 L * * *", message: #"hour: "L": L is allowed only in day-of-month and day-of-week"#),
        Invalid(expression: "0 0 0 * * 5W", message: #"day-of-week: "5W": W is allowed only in day-of-month"#),
        Invalid(expression: "0 0 0 32W * *", message: #"day-of-month: "32W": W needs a day 1-31 before it, as in 15W, or LW for the last weekday"#),
        Invalid(expression: "0 0 0 L-31 * *", message: #"day-of-month: "L-31": L-n needs n 0-30 (days before the last day of the month)"#),
        Invalid(expression: "0 0 0 1#2 * *", message: #"day-of-month: "1#2": # is allowed only in day-of-week"#),
        Invalid(expression: "0 0 ? * * *", message: #"hour: "?": ? is allowed only in day-of-month and day-of-week"#),
        Invalid(expression: "0 0 0 ? * ?", message: #"day-of-week: "?": ? may stand in day-of-month or day-of-week, not both; write * in one of them"#),
        Invalid(expression: "0 0 0 ?,1 * *", message: #"day-of-month: "?": ? must be the whole field"#),
        Invalid(expression: "0 0 0 1,,2 * *", message: #"day-of-month: "1,,2": empty list element; separate values with single commas"#),
        Invalid(expression: "0 0 0 1- * *", message: #"day-of-month: "1-": missing value; write a value 1-31"#),
        Invalid(expression: "0 0 0 * * * 1969", message: #"year: "1969": must be 1970-2199"#),
        Invalid(expression: "0 0 0 * * * 2030-2026", message: #"year: "2030-2026": range start must not be after its end"#),
        Invalid(expression: "0 0 0 30 2 *", message: #"day-of-month: "30 2 *": no date ever matches day-of-month, month, day-of-week together; check the month lengths and the day-match rule"#),
        Invalid(expression: "0 0 0 29 2 * 2027", message: #"day-of-month: "29 2 * 2027": no date ever matches day-of-month, month, day-of-week and year together; check the month lengths and the day-match rule"#),
        Invalid(expression: "", message: #"cron: "": has 0 fields; write 5 (minute hour day-of-month month day-of-week), 6 (second first) or 7 (second first, year last), or a macro such as @daily"#),
        Invalid(expression: "* * * *", message: #"cron: "* * * *": has 4 fields; write 5 (minute hour day-of-month month day-of-week), 6 (second first) or 7 (second first, year last), or a macro such as @daily"#),
        Invalid(expression: "0 0 0 * * * * *", message: #"cron: "0 0 0 * * * * *": has 8 fields; write 5 (minute hour day-of-month month day-of-week), 6 (second first) or 7 (second first, year last), or a macro such as @daily"#),
        Invalid(expression: "@reboot", message: #"cron: "@reboot": unknown macro; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"#),
        Invalid(expression: "0 61 25 * * MON#6", message: "minute: \"61\": must be 0-59\nhour: \"25\": must be 0-23\nday-of-week: \"MON#6\": # must be 1-5"),
    ]

    @Test(arguments: invalid) func rejectsInvalidExpression(_ testCase: Invalid) {
        let dialect = CronExpression.Dialect(rawValue: testCase.dialect)!
        #expect {
            _ = try CronExpression(testCase.expression, dialect: dialect)
        } throws: { error in
            (error as? ScheduleError)?.description == testCase.message && (error as? ScheduleError)?.code == .invalidCron
        }
    }

    @Test func rejectionNamesTheToken() throws {
        do {
            _ = try CronExpression("0 0 9 ? * MON#6")
            Issue.record("expected a ScheduleError")
        } catch {
            #expect(error.problems == [.init(field: "day-of-week", token: "MON#6", reason: "# must be 1-5")])
        }
    }

    @Test func macrosExpand() throws {
        let pairs = [
            ("@yearly", "0 0 0 1 1 *"), ("@annually", "0 0 0 1 1 *"), ("@monthly", "0 0 0 1 * *"),
            ("@weekly", "0 0 0 * * 0"), ("@daily", "0 0 0 * * *"), ("@midnight", "0 0 0 * * *"), ("@hourly", "0 0 * * * *"),
        ]
        for (macro, expansion) in pairs {
            let fromMacro = try scheduleFires(ScheduleSpec(cron: macro), from: "2026-02-27T13:00:00Z", count: 3)
            let fromFields = try scheduleFires(ScheduleSpec(cron: expansion), from: "2026-02-27T13:00:00Z", count: 3)
            #expect(fromMacro == fromFields, "\(macro)")
        }
    }

    @Test func fiveFieldsMeanSecondZero() throws {
        #expect(try scheduleFires(ScheduleSpec(cron: "*/20 9 * * *"), from: "2026-01-01T00:00:00Z", count: 3)
            == ["2026-01-01T09:00:00Z", "2026-01-01T09:20:00Z", "2026-01-01T09:40:00Z"])
    }

    @Test func namesAreCaseInsensitive() throws {
        let lower = try scheduleFires(ScheduleSpec(cron: "0 0 9 * jan-mar mon-fri"), from: "2026-01-01T00:00:00Z", count: 5)
        let upper = try scheduleFires(ScheduleSpec(cron: "0 0 9 * JAN-MAR 1-5"), from: "2026-01-01T00:00:00Z", count: 5)
        #expect(lower == upper)
        #expect(lower.first == "2026-01-01T09:00:00Z")
    }

    @Test func sundayIsZeroOrSevenInLinux() throws {
        // 2026-03-01 is a Sunday.
        let zero = try scheduleFires(ScheduleSpec(cron: "0 0 9 * * 0"), from: "2026-02-27T00:00:00Z", count: 1)
        let seven = try scheduleFires(ScheduleSpec(cron: "0 0 9 * * 7"), from: "2026-02-27T00:00:00Z", count: 1)
        #expect(zero == ["2026-03-01T09:00:00Z"])
        #expect(seven == zero)
    }

    @Test func quartzNumbersWeekdaysFromSunday() throws {
        // XXL-JOB's "0 0 9 ? * 2" is Monday; in Linux numbering 2 is Tuesday.
        let quartz = try scheduleFires(
            ScheduleSpec(cron: "0 0 9 ? * 2", cronDialect: "quartz"), from: "2026-03-01T00:00:00Z", count: 1)
        let linux = try scheduleFires(ScheduleSpec(cron: "0 0 9 ? * 2"), from: "2026-03-01T00:00:00Z", count: 1)
        #expect(quartz == ["2026-03-02T09:00:00Z"])
        #expect(linux == ["2026-03-03T09:00:00Z"])
        let quartzLastFriday = try scheduleFires(
            ScheduleSpec(cron: "0 0 9 ? * 6L", cronDialect: "quartz"), from: "2026-03-01T00:00:00Z", count: 1)
        #expect(quartzLastFriday == ["2026-03-27T09:00:00Z"])
    }

    @Test func dayOfMonthOrDayOfWeek() throws {
        // 2026-06-01 is a Monday; later firsts that are Mondays: 2027-02-01, 2027-03-01, 2027-11-01.
        let either = try scheduleFires(ScheduleSpec(cron: "0 30 0 1 * MON"), from: "2026-06-01T00:00:00Z", count: 7)
        #expect(either == [
            "2026-06-01T00:30:00Z", "2026-06-08T00:30:00Z", "2026-06-15T00:30:00Z", "2026-06-22T00:30:00Z",
            "2026-06-29T00:30:00Z", "2026-07-01T00:30:00Z", "2026-07-06T00:30:00Z",
        ])
        let both = try scheduleFires(
            ScheduleSpec(cron: "0 30 0 1 * MON", dayMatch: "both"), from: "2026-06-01T00:00:00Z", count: 4)
        #expect(both == ["2026-06-01T00:30:00Z", "2027-02-01T00:30:00Z", "2027-03-01T00:30:00Z", "2027-11-01T00:30:00Z"])
    }

    @Test func starPrefixedStepCombinesWithAnd() throws {
        // As in Linux cron, "*/2" in day-of-month counts as unrestricted, so the fields combine
        // with "and": odd days that are Mondays. 2026-06-01 and 2026-06-15 are Mondays.
        let fires = try scheduleFires(ScheduleSpec(cron: "0 0 0 */2 * MON"), from: "2026-05-31T00:00:00Z", count: 3)
        #expect(fires == ["2026-06-01T00:00:00Z", "2026-06-15T00:00:00Z", "2026-06-29T00:00:00Z"])
    }

    @Test func leapYearLastDay() throws {
        let last = try scheduleFires(ScheduleSpec(cron: "0 0 0 L 2 *"), from: "2027-06-01T00:00:00Z", count: 3)
        #expect(last == ["2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z", "2030-02-28T00:00:00Z"])
        let leapDay = try scheduleFires(ScheduleSpec(cron: "0 0 0 29 2 *"), from: "2026-01-01T00:00:00Z", count: 2)
        #expect(leapDay == ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"])
        let beforeLast = try scheduleFires(ScheduleSpec(cron: "0 0 0 L-1 2 *"), from: "2028-01-01T00:00:00Z", count: 2)
        #expect(beforeLast == ["2028-02-28T00:00:00Z", "2029-02-27T00:00:00Z"])
    }

    @Test func nearestWeekdayStaysInMonth() throws {
        // 2026-01-31 is a Saturday: 31W is Friday the 30th, never February 2.
        #expect(try scheduleFires(ScheduleSpec(cron: "0 0 0 31W 1 *"), from: "2026-01-01T00:00:00Z", count: 1)
            == ["2026-01-30T00:00:00Z"])
        // 2026-08-01 is a Saturday: 1W is Monday the 3rd, never July 31.
        #expect(try scheduleFires(ScheduleSpec(cron: "0 0 0 1W 8 *"), from: "2026-01-01T00:00:00Z", count: 1)
            == ["2026-08-03T00:00:00Z"])
        // 2032-02-29 (leap day) is a Sunday: LW is Friday the 27th; 2028-02-29 is a Tuesday.
        #expect(try scheduleFires(ScheduleSpec(cron: "0 0 0 LW 2 *"), from: "2028-01-01T00:00:00Z", count: 1)
            == ["2028-02-29T00:00:00Z"])
        #expect(try scheduleFires(ScheduleSpec(cron: "0 0 0 LW 2 * 2032"), from: "2028-03-01T00:00:00Z", count: 1)
            == ["2032-02-27T00:00:00Z"])
        // 2026-02-28 is a Saturday: 28W is Friday the 27th.
        #expect(try scheduleFires(ScheduleSpec(cron: "0 0 0 28W 2 *"), from: "2026-01-01T00:00:00Z", count: 1)
            == ["2026-02-27T00:00:00Z"])
    }

    @Test func nthAndLastWeekday() throws {
        // Second Monday of March 2026 is the 9th; the last Friday is the 27th.
        #expect(try scheduleFires(ScheduleSpec(cron: "0 0 9 ? 3 MON#2"), from: "2026-01-01T00:00:00Z", count: 1)
            == ["2026-03-09T09:00:00Z"])
        #expect(try scheduleFires(ScheduleSpec(cron: "0 0 9 ? 3 5L"), from: "2026-01-01T00:00:00Z", count: 1)
            == ["2026-03-27T09:00:00Z"])
        // A fifth Monday exists only in some months: March 2026 has one on the 30th.
        #expect(try scheduleFires(ScheduleSpec(cron: "0 0 9 ? * MON#5"), from: "2026-01-01T00:00:00Z", count: 2)
            == ["2026-03-30T09:00:00Z", "2026-06-29T09:00:00Z"])
    }

    @Test func wrappingRanges() throws {
        #expect(try scheduleFires(ScheduleSpec(cron: "0 0 22-1 * * *"), from: "2026-01-01T00:30:00Z", count: 4)
            == ["2026-01-01T01:00:00Z", "2026-01-01T22:00:00Z", "2026-01-01T23:00:00Z", "2026-01-02T00:00:00Z"])
        // FRI-MON: Friday through Monday; 2026-01-02 is a Friday.
        #expect(try scheduleFires(ScheduleSpec(cron: "0 0 0 * * FRI-MON"), from: "2026-01-01T00:00:00Z", count: 4)
            == ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-05T00:00:00Z"])
    }

    @Test func stepsWithStart() throws {
        #expect(try scheduleFires(ScheduleSpec(cron: "10-50/20 * * * * *"), from: "2026-01-01T00:00:00Z", count: 4)
            == ["2026-01-01T00:00:10Z", "2026-01-01T00:00:30Z", "2026-01-01T00:00:50Z", "2026-01-01T00:01:10Z"])
        #expect(try scheduleFires(ScheduleSpec(cron: "0 45/10 * * * *"), from: "2026-01-01T00:00:00Z", count: 3)
            == ["2026-01-01T00:45:00Z", "2026-01-01T00:55:00Z", "2026-01-01T01:45:00Z"])
    }

    @Test func yearField() throws {
        #expect(try scheduleFires(ScheduleSpec(cron: "0 0 0 1 1 * 2027,2029"), from: "2026-01-01T00:00:00Z", count: 3)
            == ["2027-01-01T00:00:00Z", "2029-01-01T00:00:00Z"])
    }

    @Test func describesInEnglishAndChinese() throws {
        let expression = try CronExpression("0 30 9 * * MON-FRI")
        #expect(CronDescription.describe(expression) == "At 09:30:00, on Monday through Friday.")
        #expect(CronDescription.describe(expression, language: .chinese) == "在 09:30:00，每逢周一至周五。")
        let quartz = try CronExpression("0 0 9 ? * 2", dialect: .quartz)
        #expect(CronDescription.describe(quartz) == "At 09:00:00, on Monday.")
        let either = try CronExpression("0 30 0 1 * MON")
        #expect(CronDescription.describe(either) == "At 00:30:00, on day 1 of the month or on Monday.")
        let both = try CronExpression("0 30 0 1 * MON", dayMatch: .both)
        #expect(CronDescription.describe(both) == "At 00:30:00, on day 1 of the month if it is Monday.")
        #expect(CronDescription.describe(try CronExpression("*/15 * * * * *")) == "Every 15 seconds.")
        #expect(CronDescription.describe(try CronExpression("0 0 12 ? * 5L")) == "At 12:00:00, on the last Friday of the month.")
    }
}
