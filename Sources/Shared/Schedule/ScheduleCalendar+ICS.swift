import Foundation

extension ScheduleCalendar {
    /// The default `ics_workday_pattern`: the usual Chinese and English words for a make-up working
    /// day (补班, 上班, a standalone 班, "make-up work", "working day", "workday"), case-insensitive.
    public static let defaultICSWorkdayPattern =
        #"补班|(?<!不)上班|调休工作|(^|[\s(（\[【])班($|[\s)）\]】])|make[- ]?up (work|working)|\bworking ?day\b|\bwork ?day\b"#

    /// The last year an open-ended yearly event (`RRULE:FREQ=YEARLY` without `COUNT` or `UNTIL`) is expanded to.
    static let icsExpansionLastYear = 2100

    /// Creates a calendar from iCalendar text: every all-day event is a holiday, or a working date
    /// when its summary matches `workdayPattern`.
    ///
    /// Multi-day events cover `DTSTART` up to but excluding `DTEND` (or `DURATION` in days or weeks).
    /// Events with a time of day and cancelled events are ignored. `RRULE` supports `FREQ=YEARLY` with
    /// `INTERVAL`, `COUNT` and `UNTIL`. A date both inside a holiday event and in a working-date event
    /// is a working date. `holidays` and `workdays` are added to what the file lists.
    /// - Throws: ``ScheduleError`` with code `invalid_calendar` naming the line and the problem.
    public init(
        name: String, icsText: String, source: String? = nil, weekdays: Set<Int> = mondayToFriday,
        workdayPattern: String? = nil, holidays: Set<CivilDate> = [], workdays: Set<CivilDate> = []
    ) throws(ScheduleError) {
        let origin = source ?? "calendars.\(name)"
        let patternText = workdayPattern ?? Self.defaultICSWorkdayPattern
        let pattern: NSRegularExpression
        do {
            pattern = try NSRegularExpression(pattern: patternText, options: [.caseInsensitive])
        } catch {
            throw ScheduleError(
                code: .invalidCalendar, field: "calendars.\(name).ics_workday_pattern", token: patternText,
                reason: "not a valid regular expression (ICU syntax)")
        }

        let events = try ICSReader.events(in: icsText, origin: origin)
        var holidayDates = holidays
        var workdayDates = workdays
        for event in events {
            let summary = event.summary
            let range = NSRange(summary.startIndex..<summary.endIndex, in: summary)
            let isWorkday = pattern.firstMatch(in: summary, options: [], range: range) != nil
            for day in event.days {
                let date = CivilDate(daysSinceEpoch: day)
                if isWorkday { workdayDates.insert(date) } else { holidayDates.insert(date) }
            }
        }
        holidayDates.subtract(workdayDates)
        try self.init(name: name, weekdays: weekdays, holidays: holidayDates, workdays: workdayDates)
    }
}

/// Reads the all-day events of iCalendar (RFC 5545) text.
enum ICSReader {
    struct Event {
        var summary: String
        /// Covered days, as days since the Unix epoch.
        var days: [Int]
    }

    static func events(in text: String, origin: String) throws(ScheduleError) -> [Event] {
        func failure(_ line: Int, _ token: String, _ reason: String) -> ScheduleError {
            ScheduleError(code: .invalidCalendar, field: "\(origin):\(line)", token: token, reason: reason)
        }

        // Unfold continuation lines (a line starting with a space or tab continues the previous one).
        var lines: [(number: Int, text: String)] = []
        // Swift treats CR LF as one Character, so normalise line ends before splitting.
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        for (index, raw) in normalized.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            if let first = line.first, first == " " || first == "\t", !lines.isEmpty {
                lines[lines.count - 1].text += line.dropFirst()
            } else if !line.isEmpty {
                lines.append((index + 1, line))
            }
        }
        guard lines.first?.text.uppercased() == "BEGIN:VCALENDAR" else {
            throw failure(1, lines.first?.text ?? "", "not an iCalendar file; it must start with BEGIN:VCALENDAR")
        }

        var events: [Event] = []
        var current: [String: (number: Int, parameters: String, value: String)]?
        for (number, line) in lines {
            guard let colon = line.firstIndex(of: ":") else {
                throw failure(number, line, "not a content line; write NAME:VALUE")
            }
            let head = line[..<colon]
            let value = String(line[line.index(after: colon)...])
            let nameEnd = head.firstIndex(of: ";") ?? head.endIndex
            let name = head[..<nameEnd].uppercased()
            let parameters = String(head[nameEnd...]).uppercased()

            if name == "BEGIN" && value.uppercased() == "VEVENT" {
                current = [:]
            } else if name == "END" && value.uppercased() == "VEVENT" {
                guard let properties = current else { throw failure(number, line, "END:VEVENT without BEGIN:VEVENT") }
                current = nil
                if let event = try event(from: properties, failure: failure) { events.append(event) }
            } else if current != nil, current?[name] == nil {
                current?[name] = (number, parameters, value)
            }
        }
        return events
    }

    private static func event(
        from properties: [String: (number: Int, parameters: String, value: String)],
        failure: (Int, String, String) -> ScheduleError
    ) throws(ScheduleError) -> Event? {
        guard properties["STATUS"]?.value.uppercased() != "CANCELLED" else { return nil }
        guard let start = properties["DTSTART"] else { return nil }
        // Only all-day events mark days; an event with a time of day is ignored.
        guard start.parameters.contains("VALUE=DATE") && !start.parameters.contains("VALUE=DATE-TIME")
            || (start.value.count == 8 && !start.value.contains("T"))
        else { return nil }
        guard let startDay = date(start.value) else {
            throw failure(start.number, start.value, "not an iCalendar date; write YYYYMMDD")
        }

        var length = 1
        if let end = properties["DTEND"] {
            guard let endDay = date(end.value), endDay > startDay else {
                throw failure(end.number, end.value, "DTEND must be a date YYYYMMDD after DTSTART")
            }
            length = endDay - startDay
        } else if let duration = properties["DURATION"] {
            guard let days = durationDays(duration.value), days >= 1 else {
                throw failure(duration.number, duration.value, "DURATION of an all-day event must be PnD or PnW")
            }
            length = days
        }
        guard length <= 366 else {
            throw failure(start.number, start.value, "event longer than 366 days; check DTEND")
        }

        var firstDays = [startDay]
        if let rule = properties["RRULE"] {
            firstDays = try yearlyOccurrences(of: startDay, rule: rule.value) {
                failure(rule.number, rule.value, $0)
            }
        }
        var days: [Int] = []
        for first in firstDays { days += Array(first..<first + length) }
        let summary = unescape(properties["SUMMARY"]?.value ?? "")
        return Event(summary: summary, days: days)
    }

    /// Expands `FREQ=YEARLY` rules; other frequencies and BY parts are rejected.
    private static func yearlyOccurrences(
        of startDay: Int, rule: String, failure: (String) -> ScheduleError
    ) throws(ScheduleError) -> [Int] {
        var interval = 1
        var count: Int?
        var untilDay: Int?
        var frequency: String?
        for part in rule.uppercased().split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { throw failure("malformed RRULE part \"\(part)\"") }
            switch pair[0] {
            case "FREQ": frequency = pair[1]
            case "INTERVAL":
                guard let value = Int(pair[1]), value >= 1 else { throw failure("INTERVAL must be a positive integer") }
                interval = value
            case "COUNT":
                guard let value = Int(pair[1]), value >= 1 else { throw failure("COUNT must be a positive integer") }
                count = value
            case "UNTIL":
                guard let value = date(String(pair[1].prefix(8))) else { throw failure("UNTIL must start with YYYYMMDD") }
                untilDay = value
            case "WKST": break
            default:
                throw failure("RRULE part \(pair[0]) is not supported; list the dates as separate events")
            }
        }
        guard frequency == "YEARLY" else {
            throw failure("only FREQ=YEARLY is supported in RRULE; list other dates as separate events")
        }

        let start = CivilDate(daysSinceEpoch: startDay)
        var occurrences: [Int] = []
        var year = start.year
        while year <= ScheduleCalendar.icsExpansionLastYear, count.map({ occurrences.count < $0 }) ?? true {
            // February 29 recurs only in leap years (RFC 5545 skips invalid dates).
            if start.day <= CivilDate.daysInMonth(year: year, month: start.month) {
                let day = CivilDate(year: year, month: start.month, day: start.day).daysSinceEpoch
                if let untilDay, day > untilDay { break }
                occurrences.append(day)
            }
            year += interval
        }
        return occurrences
    }

    /// Parses `YYYYMMDD` into days since the Unix epoch.
    private static func date(_ text: String) -> Int? {
        guard text.count == 8, text.allSatisfy(\.isASCII), let value = Int(text) else { return nil }
        let (year, month, day) = (value / 10_000, value / 100 % 100, value % 100)
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysInMonth(year: year, month: month) else {
            return nil
        }
        return CivilDate(year: year, month: month, day: day).daysSinceEpoch
    }

    /// Parses `PnD` or `PnW` into days.
    private static func durationDays(_ text: String) -> Int? {
        let upper = text.uppercased()
        guard upper.hasPrefix("P"), let unit = upper.last, let number = Int(upper.dropFirst().dropLast()) else {
            return nil
        }
        switch unit {
        case "D": return number
        case "W": return number * 7
        default: return nil
        }
    }

    private static func unescape(_ text: String) -> String {
        var result = ""
        var escaping = false
        for character in text {
            if escaping {
                result.append(character == "n" || character == "N" ? "\n" : character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}
