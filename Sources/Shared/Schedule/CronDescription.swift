/// Describes a ``CronExpression`` in words, in English or Simplified Chinese.
///
/// Weekdays are always named (`Monday`, `周一`), so the numbering difference between the Linux and
/// Quartz dialects is visible: `0 0 9 * * 1` reads "Monday" in Linux cron and "Sunday" in Quartz.
public enum CronDescription {
    public enum Language: String, Sendable, CaseIterable {
        case english = "en"
        case chinese = "zh-CN"
    }

    /// Returns one sentence describing when `expression` fires.
    public static func describe(_ expression: CronExpression, language: Language = .english) -> String {
        let words = language == .english ? Words.english : Words.chinese
        var parts: [String] = []

        let time = timePhrase(expression, words)
        parts.append(time.text)
        if let days = dayPhrase(expression, words), days != words.everyDay || time.isFixed { parts.append(days) }
        if !isEvery(expression.monthItems) {
            parts.append(words.inMonths(list(expression.monthItems, words, name: { words.months[$0 - 1] })))
        }
        if !expression.yearItems.isEmpty && !isEvery(expression.yearItems) {
            parts.append(words.inYears(list(expression.yearItems, words, name: { String($0) })))
        }
        return words.sentence(parts)
    }

    // MARK: - Phrases

    private static func isEvery(_ items: [CronExpression.Item]) -> Bool {
        items == [.every(step: 1)] || items == [.unspecified]
    }

    private static func singleValue(_ items: [CronExpression.Item]) -> Int? {
        if items.count == 1, case .value(let value) = items[0] { return value }
        return nil
    }

    /// Returns the time-of-day phrase and whether it names fixed times of day.
    private static func timePhrase(_ expression: CronExpression, _ words: Words) -> (text: String, isFixed: Bool) {
        let second = singleValue(expression.secondItems)
        let minute = singleValue(expression.minuteItems)
        let hourValues: [Int]? = expression.hourItems.allSatisfy {
            if case .value = $0 { return true }
            return false
        } ? expression.hourItems.compactMap { if case .value(let v) = $0 { return v } else { return nil } } : nil

        // Fixed times of day: "at 09:30:00" or "at 09:00:00 and 18:00:00".
        if let second, let minute, let hours = hourValues {
            let times = hours.map { String(format2($0)) + ":" + format2(minute) + ":" + format2(second) }
            return (words.atTimes(words.join(times)), true)
        }

        // "every minute" after "every 15 seconds" adds nothing, so an open field is left out
        // once a finer field has been described.
        var pieces: [String] = []
        let fields = [
            (expression.secondItems, words.second), (expression.minuteItems, words.minute),
            (expression.hourItems, words.hour),
        ]
        for (items, unit) in fields where !(items == [.every(step: 1)] && !pieces.isEmpty) {
            pieces.append(fieldPhrase(items, unit: unit, words))
        }
        return (words.timeFields(pieces), false)
    }

    private static func fieldPhrase(_ items: [CronExpression.Item], unit: Words.Unit, _ words: Words) -> String {
        if items == [.every(step: 1)] { return words.everyUnit(unit) }
        if items.count == 1, case .every(let step) = items[0] { return words.everyNUnits(step, unit) }
        return words.unitList(unit, list(items, words, name: { unit.zeroPadded ? format2($0) : String($0) }))
    }

    private static func dayPhrase(_ expression: CronExpression, _ words: Words) -> String? {
        let dayOfMonth: String? =
            expression.dayOfMonthRestricted || !isEvery(expression.dayOfMonthItems)
            ? dayOfMonthPhrase(expression.dayOfMonthItems, words) : nil
        let dayOfWeek: String? =
            expression.dayOfWeekRestricted || !isEvery(expression.dayOfWeekItems)
            ? dayOfWeekPhrase(expression, words) : nil

        switch (dayOfMonth, dayOfWeek) {
        case (nil, nil): return words.everyDay
        case (let phrase?, nil), (nil, let phrase?): return phrase
        case (let monthDays?, let weekDays?):
            let either = expression.dayOfMonthRestricted && expression.dayOfWeekRestricted && expression.dayMatch == .either
            return either ? words.either(monthDays, weekDays) : words.both(monthDays, weekDays)
        }
    }

    private static func dayOfMonthPhrase(_ items: [CronExpression.Item], _ words: Words) -> String {
        let phrases = items.map { item -> String in
            switch item {
            case .lastDay(0): return words.lastDay
            case .lastDay(let offset): return words.daysBeforeLast(offset)
            case .nearestWeekday(let day): return words.nearestWeekday(day)
            case .lastWeekday: return words.lastWeekday
            default: return list([item], words, name: words.dayNumber)
            }
        }
        return words.monthDays(words.join(phrases))
    }

    private static func dayOfWeekPhrase(_ expression: CronExpression, _ words: Words) -> String {
        let dialect = expression.dialect
        let phrases = expression.dayOfWeekItems.map { item -> String in
            switch item {
            case .nthWeekday(let weekday, let n): return words.nthWeekday(n, words.weekdays[weekday])
            case .lastWeekdayOfMonth(let weekday): return words.lastWeekdayOfMonth(words.weekdays[weekday])
            default:
                return list([item], words, name: { words.weekdays[CronParser.normalizedWeekday($0, dialect: dialect)] })
            }
        }
        return words.weekDays(words.join(phrases))
    }

    /// Lists values, ranges and steps with `name` for each value.
    private static func list(_ items: [CronExpression.Item], _ words: Words, name: (Int) -> String) -> String {
        words.join(
            items.compactMap { item -> String? in
                switch item {
                case .value(let value): return name(value)
                case .range(let low, let high, 1): return words.range(name(low), name(high))
                case .range(let low, let high, let step): return words.steppedRange(name(low), name(high), step)
                case .every(1): return words.any
                case .every(let step): return words.everyNth(step)
                default: return nil
                }
            })
    }

    private static func format2(_ value: Int) -> String {
        value < 10 ? "0\(value)" : String(value)
    }
}

/// The phrases of one language.
private struct Words {
    struct Unit {
        var singular: String
        var plural: String
        var zeroPadded: Bool
    }

    var second: Unit
    var minute: Unit
    var hour: Unit
    var months: [String]
    var weekdays: [String]
    var everyDay: String
    var lastDay: String
    var lastWeekday: String
    var any: String
    var join: ([String]) -> String
    var sentence: ([String]) -> String
    var atTimes: (String) -> String
    var timeFields: ([String]) -> String
    var everyUnit: (Unit) -> String
    var everyNUnits: (Int, Unit) -> String
    var unitList: (Unit, String) -> String
    var inMonths: (String) -> String
    var inYears: (String) -> String
    var either: (String, String) -> String
    var both: (String, String) -> String
    var daysBeforeLast: (Int) -> String
    var nearestWeekday: (Int) -> String
    var monthDays: (String) -> String
    var weekDays: (String) -> String
    var nthWeekday: (Int, String) -> String
    var lastWeekdayOfMonth: (String) -> String
    var range: (String, String) -> String
    var steppedRange: (String, String, Int) -> String
    var everyNth: (Int) -> String
    var dayNumber: (Int) -> String

    static func ordinal(_ n: Int) -> String {
        let suffix =
            (11...13).contains(n % 100) ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th"
        return "\(n)\(suffix)"
    }

    static var english: Words {
        Words(
        second: Unit(singular: "second", plural: "seconds", zeroPadded: false),
        minute: Unit(singular: "minute", plural: "minutes", zeroPadded: false),
        hour: Unit(singular: "hour", plural: "hours", zeroPadded: true),
        months: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"],
        weekdays: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        everyDay: "every day",
        lastDay: "the last day",
        lastWeekday: "the last weekday",
        any: "every value",
        join: { items in
            items.count <= 1 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
        },
        sentence: { parts in
            let text = parts.joined(separator: ", ")
            return text.prefix(1).uppercased() + text.dropFirst() + "."
        },
        atTimes: { "at \($0)" },
        timeFields: { $0.joined(separator: ", ") },
        everyUnit: { "every \($0.singular)" },
        everyNUnits: { "every \($0) \($1.plural)" },
        unitList: { "\($0.singular) \($1)" },
        inMonths: { "in \($0)" },
        inYears: { "in \($0)" },
        either: { "\($0) or \($1)" },
        both: { "\($0) if it is \($1.replacingOccurrences(of: "on ", with: ""))" },
        daysBeforeLast: { "\($0) days before the last day" },
        nearestWeekday: { "the weekday nearest day \($0)" },
        monthDays: { "on \($0) of the month" },
        weekDays: { "on \($0)" },
        nthWeekday: { "the \(ordinal($0)) \($1) of the month" },
        lastWeekdayOfMonth: { "the last \($0) of the month" },
        range: { "\($0) through \($1)" },
        steppedRange: { "every \(ordinal($2)) from \($0) through \($1)" },
        everyNth: { "every \(ordinal($0))" },
        dayNumber: { "day \($0)" }
    )
    }

    static var chinese: Words {
        Words(
        second: Unit(singular: "秒", plural: "秒", zeroPadded: false),
        minute: Unit(singular: "分", plural: "分钟", zeroPadded: false),
        hour: Unit(singular: "时", plural: "小时", zeroPadded: true),
        months: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
        weekdays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        everyDay: "每天",
        lastDay: "最后一天",
        lastWeekday: "最后一个工作日（周一至周五）",
        any: "每个值",
        join: { $0.joined(separator: "、") },
        sentence: { $0.joined(separator: "，") + "。" },
        atTimes: { "在 \($0)" },
        timeFields: { $0.joined(separator: "，") },
        everyUnit: { "每\($0.singular)" },
        everyNUnits: { "每 \($0) \($1.plural)" },
        unitList: { "第 \($1) \($0.singular)" },
        inMonths: { "限 \($0)" },
        inYears: { "限 \($0) 年" },
        either: { "\($0)或\($1)" },
        both: { "\($0)且为\($1)" },
        daysBeforeLast: { "倒数第 \($0 + 1) 天" },
        nearestWeekday: { "离 \($0) 日最近的工作日（周一至周五）" },
        monthDays: { "每月\($0)" },
        weekDays: { "每逢\($0)" },
        nthWeekday: { "第 \($0) 个\($1)" },
        lastWeekdayOfMonth: { "最后一个\($0)" },
        range: { "\($0)至\($1)" },
        steppedRange: { "\($0)至\($1)每隔 \($2)" },
        everyNth: { "每隔 \($0)" },
        dayNumber: { "\($0)日" }
    )
    }
}
