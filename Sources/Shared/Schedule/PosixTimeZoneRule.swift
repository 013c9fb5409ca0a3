/// A POSIX TZ rule such as `CET-1CEST,M3.5.0,M10.5.0/3`, as found in the footer of TZif files.
///
/// Offsets are stored east of UTC (POSIX writes them west). Transition times follow RFC 8536's
/// extension: hours may range from -167 to 167. A rule with a daylight-saving name but no dates
/// uses the US rule `M3.2.0,M11.1.0`, as POSIX implementations do.
struct PosixTimeZoneRule: Sendable {
    enum RuleDate: Sendable {
        /// `Jn`: day 1-365, never counting February 29.
        case julianNoLeap(Int)
        /// `n`: day 0-365, counting February 29.
        case zeroBased(Int)
        /// `Mm.w.d`: weekday d (0 = Sunday) of week w (5 = last) of month m.
        case monthWeekDay(month: Int, week: Int, weekday: Int)
    }

    struct DaylightSavingRule: Sendable {
        var offset: Int64
        var startDate: RuleDate
        /// Seconds after local midnight, in standard time.
        var startTime: Int64
        var endDate: RuleDate
        /// Seconds after local midnight, in daylight-saving time.
        var endTime: Int64
    }

    var standardOffset: Int64
    var daylightSaving: DaylightSavingRule?

    var hasDaylightSavingTime: Bool { daylightSaving != nil }

    // MARK: - Parsing

    init?(_ text: String) {
        var scanner = Scanner(Array(text.utf8))
        guard scanner.skipName(), let standard = scanner.offset() else { return nil }
        standardOffset = -standard

        if scanner.atEnd {
            daylightSaving = nil
            return
        }
        guard scanner.skipName() else { return nil }
        var dstOffset = standardOffset + 3600
        if let value = scanner.peekIsOffsetStart ? scanner.offset() : nil { dstOffset = -value }

        var startDate = RuleDate.monthWeekDay(month: 3, week: 2, weekday: 0)
        var endDate = RuleDate.monthWeekDay(month: 11, week: 1, weekday: 0)
        var startTime: Int64 = 7200
        var endTime: Int64 = 7200
        if scanner.consume(UInt8(ascii: ",")) {
            guard let start = scanner.ruleDate() else { return nil }
            startDate = start
            if scanner.consume(UInt8(ascii: "/")) {
                guard let time = scanner.offset() else { return nil }
                startTime = time
            }
            guard scanner.consume(UInt8(ascii: ",")), let end = scanner.ruleDate() else { return nil }
            endDate = end
            if scanner.consume(UInt8(ascii: "/")) {
                guard let time = scanner.offset() else { return nil }
                endTime = time
            }
        }
        guard scanner.atEnd else { return nil }
        daylightSaving = DaylightSavingRule(
            offset: dstOffset, startDate: startDate, startTime: startTime, endDate: endDate, endTime: endTime)
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        var atEnd: Bool { index >= bytes.count }

        var peekIsOffsetStart: Bool {
            guard let byte = bytes.dropFirst(index).first else { return false }
            return byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || (byte >= 48 && byte <= 57)
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// Skips `<+0545>` or an alphabetic name of at least three letters.
        mutating func skipName() -> Bool {
            if consume(UInt8(ascii: "<")) {
                guard let close = bytes[index...].firstIndex(of: UInt8(ascii: ">")) else { return false }
                index = close + 1
                return true
            }
            let start = index
            while index < bytes.count, (bytes[index] | 0x20) >= 97, (bytes[index] | 0x20) <= 122 { index += 1 }
            return index - start >= 3
        }

        mutating func number(maxDigits: Int) -> Int64? {
            let start = index
            var value: Int64 = 0
            while index < bytes.count, index - start < maxDigits, bytes[index] >= 48, bytes[index] <= 57 {
                value = value * 10 + Int64(bytes[index] - 48)
                index += 1
            }
            return index > start ? value : nil
        }

        /// Reads `[+-]hh[:mm[:ss]]` as seconds, keeping the written sign.
        mutating func offset() -> Int64? {
            var sign: Int64 = 1
            if consume(UInt8(ascii: "-")) { sign = -1 } else { _ = consume(UInt8(ascii: "+")) }
            guard let hours = number(maxDigits: 3), hours <= 167 else { return nil }
            var seconds = hours * 3600
            if consume(UInt8(ascii: ":")) {
                guard let minutes = number(maxDigits: 2), minutes < 60 else { return nil }
                seconds += minutes * 60
                if consume(UInt8(ascii: ":")) {
                    guard let secs = number(maxDigits: 2), secs < 60 else { return nil }
                    seconds += secs
                }
            }
            return sign * seconds
        }

        mutating func ruleDate() -> RuleDate? {
            if consume(UInt8(ascii: "J")) {
                guard let day = number(maxDigits: 3), (1...365).contains(day) else { return nil }
                return .julianNoLeap(Int(day))
            }
            if consume(UInt8(ascii: "M")) {
                guard let month = number(maxDigits: 2), (1...12).contains(month), consume(UInt8(ascii: ".")),
                    let week = number(maxDigits: 1), (1...5).contains(week), consume(UInt8(ascii: ".")),
                    let weekday = number(maxDigits: 1), weekday <= 6
                else { return nil }
                return .monthWeekDay(month: Int(month), week: Int(week), weekday: Int(weekday))
            }
            guard let day = number(maxDigits: 3), day <= 365 else { return nil }
            return .zeroBased(Int(day))
        }
    }

    // MARK: - Transitions

    /// Returns the day of `date` in `year`, as days since the Unix epoch.
    private static func day(of date: RuleDate, year: Int) -> Int64 {
        let january1 = CivilDate(year: year, month: 1, day: 1).daysSinceEpoch
        switch date {
        case .julianNoLeap(let day):
            let leapShift = CivilDate.isLeapYear(year) && day >= 60 ? 1 : 0
            return Int64(january1 + day - 1 + leapShift)
        case .zeroBased(let day):
            return Int64(january1 + day)
        case .monthWeekDay(let month, let week, let weekday):
            let first = CivilDate(year: year, month: month, day: 1)
            var day = 1 + (weekday - first.weekday + 7) % 7 + 7 * (week - 1)
            let length = CivilDate.daysInMonth(year: year, month: month)
            while day > length { day -= 7 }
            return Int64(first.daysSinceEpoch + day - 1)
        }
    }

    /// Returns the two transitions of `year`, ascending, each with the offset it switches to.
    func transitions(year: Int) -> [(instant: Int64, offset: Int64)] {
        guard let dst = daylightSaving else { return [] }
        let start = Self.day(of: dst.startDate, year: year) * 86_400 + dst.startTime - standardOffset
        let end = Self.day(of: dst.endDate, year: year) * 86_400 + dst.endTime - dst.offset
        let pair = [(instant: start, offset: dst.offset), (instant: end, offset: standardOffset)]
        return start <= end ? pair : [pair[1], pair[0]]
    }

    /// Returns the period containing `instant` for instants past the precomputed table.
    func period(containing instant: Int64, notBefore tableEnd: Int64, previousTableOffset: Int64) -> ZoneRules.Period {
        let year = CivilDate(daysSinceEpoch: Int(instant / 86_400)).year
        var all: [(instant: Int64, offset: Int64)] = []
        for candidate in (year - 1)...(year + 1) { all += transitions(year: candidate) }
        all.removeAll { $0.instant <= tableEnd }

        // Collapse transitions that keep the offset (permanent daylight-saving rules do that).
        var changes: [(instant: Int64, offset: Int64)] = []
        var current = previousTableOffset
        for transition in all where transition.offset != current {
            changes.append(transition)
            current = transition.offset
        }

        guard let index = changes.lastIndex(where: { $0.instant <= instant }) else {
            let end = changes.first?.instant ?? .max
            return ZoneRules.Period(
                start: tableEnd, end: end, offset: previousTableOffset, previousOffset: previousTableOffset)
        }
        let previous = index > 0 ? changes[index - 1].offset : previousTableOffset
        let end = index + 1 < changes.count ? changes[index + 1].instant : Int64.max
        return ZoneRules.Period(
            start: changes[index].instant, end: end, offset: changes[index].offset, previousOffset: previous)
    }
}
