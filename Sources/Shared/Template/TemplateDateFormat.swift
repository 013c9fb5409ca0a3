/// A compiled `date` filter format such as `yyyy-MM-dd HH:mm`, applied to a ``TemplateTime``.
///
/// The letters follow the Unicode (ICU) date field symbols that Java, Swift and most template
/// languages share, but only the fixed-width, locale-free subset: English month and weekday
/// names, ISO 8601 weeks (weeks start on Monday, week 1 contains the first Thursday). Any other
/// ASCII letter is rejected when the format is compiled, so a typo never reaches a fire. Text
/// in single quotes is literal and `''` is one quote; other characters are copied as written.
///
/// | Letters | Meaning | Example |
/// |---|---|---|
/// | `yyyy` `yy` `y` | year, two-digit year, year unpadded | 2026, 26, 2026 |
/// | `YYYY` | ISO week-based year | 2026 |
/// | `MMMM` `MMM` `MM` `M` | month name, short name, number | March, Mar, 03, 3 |
/// | `dd` `d` | day of month | 09, 9 |
/// | `DDD` `D` | day of year | 068, 68 |
/// | `ww` `w` | ISO week number | 09, 9 |
/// | `EEEE` `EEE` `e` | weekday name, short name, ISO number (Monday = 1) | Monday, Mon, 1 |
/// | `HH` `H` `hh` `h` `a` | hour 0-23, hour 1-12, AM or PM | 21, 9, PM |
/// | `mm` `m` `ss` `s` `SSS` | minute, second, millisecond | 05, 5, 007 |
/// | `xxx` `xx` `XXX` | UTC offset: +08:00, +0800, Z for zero | +08:00 |
/// | `VV` | zone name | Asia/Shanghai |
public struct TemplateDateFormat: Sendable, Hashable {
    enum Field: Hashable {
        case literal(String)
        case year(width: Int)
        case weekYear
        case monthName(short: Bool)
        case month(padded: Bool)
        case day(padded: Bool)
        case dayOfYear(padded: Bool)
        case week(padded: Bool)
        case weekdayName(short: Bool)
        case weekdayNumber
        case hour(padded: Bool)
        case hour12(padded: Bool)
        case meridiem
        case minute(padded: Bool)
        case second(padded: Bool)
        case millisecond
        case offset(colon: Bool, zulu: Bool)
        case zoneName
    }

    static let rfc3339Pattern = "yyyy-MM-dd'T'HH:mm:ssxxx"

    /// The format as written.
    public let pattern: String
    let fields: [Field]

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    ]
    static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// Letter runs this format accepts, for error messages.
    static let acceptedRuns = "yyyy yy y YYYY MMMM MMM MM M dd d DDD D ww w EEEE EEE e HH H hh h a mm m ss s SSS xxx xx XXX VV"

    /// Compiles `pattern`.
    ///
    /// - Throws: a reason naming the unknown letters or the unclosed quote, and the fix.
    public init(_ pattern: String) throws(TemplateFormatProblem) {
        guard !pattern.isEmpty else {
            throw TemplateFormatProblem(reason: "the format is empty, so the value would render as nothing: write fields such as \"yyyy-MM-dd\", or remove the date filter")
        }
        self.pattern = pattern
        var fields: [Field] = []
        var literal = ""
        let characters = Array(pattern)
        var index = 0

        func flushLiteral() {
            if !literal.isEmpty { fields.append(.literal(literal)) }
            literal = ""
        }

        while index < characters.count {
            let character = characters[index]
            if character == "'" {
                // A quoted run; '' inside or outside quotes is one quote.
                if index + 1 < characters.count, characters[index + 1] == "'" {
                    literal.append("'")
                    index += 2
                    continue
                }
                var end = index + 1
                var quoted = ""
                var closed = false
                while end < characters.count {
                    if characters[end] == "'" {
                        if end + 1 < characters.count, characters[end + 1] == "'" {
                            quoted.append("'")
                            end += 2
                            continue
                        }
                        closed = true
                        break
                    }
                    quoted.append(characters[end])
                    end += 1
                }
                guard closed else {
                    throw TemplateFormatProblem(reason: "the quote at position \(index + 1) is not closed: end literal text with ' (write '' for a quote)")
                }
                literal += quoted
                index = end + 1
                continue
            }
            guard character.isASCII, character.isLetter else {
                literal.append(character)
                index += 1
                continue
            }

            var run = 1
            while index + run < characters.count, characters[index + run] == character { run += 1 }
            guard let field = Self.field(letter: character, count: run) else {
                throw TemplateFormatProblem(
                    reason: "\"\(String(repeating: character, count: run))\" is not a format field: use \(Self.acceptedRuns), and quote literal text as in 'T' or 'week '")
            }
            flushLiteral()
            fields.append(field)
            index += run
        }
        flushLiteral()
        self.fields = fields
    }

    private static func field(letter: Character, count: Int) -> Field? {
        switch (letter, count) {
        case ("y", 4): .year(width: 4)
        case ("y", 2): .year(width: 2)
        case ("y", 1): .year(width: 1)
        case ("Y", 4): .weekYear
        case ("M", 4): .monthName(short: false)
        case ("M", 3): .monthName(short: true)
        case ("M", 2): .month(padded: true)
        case ("M", 1): .month(padded: false)
        case ("d", 2): .day(padded: true)
        case ("d", 1): .day(padded: false)
        case ("D", 3): .dayOfYear(padded: true)
        case ("D", 1): .dayOfYear(padded: false)
        case ("w", 2): .week(padded: true)
        case ("w", 1): .week(padded: false)
        case ("E", 4): .weekdayName(short: false)
        case ("E", 3): .weekdayName(short: true)
        case ("e", 1): .weekdayNumber
        case ("H", 2): .hour(padded: true)
        case ("H", 1): .hour(padded: false)
        case ("h", 2): .hour12(padded: true)
        case ("h", 1): .hour12(padded: false)
        case ("a", 1): .meridiem
        case ("m", 2): .minute(padded: true)
        case ("m", 1): .minute(padded: false)
        case ("s", 2): .second(padded: true)
        case ("s", 1): .second(padded: false)
        case ("S", 3): .millisecond
        case ("x", 3): .offset(colon: true, zulu: false)
        case ("x", 2): .offset(colon: false, zulu: false)
        case ("X", 3): .offset(colon: true, zulu: true)
        case ("V", 2): .zoneName
        default: nil
        }
    }

    /// Formats `time` on its zone's wall clock.
    public func format(_ time: TemplateTime) -> String {
        var output = ""
        for field in fields {
            switch field {
            case .literal(let text): output += text
            case .year(let width):
                switch width {
                case 4: output += Self.pad(time.date.year, 4)
                case 2: output += Self.pad(((time.date.year % 100) + 100) % 100, 2)
                default: output += String(time.date.year)
                }
            case .weekYear: output += Self.pad(Self.isoWeek(of: time.date).year, 4)
            case .monthName(let short):
                let name = Self.monthNames[time.date.month - 1]
                output += short ? String(name.prefix(3)) : name
            case .month(let padded): output += padded ? Self.pad(time.date.month, 2) : String(time.date.month)
            case .day(let padded): output += padded ? Self.pad(time.date.day, 2) : String(time.date.day)
            case .dayOfYear(let padded):
                let day = time.date.daysSinceEpoch - CivilDate(year: time.date.year, month: 1, day: 1).daysSinceEpoch + 1
                output += padded ? Self.pad(day, 3) : String(day)
            case .week(let padded):
                let week = Self.isoWeek(of: time.date).week
                output += padded ? Self.pad(week, 2) : String(week)
            case .weekdayName(let short):
                let name = Self.weekdayNames[time.date.weekday]
                output += short ? String(name.prefix(3)) : name
            case .weekdayNumber: output += String(time.date.weekday == 0 ? 7 : time.date.weekday)
            case .hour(let padded): output += padded ? Self.pad(time.hour, 2) : String(time.hour)
            case .hour12(let padded):
                let hour = time.hour % 12 == 0 ? 12 : time.hour % 12
                output += padded ? Self.pad(hour, 2) : String(hour)
            case .meridiem: output += time.hour < 12 ? "AM" : "PM"
            case .minute(let padded): output += padded ? Self.pad(time.minute, 2) : String(time.minute)
            case .second(let padded): output += padded ? Self.pad(time.second, 2) : String(time.second)
            case .millisecond: output += Self.pad(time.millisecond, 3)
            case .offset(let colon, let zulu):
                if zulu && time.offsetSeconds == 0 {
                    output += "Z"
                } else {
                    let magnitude = abs(time.offsetSeconds) / 60
                    output += (time.offsetSeconds < 0 ? "-" : "+") + Self.pad(magnitude / 60, 2) + (colon ? ":" : "") + Self.pad(magnitude % 60, 2)
                }
            case .zoneName: output += time.zone.identifier
            }
        }
        return output
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(abs(value))
        let padded = digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        return value < 0 ? "-" + padded : padded
    }

    /// Returns the ISO 8601 week-based year and week number of `date`.
    static func isoWeek(of date: CivilDate) -> (year: Int, week: Int) {
        let isoWeekday = date.weekday == 0 ? 7 : date.weekday
        // The Thursday of the same ISO week decides its year.
        let thursday = CivilDate(daysSinceEpoch: date.daysSinceEpoch - isoWeekday + 4)
        let firstDay = CivilDate(year: thursday.year, month: 1, day: 1).daysSinceEpoch
        return (thursday.year, (thursday.daysSinceEpoch - firstDay) / 7 + 1)
    }
}

/// The reason a `date` format does not compile.
public struct TemplateFormatProblem: Error, Sendable, Hashable {
    public var reason: String
}
