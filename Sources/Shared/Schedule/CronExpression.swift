import Synchronization

/// A parsed cron expression: the sets of local times it matches, without any time zone.
///
/// Fields are bit sets, so matching is a handful of bit operations. Weekdays are stored 0 = Sunday
/// … 6 = Saturday whatever the dialect they were written in. ``nextMatch(from:before:calendar:)``
/// finds the first matching local wall-clock time in a range; ``CompiledSchedule`` maps local
/// times to instants through the zone's rules.
public struct CronExpression: Sendable, Hashable {
    /// Numbering of day-of-week values.
    public enum Dialect: String, Sendable, CaseIterable {
        /// 0-7, where 0 and 7 are Sunday (Linux cron).
        case linux
        /// 1-7, where 1 is Sunday and 7 is Saturday (Quartz, XXL-JOB).
        case quartz
    }

    /// How day-of-month and day-of-week combine when both are restricted.
    public enum DayMatch: String, Sendable, CaseIterable {
        /// A day matches if either field matches (Linux cron).
        case either
        /// A day matches only if both fields match.
        case both
    }

    /// One element of a field's list, kept for ``CronDescription``.
    public enum Item: Sendable, Hashable {
        /// `*` or `*/step`.
        case every(step: Int)
        case value(Int)
        /// `a-b`, `a-b/step` or `a/step` (through the field's maximum); `a > b` wraps around.
        case range(Int, Int, step: Int)
        /// `?`.
        case unspecified
        /// `L` or `L-n` in day-of-month.
        case lastDay(offset: Int)
        /// `nW` in day-of-month.
        case nearestWeekday(Int)
        /// `LW` in day-of-month.
        case lastWeekday
        /// `d#n` in day-of-week: the n-th weekday d (0 = Sunday) of the month.
        case nthWeekday(weekday: Int, n: Int)
        /// `dL` in day-of-week: the last weekday d (0 = Sunday) of the month.
        case lastWeekdayOfMonth(Int)
    }

    /// The expression as written.
    public let source: String
    public let dialect: Dialect
    public let dayMatch: DayMatch

    public internal(set) var secondItems: [Item] = []
    public internal(set) var minuteItems: [Item] = []
    public internal(set) var hourItems: [Item] = []
    public internal(set) var dayOfMonthItems: [Item] = []
    public internal(set) var monthItems: [Item] = []
    public internal(set) var dayOfWeekItems: [Item] = []
    /// Empty when the expression has no year field.
    public internal(set) var yearItems: [Item] = []

    var seconds: UInt64 = 0
    var minutes: UInt64 = 0
    var hours: UInt64 = 0
    /// Bits 1-31.
    var daysOfMonth: UInt64 = 0
    /// Bits 1-12.
    var months: UInt64 = 0
    /// Bits 0-6, 0 = Sunday.
    var daysOfWeek: UInt64 = 0
    /// Bits 0-30 are offsets n of `L-n`.
    var lastDayOffsets: UInt64 = 0
    /// Bits 1-31 are days n of `nW`.
    var nearestWeekdays: UInt64 = 0
    var hasLastWeekday = false
    /// Bit `weekday * 5 + n - 1` for `weekday#n`.
    var nthWeekdays: UInt64 = 0
    /// Bits 0-6 for `weekdayL`.
    var lastWeekdaysOfMonth: UInt64 = 0
    /// Offsets 0...(maxYear - minYear) when the expression has a year field.
    var years: [UInt64]?
    /// A field counts as unrestricted for the either/both rule when it starts with `*` or `?`,
    /// as in Linux cron: `*/2` in day-of-month makes the two day fields combine with "and".
    var dayOfMonthRestricted = false
    var dayOfWeekRestricted = false
    /// For each weekday of the 1st of a month, the days 1-31 whose weekday is in `daysOfWeek`.
    var weekdayPatterns: [UInt64] = []

    static let minYear = 1970
    static let maxYear = 2199

    init(source: String, dialect: Dialect, dayMatch: DayMatch) {
        self.source = source
        self.dialect = dialect
        self.dayMatch = dayMatch
    }

    /// Parses `text`: 5 fields (second 0), 6 fields, 6 fields and a year, or a macro such as `@daily`.
    /// - Throws: ``ScheduleError`` with code `invalid_cron` listing every bad token.
    public init(_ text: String, dialect: Dialect = .linux, dayMatch: DayMatch = .either) throws(ScheduleError) {
        self = try CronParser.parse(text, dialect: dialect, dayMatch: dayMatch)
    }

    private struct CacheKey: Hashable {
        var text: String
        var dialect: Dialect
        var dayMatch: DayMatch
    }

    /// Parsed expressions by text, so that many jobs with one expression share its storage.
    private static let cache = Mutex<[CacheKey: CronExpression]>([:])
    private static let cacheLimit = 4096

    /// Parses `text` like ``init(_:dialect:dayMatch:)``, reusing an earlier parse of the same text.
    /// - Throws: ``ScheduleError`` with code `invalid_cron` listing every bad token.
    public static func cached(
        _ text: String, dialect: Dialect = .linux, dayMatch: DayMatch = .either
    ) throws(ScheduleError) -> CronExpression {
        let key = CacheKey(text: text, dialect: dialect, dayMatch: dayMatch)
        if let hit = cache.withLock({ $0[key] }) { return hit }

        let expression = try CronExpression(text, dialect: dialect, dayMatch: dayMatch)
        cache.withLock { table in
            // A full table is dropped whole: rare, and cheaper than tracking use.
            if table.count >= cacheLimit { table.removeAll(keepingCapacity: true) }
            table[key] = expression
        }
        return expression
    }

    // MARK: - Matching

    /// Returns whether the year is allowed by the year field.
    func allowsYear(_ year: Int) -> Bool {
        guard let years else { return true }
        let offset = year - Self.minYear
        guard offset >= 0, year <= Self.maxYear else { return false }
        return years[offset >> 6] & (1 << UInt64(offset & 63)) != 0
    }

    /// Returns the days (bits 1-31) of `month` in `year` matched by the day fields, before any calendar.
    func dayMask(year: Int, month: Int) -> UInt64 {
        let length = CivilDate.daysInMonth(year: year, month: month)
        let valid: UInt64 = ((1 << UInt64(length + 1)) - 1) & ~1
        let firstWeekday = CivilDate(year: year, month: month, day: 1).weekday

        var dayOfMonthMask = daysOfMonth & valid
        if lastDayOffsets != 0 {
            for offset in 0..<31 where lastDayOffsets & (1 << UInt64(offset)) != 0 && length - offset >= 1 {
                dayOfMonthMask |= 1 << UInt64(length - offset)
            }
        }
        if nearestWeekdays != 0 {
            for day in 1...31 where nearestWeekdays & (1 << UInt64(day)) != 0 && day <= length {
                dayOfMonthMask |= 1 << UInt64(Self.nearestWeekday(to: day, length: length, firstWeekday: firstWeekday))
            }
        }
        if hasLastWeekday {
            dayOfMonthMask |= 1 << UInt64(Self.nearestWeekday(to: length, length: length, firstWeekday: firstWeekday))
        }

        var dayOfWeekMask = weekdayPatterns[firstWeekday] & valid
        if nthWeekdays != 0 {
            for weekday in 0..<7 {
                let first = 1 + (weekday - firstWeekday + 7) % 7
                for n in 1...5 where nthWeekdays & (1 << UInt64(weekday * 5 + n - 1)) != 0 {
                    let day = first + 7 * (n - 1)
                    if day <= length { dayOfWeekMask |= 1 << UInt64(day) }
                }
            }
        }
        if lastWeekdaysOfMonth != 0 {
            let lastWeekday = (firstWeekday + length - 1) % 7
            for weekday in 0..<7 where lastWeekdaysOfMonth & (1 << UInt64(weekday)) != 0 {
                dayOfWeekMask |= 1 << UInt64(length - (lastWeekday - weekday + 7) % 7)
            }
        }

        if dayOfMonthRestricted && dayOfWeekRestricted {
            return dayMatch == .either ? dayOfMonthMask | dayOfWeekMask : dayOfMonthMask & dayOfWeekMask
        }
        return dayOfMonthMask & dayOfWeekMask
    }

    /// Returns the weekday (Monday to Friday) nearest to `day`, never leaving the month (Quartz's `W`).
    static func nearestWeekday(to day: Int, length: Int, firstWeekday: Int) -> Int {
        let weekday = (firstWeekday + day - 1) % 7
        switch weekday {
        case 6: return day == 1 ? 3 : day - 1  // Saturday: Friday before, or Monday the 3rd.
        case 0: return day == length ? day - 2 : day + 1  // Sunday: Monday after, or Friday before.
        default: return day
        }
    }

    /// Returns the first local wall-clock time at or after `from` and before `before` that the
    /// expression matches on a day `allowsDay` accepts, as seconds since 1970-01-01T00:00 local.
    ///
    /// `allowsDay` receives a year, a month and the candidate days (bits 1-31) and returns the
    /// subset it allows; a calendar uses it.
    func nextMatch(from: Int64, before: Int64, allowsDay: ((Int, Int, UInt64) -> UInt64)?) -> Int64? {
        guard from < before else { return nil }
        let startDay = Int(from.floorDivided(by: 86_400))
        let startSecond = Int(from - Int64(startDay) * 86_400)
        let startDate = CivilDate(daysSinceEpoch: startDay)

        var year = startDate.year
        var month = startDate.month
        var day = startDate.day
        var hour = startSecond / 3600
        var minute = startSecond / 60 % 60
        var second = startSecond % 60
        let lastYear = CivilDate(daysSinceEpoch: Int(before.floorDivided(by: 86_400))).year

        func startOfDayIsPast() -> Bool {
            Int64(CivilDate(year: year, month: month, day: day).daysSinceEpoch) * 86_400 >= before
        }

        while year <= lastYear {
            guard allowsYear(year) else {
                year += 1
                (month, day, hour, minute, second) = (1, 1, 0, 0, 0)
                continue
            }
            guard months & (1 << UInt64(month)) != 0 else {
                if let next = Self.nextBit(months, from: month + 1, through: 12) {
                    month = next
                } else {
                    year += 1
                    month = 1
                }
                (day, hour, minute, second) = (1, 0, 0, 0)
                continue
            }

            var days = dayMask(year: year, month: month) & ~((1 << UInt64(day)) - 1)
            if let allowsDay, days != 0 { days = allowsDay(year, month, days) }
            guard days != 0 else {
                month += 1
                if month > 12 {
                    month = 1
                    year += 1
                }
                (day, hour, minute, second) = (1, 0, 0, 0)
                continue
            }
            let matchedDay = days.trailingZeroBitCount
            if matchedDay > day {
                day = matchedDay
                (hour, minute, second) = (0, 0, 0)
            }
            if startOfDayIsPast() { return nil }

            guard let secondOfDay = nextTimeOfDay(hour: hour, minute: minute, second: second) else {
                day += 1
                if day > CivilDate.daysInMonth(year: year, month: month) {
                    day = 1
                    month += 1
                    if month > 12 {
                        month = 1
                        year += 1
                    }
                }
                (hour, minute, second) = (0, 0, 0)
                continue
            }

            let local = Int64(CivilDate(year: year, month: month, day: day).daysSinceEpoch) * 86_400 + Int64(secondOfDay)
            return local < before ? local : nil
        }
        return nil
    }

    /// Returns the first matching time of day at or after the given one, in seconds after midnight.
    private func nextTimeOfDay(hour: Int, minute: Int, second: Int) -> Int? {
        var (hour, minute, second) = (hour, minute, second)
        while let matchedHour = Self.nextBit(hours, from: hour, through: 23) {
            if matchedHour > hour { (hour, minute, second) = (matchedHour, 0, 0) }
            if let matchedMinute = Self.nextBit(minutes, from: minute, through: 59) {
                if matchedMinute > minute { (minute, second) = (matchedMinute, 0) }
                if let matchedSecond = Self.nextBit(seconds, from: second, through: 59) {
                    return hour * 3600 + minute * 60 + matchedSecond
                }
                if let laterMinute = Self.nextBit(minutes, from: minute + 1, through: 59) {
                    return hour * 3600 + laterMinute * 60 + seconds.trailingZeroBitCount
                }
            }
            (hour, minute, second) = (hour + 1, 0, 0)
        }
        return nil
    }

    /// Returns the lowest set bit at or above `from` and at most `through`.
    static func nextBit(_ bits: UInt64, from: Int, through: Int) -> Int? {
        guard from <= through else { return nil }
        let candidates = bits & ~((1 << UInt64(from)) - 1) & (through >= 63 ? ~0 : (1 << UInt64(through + 1)) - 1)
        return candidates == 0 ? nil : candidates.trailingZeroBitCount
    }
}

extension Int64 {
    /// Division rounding toward negative infinity.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
