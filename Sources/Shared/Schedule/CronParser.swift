import Foundation

/// Parses cron expressions into ``CronExpression``, collecting every problem before failing.
enum CronParser {
    /// One cron field: its name in messages, its bounds and the names it accepts.
    struct Field {
        var name: String
        var minimum: Int
        var maximum: Int
        var names: [String] = []
        /// Added to a name's index: JAN is 1, and SUN is 0 (Linux) or 1 (Quartz).
        var nameBase = 0
        var allowed: String

        /// The number of values in the field, the largest meaningful step.
        var span: Int { maximum - minimum + 1 }
    }

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let weekdayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    static let macros: [String: String] = [
        "@yearly": "0 0 0 1 1 *", "@annually": "0 0 0 1 1 *", "@monthly": "0 0 0 1 * *",
        "@weekly": "0 0 0 * * SUN", "@daily": "0 0 0 * * *", "@midnight": "0 0 0 * * *", "@hourly": "0 0 * * * *",
    ]

    static func fields(dialect: CronExpression.Dialect) -> [Field] {
        let dayOfWeek =
            switch dialect {
            case .linux:
                Field(
                    name: "day-of-week", minimum: 0, maximum: 7, names: weekdayNames, nameBase: 0,
                    allowed: "0-7 (0 and 7 are Sunday) or SUN-SAT")
            case .quartz:
                Field(
                    name: "day-of-week", minimum: 1, maximum: 7, names: weekdayNames, nameBase: 1,
                    allowed: "1-7 (1 is Sunday, cron_dialect quartz) or SUN-SAT")
            }
        return [
            Field(name: "second", minimum: 0, maximum: 59, allowed: "0-59"),
            Field(name: "minute", minimum: 0, maximum: 59, allowed: "0-59"),
            Field(name: "hour", minimum: 0, maximum: 23, allowed: "0-23"),
            Field(name: "day-of-month", minimum: 1, maximum: 31, allowed: "1-31"),
            Field(name: "month", minimum: 1, maximum: 12, names: monthNames, nameBase: 1, allowed: "1-12 or JAN-DEC"),
            dayOfWeek,
            Field(
                name: "year", minimum: CronExpression.minYear, maximum: CronExpression.maxYear,
                allowed: "\(CronExpression.minYear)-\(CronExpression.maxYear)"),
        ]
    }

    static func parse(
        _ text: String, dialect: CronExpression.Dialect, dayMatch: CronExpression.DayMatch
    ) throws(ScheduleError) -> CronExpression {
        var expression = CronExpression(source: text, dialect: dialect, dayMatch: dayMatch)
        var problems: [ScheduleError.Problem] = []

        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if let first = words.first, first.hasPrefix("@") {
            guard words.count == 1, let expansion = macros[first.lowercased()] else {
                throw ScheduleError(
                    code: .invalidCron, field: "cron", token: trimmed,
                    reason: "unknown macro; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly")
            }
            words = expansion.split(separator: " ").map(String.init)
        }
        switch words.count {
        case 5: words.insert("0", at: 0)
        case 6, 7: break
        default:
            throw ScheduleError(
                code: .invalidCron, field: "cron", token: trimmed,
                reason: "has \(words.count) fields; write 5 (minute hour day-of-month month day-of-week), "
                    + "6 (second first) or 7 (second first, year last), or a macro such as @daily")
        }

        let specs = fields(dialect: dialect)
        var itemLists: [[CronExpression.Item]] = []
        for (index, word) in words.enumerated() {
            itemLists.append(parseField(word, spec: specs[index], dialect: dialect, problems: &problems))
        }

        if words[3] == "?" && words[5] == "?" {
            problems.append(
                .init(
                    field: "day-of-week", token: "?",
                    reason: "? may stand in day-of-month or day-of-week, not both; write * in one of them"))
        }
        guard problems.isEmpty else { throw ScheduleError(code: .invalidCron, problems: problems) }

        expression.secondItems = itemLists[0]
        expression.minuteItems = itemLists[1]
        expression.hourItems = itemLists[2]
        expression.dayOfMonthItems = itemLists[3]
        expression.monthItems = itemLists[4]
        expression.dayOfWeekItems = itemLists[5]
        expression.yearItems = words.count == 7 ? itemLists[6] : []

        expression.seconds = bits(itemLists[0], spec: specs[0])
        expression.minutes = bits(itemLists[1], spec: specs[1])
        expression.hours = bits(itemLists[2], spec: specs[2])
        expression.months = bits(itemLists[4], spec: specs[4])
        expression.daysOfMonth = bits(itemLists[3], spec: specs[3])
        expression.daysOfWeek = weekdayBits(itemLists[5], spec: specs[5], dialect: dialect)
        for item in itemLists[3] {
            switch item {
            case .lastDay(let offset): expression.lastDayOffsets |= 1 << UInt64(offset)
            case .nearestWeekday(let day): expression.nearestWeekdays |= 1 << UInt64(day)
            case .lastWeekday: expression.hasLastWeekday = true
            default: break
            }
        }
        for item in itemLists[5] {
            switch item {
            case .nthWeekday(let weekday, let n): expression.nthWeekdays |= 1 << UInt64(weekday * 5 + n - 1)
            case .lastWeekdayOfMonth(let weekday): expression.lastWeekdaysOfMonth |= 1 << UInt64(weekday)
            default: break
            }
        }
        if words.count == 7 {
            var years = [UInt64](repeating: 0, count: 4)
            for year in values(itemLists[6], spec: specs[6]) {
                let offset = year - CronExpression.minYear
                years[offset >> 6] |= 1 << UInt64(offset & 63)
            }
            expression.years = years
        }
        // `?` leaves its day field open, like `*`.
        if itemLists[3] == [.unspecified] { expression.daysOfMonth = 0xFFFF_FFFE }
        if itemLists[5] == [.unspecified] { expression.daysOfWeek = 0x7F }
        expression.dayOfMonthRestricted = !(words[3].hasPrefix("*") || words[3].hasPrefix("?"))
        expression.dayOfWeekRestricted = !(words[5].hasPrefix("*") || words[5].hasPrefix("?"))
        expression.weekdayPatterns = (0..<7).map { firstWeekday in
            var pattern: UInt64 = 0
            for day in 1...31 where expression.daysOfWeek & (1 << UInt64((firstWeekday + day - 1) % 7)) != 0 {
                pattern |= 1 << UInt64(day)
            }
            return pattern
        }

        try checkSatisfiable(expression, words: words)
        return expression
    }

    /// Rejects expressions whose day fields can never match, such as `0 0 0 30 2 *`.
    ///
    /// Without a year field, the 28 years from 2000 hold every combination of leap year and
    /// weekday of January 1 that the day fields can depend on.
    private static func checkSatisfiable(_ expression: CronExpression, words: [String]) throws(ScheduleError) {
        let candidateYears: [Int] =
            expression.years == nil
            ? Array(2000..<2028)
            : (CronExpression.minYear...CronExpression.maxYear).filter(expression.allowsYear)
        for year in candidateYears {
            for month in 1...12 where expression.months & (1 << UInt64(month)) != 0 {
                if expression.dayMask(year: year, month: month) != 0 { return }
            }
        }
        let token = words.count == 7 ? words[3...6].joined(separator: " ") : words[3...5].joined(separator: " ")
        throw ScheduleError(
            code: .invalidCron, field: "day-of-month", token: token,
            reason: "no date ever matches day-of-month, month, day-of-week"
                + (words.count == 7 ? " and year" : "") + " together; check the month lengths and the day-match rule")
    }

    // MARK: - Fields

    private static func parseField(
        _ word: String, spec: Field, dialect: CronExpression.Dialect, problems: inout [ScheduleError.Problem]
    ) -> [CronExpression.Item] {
        var items: [CronExpression.Item] = []
        let elements = word.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for element in elements {
            func fail(_ reason: String) {
                problems.append(.init(field: spec.name, token: element, reason: reason))
            }
            if element.isEmpty {
                problems.append(.init(field: spec.name, token: word, reason: "empty list element; separate values with single commas"))
                continue
            }
            if let item = parseElement(element.uppercased(), spec: spec, dialect: dialect, fail: fail) {
                if item == .unspecified && elements.count > 1 {
                    fail("? must be the whole field")
                    continue
                }
                items.append(item)
            }
        }
        return items
    }

    private static func parseElement(
        _ element: String, spec: Field, dialect: CronExpression.Dialect, fail: (String) -> Void
    ) -> CronExpression.Item? {
        let isDayOfMonth = spec.name == "day-of-month"
        let isDayOfWeek = spec.name == "day-of-week"

        if element == "?" {
            guard isDayOfMonth || isDayOfWeek else {
                fail("? is allowed only in day-of-month and day-of-week")
                return nil
            }
            return .unspecified
        }

        // Specials of day-of-month: L, L-n, LW, nW.
        if isDayOfMonth {
            if element == "L" { return .lastDay(offset: 0) }
            if element == "LW" { return .lastWeekday }
            if element.hasPrefix("L-") {
                guard let offset = Int(element.dropFirst(2)), (0...30).contains(offset) else {
                    fail("L-n needs n 0-30 (days before the last day of the month)")
                    return nil
                }
                return .lastDay(offset: offset)
            }
            if element.hasSuffix("W") {
                guard let day = Int(element.dropLast()), (1...31).contains(day) else {
                    fail("W needs a day 1-31 before it, as in 15W, or LW for the last weekday")
                    return nil
                }
                return .nearestWeekday(day)
            }
        } else if element.contains("W") && !spec.names.contains(where: { element.contains($0) }) {
            fail("W is allowed only in day-of-month")
            return nil
        }

        // Specials of day-of-week: L (Saturday), dL, d#n.
        if isDayOfWeek {
            if element == "L" { return .value(dialect == .linux ? 6 : 7) }
            if element.hasSuffix("L") {
                guard let weekday = value(String(element.dropLast()), spec: spec) else {
                    fail("L after a weekday needs a weekday \(spec.allowed), as in 5L or FRIL")
                    return nil
                }
                return .lastWeekdayOfMonth(normalizedWeekday(weekday, dialect: dialect))
            }
            if let hash = element.firstIndex(of: "#") {
                guard let weekday = value(String(element[..<hash]), spec: spec) else {
                    fail("# needs a weekday \(spec.allowed) before it, as in MON#2")
                    return nil
                }
                guard let n = Int(element[element.index(after: hash)...]), (1...5).contains(n) else {
                    fail("# must be 1-5")
                    return nil
                }
                return .nthWeekday(weekday: normalizedWeekday(weekday, dialect: dialect), n: n)
            }
        } else if element.contains("#") {
            fail("# is allowed only in day-of-week")
            return nil
        }
        if !isDayOfMonth && !isDayOfWeek && element.contains("L") && !spec.names.contains(where: { element.contains($0) }) {
            fail("L is allowed only in day-of-month and day-of-week")
            return nil
        }

        // Plain values, ranges and steps.
        let parts = element.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            fail("more than one /; write start/step or start-end/step")
            return nil
        }
        var step = 1
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (1...spec.span).contains(parsed) else {
                fail("step must be 1-\(spec.span)")
                return nil
            }
            step = parsed
        }

        let base = String(parts[0])
        if base == "*" { return .every(step: step) }
        let bounds = base.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        switch bounds.count {
        case 1:
            guard let single = value(bounds[0], spec: spec) else {
                fail(valueReason(bounds[0], spec: spec))
                return nil
            }
            return parts.count == 2 ? .range(single, spec.maximum, step: step) : .value(single)
        case 2:
            guard let low = value(bounds[0], spec: spec) else {
                fail(valueReason(bounds[0], spec: spec))
                return nil
            }
            guard let high = value(bounds[1], spec: spec) else {
                fail(valueReason(bounds[1], spec: spec))
                return nil
            }
            if low > high && spec.name == "year" {
                fail("range start must not be after its end")
                return nil
            }
            return .range(low, high, step: step)
        default:
            fail("not a value or range; write a value \(spec.allowed), a range such as 1-5, or a step such as */15")
            return nil
        }
    }

    private static func valueReason(_ text: String, spec: Field) -> String {
        if text.isEmpty { return "missing value; write a value \(spec.allowed)" }
        if Int(text) != nil { return "must be \(spec.allowed)" }
        return "not a number\(spec.names.isEmpty ? "" : " or name"); use \(spec.allowed)"
    }

    /// Parses a number within the field's bounds or one of its names.
    private static func value(_ text: String, spec: Field) -> Int? {
        if let index = spec.names.firstIndex(of: text) { return index + spec.nameBase }
        guard !text.isEmpty, text.utf8.count <= 4, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let number = Int(text),
            (spec.minimum...spec.maximum).contains(number)
        else { return nil }
        return number
    }

    /// Converts a written weekday to 0 = Sunday … 6 = Saturday.
    static func normalizedWeekday(_ value: Int, dialect: CronExpression.Dialect) -> Int {
        dialect == .linux ? value % 7 : value - 1
    }

    /// Returns the written values an item list covers, expanding steps and wrapping ranges.
    static func values(_ items: [CronExpression.Item], spec: Field) -> [Int] {
        var result: [Int] = []
        for item in items {
            switch item {
            case .every(let step):
                result += Array(stride(from: spec.minimum, through: spec.maximum, by: step))
            case .value(let value):
                result.append(value)
            case .range(let low, let high, let step):
                if low <= high {
                    result += Array(stride(from: low, through: high, by: step))
                } else {
                    // A wrapping range such as FRI-MON or 22-2 runs to the maximum and on from the minimum.
                    let sequence = Array(low...spec.maximum) + Array(spec.minimum...high)
                    result += stride(from: 0, to: sequence.count, by: step).map { sequence[$0] }
                }
            default:
                break
            }
        }
        return result
    }

    private static func bits(_ items: [CronExpression.Item], spec: Field) -> UInt64 {
        values(items, spec: spec).reduce(0) { $0 | 1 << UInt64($1) }
    }

    private static func weekdayBits(_ items: [CronExpression.Item], spec: Field, dialect: CronExpression.Dialect) -> UInt64 {
        values(items, spec: spec).reduce(0) { $0 | 1 << UInt64(normalizedWeekday($1, dialect: dialect)) }
    }
}
