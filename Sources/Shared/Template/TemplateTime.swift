import Foundation

/// An instant seen on the wall clock of one IANA zone: the value of time placeholders such as
/// `scheduled_at` and `previous_day.start`.
///
/// The civil fields come from the schedule engine's ``ZoneRules`` (TZif data), never from
/// Foundation's calendars, so formatting does not depend on the host's locale or ICU version.
public struct TemplateTime: Sendable, Hashable {
    /// Milliseconds since the Unix epoch.
    public let epochMilliseconds: Int64
    public let zone: ZoneRules
    /// The local calendar date.
    public let date: CivilDate
    /// Seconds since local midnight, 0 to 86,399.
    public let secondOfDay: Int
    /// Milliseconds within the second, 0 to 999.
    public let millisecond: Int
    /// The zone's offset east of UTC at this instant, in seconds.
    public let offsetSeconds: Int

    public init(_ instant: Date, zone: ZoneRules) {
        self.init(epochMilliseconds: Int64((instant.timeIntervalSince1970 * 1000).rounded(.down)), zone: zone)
    }

    public init(epochMilliseconds: Int64, zone: ZoneRules) {
        self.epochMilliseconds = epochMilliseconds
        self.zone = zone
        let seconds = Self.floorDivide(epochMilliseconds, 1000)
        let offset = zone.offset(at: seconds)
        let local = seconds + offset
        let days = Self.floorDivide(local, 86_400)
        self.date = CivilDate(daysSinceEpoch: Int(days))
        self.secondOfDay = Int(local - days * 86_400)
        self.millisecond = Int(epochMilliseconds - seconds * 1000)
        self.offsetSeconds = Int(offset)
    }

    public var instant: Date { Date(timeIntervalSince1970: Double(epochMilliseconds) / 1000) }
    public var hour: Int { secondOfDay / 3600 }
    public var minute: Int { secondOfDay / 60 % 60 }
    public var second: Int { secondOfDay % 60 }

    /// The first instant of local `date` at `secondOfDay` in `zone`.
    ///
    /// A local time inside a gap (clocks moved forward) maps to the end of the gap; a local time
    /// that occurs twice (clocks moved back) maps to its first occurrence.
    public static func firstInstant(of date: CivilDate, secondOfDay: Int = 0, in zone: ZoneRules) -> TemplateTime {
        let local = Int64(date.daysSinceEpoch) * 86_400 + Int64(secondOfDay)
        let seconds: Int64
        switch zone.resolve(local: local) {
        case .unique(let instant): seconds = instant
        case .gap(let end): seconds = end
        case .overlap(let first, _): seconds = first
        }
        return TemplateTime(epochMilliseconds: seconds * 1000, zone: zone)
    }

    /// RFC 3339 text with the zone's offset, such as `2026-03-29T09:00:00+02:00`.
    public var rfc3339: String {
        // The format is fixed and valid, so compiling it cannot fail.
        let format = try! TemplateDateFormat(TemplateDateFormat.rfc3339Pattern)
        return format.format(self)
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    public static func == (lhs: TemplateTime, rhs: TemplateTime) -> Bool {
        lhs.epochMilliseconds == rhs.epochMilliseconds && lhs.zone.identifier == rhs.zone.identifier
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(epochMilliseconds)
        hasher.combine(zone.identifier)
    }
}
