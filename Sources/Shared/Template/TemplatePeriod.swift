/// An hour, day, ISO week or month on a zone's wall clock, with its first instant, last second
/// and the first instant after it.
///
/// Every period is a span of the local clock: an hour runs from HH:00 to the next hour's :00
/// on the zone's wall clock, as a day runs from midnight to midnight. Across a daylight saving
/// switch a period is longer or shorter in elapsed time: a day has 23 or 25 hours, the hour
/// whose clock repeats lasts two, and on Lord Howe Island, whose clocks move 30 minutes, the
/// hour 02:00-03:00 of the spring switch starts at 02:30 and lasts 30 minutes. A local hour
/// that the switch skips entirely (02:00-03:00 in Berlin in spring) is no period: the hour
/// before 03:30 that morning is the one that started at 01:00.
struct TemplatePeriod {
    enum Unit: String, CaseIterable {
        case hour, day, week, month
    }

    let unit: Unit
    /// Local first day of the period.
    let firstDay: CivilDate
    /// For hours: the local hour of the day, 0 to 23.
    let hour: Int
    let zone: ZoneRules

    /// The period of `unit` that contains `time`.
    init(containing time: TemplateTime, unit: Unit) {
        self.unit = unit
        self.zone = time.zone
        hour = unit == .hour ? time.hour : 0
        switch unit {
        case .hour, .day:
            firstDay = time.date
        case .week:
            let isoWeekday = time.date.weekday == 0 ? 7 : time.date.weekday
            firstDay = CivilDate(daysSinceEpoch: time.date.daysSinceEpoch - (isoWeekday - 1))
        case .month:
            firstDay = CivilDate(year: time.date.year, month: time.date.month, day: 1)
        }
    }

    private init(unit: Unit, firstDay: CivilDate, hour: Int = 0, zone: ZoneRules) {
        self.unit = unit
        self.firstDay = firstDay
        self.hour = hour
        self.zone = zone
    }

    /// The period before this one; for hours, the last local hour before it that exists.
    var previous: TemplatePeriod {
        var candidate = shifted(by: -1)
        // A switch skips at most a few hours; an empty hour is one the clocks jumped over.
        for _ in 0..<4 where candidate.unit == .hour && candidate.start == candidate.until {
            candidate = candidate.shifted(by: -1)
        }
        return candidate
    }

    private func shifted(by count: Int) -> TemplatePeriod {
        switch unit {
        case .hour:
            let hours = firstDay.daysSinceEpoch * 24 + hour + count
            let days = hours >= 0 ? hours / 24 : (hours - 23) / 24
            return TemplatePeriod(unit: unit, firstDay: CivilDate(daysSinceEpoch: days), hour: hours - days * 24, zone: zone)
        case .day:
            return TemplatePeriod(unit: unit, firstDay: CivilDate(daysSinceEpoch: firstDay.daysSinceEpoch + count), zone: zone)
        case .week:
            return TemplatePeriod(unit: unit, firstDay: CivilDate(daysSinceEpoch: firstDay.daysSinceEpoch + 7 * count), zone: zone)
        case .month:
            let months = firstDay.year * 12 + (firstDay.month - 1) + count
            let year = months >= 0 ? months / 12 : (months - 11) / 12
            return TemplatePeriod(unit: unit, firstDay: CivilDate(year: year, month: months - year * 12 + 1, day: 1), zone: zone)
        }
    }

    var start: TemplateTime {
        TemplateTime.firstInstant(of: firstDay, secondOfDay: hour * 3600, in: zone)
    }

    var until: TemplateTime {
        shifted(by: 1).start
    }

    /// The last whole second of the period.
    var end: TemplateTime {
        TemplateTime(epochMilliseconds: until.epochMilliseconds - 1000, zone: zone)
    }

    var value: TemplateValue {
        .record(["start": .time(start), "end": .time(end), "until": .time(until)])
    }
}
