import Foundation

/// A named working-day calendar: a weekday set, holiday dates and extra working dates.
///
/// A day is a working day when its weekday is in `weekdays` and it is not a holiday, or when it is
/// listed in `workdays` (make-up working days, which many countries move onto weekends). A job with
/// `calendar: NAME` fires only on working days; with `calendar_mode: exclude` it never fires on the
/// holiday dates and ignores the weekday set and working dates.
///
/// ```swift
/// let calendar = try ScheduleCalendar(
///     name: "cn-workdays", weekdayNames: ["MON", "TUE", "WED", "THU", "FRI"],
///     holidays: ["2026-10-01"], workdays: ["2026-09-27"])
/// ```
public struct ScheduleCalendar: Sendable, Hashable {
    public let name: String
    /// Working weekdays, 0 = Sunday … 6 = Saturday.
    public let weekdays: Set<Int>
    public let holidays: Set<CivilDate>
    public let workdays: Set<CivilDate>

    private let weekdayBits: UInt64
    /// Holiday days (bits 1-31) by `year * 12 + month - 1`.
    private let holidayMasks: [Int: UInt64]
    /// Working-date days (bits 1-31) by `year * 12 + month - 1`.
    private let workdayMasks: [Int: UInt64]

    /// Monday to Friday.
    public static let mondayToFriday: Set<Int> = [1, 2, 3, 4, 5]

    /// Creates a calendar from parsed values.
    /// - Throws: ``ScheduleError`` with code `invalid_calendar` when a date is both a holiday and a working date.
    public init(
        name: String, weekdays: Set<Int>, holidays: Set<CivilDate> = [], workdays: Set<CivilDate> = []
    ) throws(ScheduleError) {
        let conflicts = holidays.intersection(workdays).sorted()
        guard conflicts.isEmpty else {
            throw ScheduleError(
                code: .invalidCalendar, field: "calendars.\(name)",
                token: conflicts.map(\.description).joined(separator: ", "),
                reason: "listed in both holidays and workdays; keep each date in one list")
        }
        guard weekdays.allSatisfy({ (0...6).contains($0) }) else {
            throw ScheduleError(
                code: .invalidCalendar, field: "calendars.\(name).weekdays",
                token: weekdays.sorted().map(String.init).joined(separator: ","), reason: "weekdays must be 0-6")
        }
        self.name = name
        self.weekdays = weekdays
        self.holidays = holidays
        self.workdays = workdays
        weekdayBits = weekdays.reduce(0) { $0 | 1 << UInt64($1) }
        holidayMasks = Self.masks(holidays)
        workdayMasks = Self.masks(workdays)
    }

    /// Creates a calendar from configuration values: weekday names (`MON` or `Monday`, any case) and
    /// `YYYY-MM-DD` dates. Omitted weekdays mean Monday to Friday.
    /// - Throws: ``ScheduleError`` with code `invalid_calendar` listing every bad value.
    public init(
        name: String, weekdayNames: [String]? = nil, holidays: [String] = [], workdays: [String] = []
    ) throws(ScheduleError) {
        var problems: [ScheduleError.Problem] = []
        var weekdays = Self.mondayToFriday
        if let weekdayNames {
            weekdays = []
            for text in weekdayNames {
                if let weekday = Self.weekday(named: text) {
                    weekdays.insert(weekday)
                } else {
                    problems.append(
                        .init(
                            field: "calendars.\(name).weekdays", token: text,
                            reason: "not a weekday name; use MON, TUE, WED, THU, FRI, SAT or SUN"))
                }
            }
        }
        func dates(_ texts: [String], list: String) -> Set<CivilDate> {
            var result: Set<CivilDate> = []
            for text in texts {
                if let date = CivilDate(text.trimmingCharacters(in: .whitespaces)) {
                    result.insert(date)
                } else {
                    problems.append(
                        .init(
                            field: "calendars.\(name).\(list)", token: text,
                            reason: "not a valid date; write YYYY-MM-DD, such as 2026-10-01"))
                }
            }
            return result
        }
        let holidayDates = dates(holidays, list: "holidays")
        let workdayDates = dates(workdays, list: "workdays")
        guard problems.isEmpty else { throw ScheduleError(code: .invalidCalendar, problems: problems) }
        try self.init(name: name, weekdays: weekdays, holidays: holidayDates, workdays: workdayDates)
    }

    /// Returns 0 = Sunday … 6 = Saturday for `SUN`, `sunday` and the like.
    public static func weekday(named text: String) -> Int? {
        let upper = text.trimmingCharacters(in: .whitespaces).uppercased()
        let full = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
        return CronParser.weekdayNames.firstIndex(of: upper) ?? full.firstIndex(of: upper)
    }

    private static func masks(_ dates: Set<CivilDate>) -> [Int: UInt64] {
        var masks: [Int: UInt64] = [:]
        for date in dates { masks[date.year * 12 + date.month - 1, default: 0] |= 1 << UInt64(date.day) }
        return masks
    }

    // MARK: - Queries

    /// Returns whether `date` is a working day.
    public func isWorkingDay(_ date: CivilDate) -> Bool {
        workingDays(year: date.year, month: date.month, candidates: 1 << UInt64(date.day)) != 0
    }

    /// Returns whether `date` is listed as a holiday.
    public func isHoliday(_ date: CivilDate) -> Bool {
        holidays.contains(date)
    }

    /// Returns the working days among `candidates` (bits 1-31) of a month.
    func workingDays(year: Int, month: Int, candidates: UInt64) -> UInt64 {
        let key = year * 12 + month - 1
        let firstWeekday = CivilDate(year: year, month: month, day: 1).weekday
        var byWeekday: UInt64 = 0
        var remaining = candidates
        while remaining != 0 {
            let day = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            if weekdayBits & (1 << UInt64((firstWeekday + day - 1) % 7)) != 0 { byWeekday |= 1 << UInt64(day) }
        }
        let holidays = holidayMasks[key] ?? 0
        let workdays = workdayMasks[key] ?? 0
        return candidates & ((byWeekday & ~holidays) | workdays)
    }

    /// Returns the days among `candidates` (bits 1-31) of a month that are not holidays.
    func nonHolidays(year: Int, month: Int, candidates: UInt64) -> UInt64 {
        candidates & ~(holidayMasks[year * 12 + month - 1] ?? 0)
    }

    // MARK: - Files

    /// Loads a calendar from an iCalendar (`.ics`) file or a YAML file holding `weekdays`,
    /// `holidays` and `workdays` (and optionally `ics_workday_pattern` for .ics files beside it).
    /// - Throws: ``ScheduleError`` with code `invalid_calendar` naming the file and the problem.
    public static func load(contentsOfFile path: String, name: String? = nil) throws(ScheduleError) -> ScheduleCalendar {
        let calendarName = name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScheduleError(
                code: .invalidCalendar, field: "calendar", token: path,
                reason: "file not found or unreadable; give the path of an .ics or YAML calendar file")
        }
        let text = String(decoding: data, as: UTF8.self)
        if path.lowercased().hasSuffix(".ics") || text.hasPrefix("BEGIN:VCALENDAR") {
            return try ScheduleCalendar(name: calendarName, icsText: text, source: path)
        }
        let values = try CalendarFileReader.read(text, path: path)
        return try ScheduleCalendar(
            name: calendarName, weekdayNames: values.weekdays, holidays: values.holidays, workdays: values.workdays)
    }
}
