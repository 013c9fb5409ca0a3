import Foundation

/// Formats instants as local time in a zone, for `next --local` and the console.
public enum LocalTimeText {
    /// Formats `date` as `2026-03-29T03:00:00+02:00` in `zone`, with milliseconds when it has a fraction.
    public static func format(_ date: Date, zone: ZoneRules) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = milliseconds.floorDivided(by: 1000)
        let offset = zone.offset(at: seconds)
        let local = seconds + offset
        let day = CivilDate(daysSinceEpoch: Int(local.floorDivided(by: 86_400)))
        let secondOfDay = Int(local - Int64(day.daysSinceEpoch) * 86_400)

        var text = "\(day)T" + pad(secondOfDay / 3600) + ":" + pad(secondOfDay / 60 % 60) + ":" + pad(secondOfDay % 60)
        let fraction = Int(milliseconds - seconds * 1000)
        if fraction != 0 { text += "." + String(fraction + 1000).dropFirst() }

        let sign = offset < 0 ? "-" : "+"
        let magnitude = Int(abs(offset))
        text += sign + pad(magnitude / 3600) + ":" + pad(magnitude / 60 % 60)
        if magnitude % 60 != 0 { text += ":" + pad(magnitude % 60) }
        return text
    }

    /// Returns the English weekday name of `date`'s local day in `zone`, such as `Sunday`.
    public static func weekdayName(_ date: Date, zone: ZoneRules) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let local = seconds + zone.offset(at: seconds)
        let names = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        return names[CivilDate(daysSinceEpoch: Int(local.floorDivided(by: 86_400))).weekday]
    }

    private static func pad(_ value: Int) -> String {
        value < 10 ? "0\(value)" : String(value)
    }
}
