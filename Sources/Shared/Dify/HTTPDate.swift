import Foundation

/// Parses the date formats that HTTP headers and older Dify responses carry.
///
/// Accepted: RFC 1123 / RFC 822 (`Fri, 04 Dec 2026 19:47:37 GMT`, with or without the weekday,
/// seconds optional, zone `GMT`, `UT`, `UTC`, `Z`, a US zone name or a numeric `+hhmm`),
/// RFC 850 (`Friday, 04-Dec-26 19:47:37 GMT`) and asctime (`Fri Dec  4 19:47:37 2026`).
/// Two-digit years below 50 are 20xx and others 19xx, following RFC 2822.
enum HTTPDate {
    static func parse(_ text: String) -> Date? {
        var tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).map(String.init)
        guard !tokens.isEmpty else { return nil }
        if let first = tokens.first, first.allSatisfy(\.isLetter), weekday(first) {
            tokens.removeFirst()
        }

        // RFC 850 puts the date in one token: 04-Dec-26.
        if let first = tokens.first, first.split(separator: "-").count == 3 {
            let parts = first.split(separator: "-").map(String.init)
            tokens.replaceSubrange(0..<1, with: parts)
        }

        var day: Int?
        var month: Int?
        var year: Int?
        var time: (Int, Int, Int)?
        var offsetSeconds = 0
        for token in tokens {
            if let parsed = clock(token), time == nil {
                time = parsed
            } else if let number = Int(token), token.allSatisfy(\.isNumber) {
                if day == nil && token.count <= 2 {
                    day = number  // The first short number is the day, before or after the month.
                } else if year == nil && token.count > 2 {
                    year = number
                } else if year == nil {
                    year = number < 50 ? 2000 + number : 1900 + number
                } else {
                    return nil
                }
            } else if let index = monthIndex(token), month == nil {
                month = index
            } else if let offset = zoneOffset(token) {
                offsetSeconds = offset
            } else {
                return nil
            }
        }

        guard let day, let month, let year, let time,
            (1...CivilDate.daysInMonth(year: year, month: month)).contains(day),
            time.0 < 24, time.1 < 60, time.2 < 61
        else { return nil }
        let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
        let seconds = days * 86_400 + time.0 * 3600 + time.1 * 60 + min(time.2, 59) - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds))
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    private static func weekday(_ token: String) -> Bool {
        days.contains(String(token.lowercased().prefix(3)))
    }

    private static func monthIndex(_ token: String) -> Int? {
        guard token.count >= 3, token.allSatisfy(\.isLetter) else { return nil }
        return months.firstIndex(of: String(token.lowercased().prefix(3))).map { $0 + 1 }
    }

    private static func clock(_ token: String) -> (Int, Int, Int)? {
        let parts = token.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3,
            parts.allSatisfy({ (1...2).contains($0.count) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        return (Int(parts[0])!, Int(parts[1])!, parts.count == 3 ? Int(parts[2])! : 0)
    }

    private static func zoneOffset(_ token: String) -> Int? {
        switch token.uppercased() {
        case "GMT", "UT", "UTC", "Z": return 0
        case "EST": return -5 * 3600
        case "EDT": return -4 * 3600
        case "CST": return -6 * 3600
        case "CDT": return -5 * 3600
        case "MST": return -7 * 3600
        case "MDT": return -6 * 3600
        case "PST": return -8 * 3600
        case "PDT": return -7 * 3600
        default: break
        }
        let bytes = Array(token.utf8)
        guard bytes.count == 5, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"),
            let value = Int(token.dropFirst()), token.dropFirst().allSatisfy(\.isNumber)
        else { return nil }
        let seconds = (value / 100) * 3600 + (value % 100) * 60
        return bytes[0] == UInt8(ascii: "-") ? -seconds : seconds
    }
}
