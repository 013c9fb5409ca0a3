/// An hour, day, ISO week or month on a zone's wall clock, with its first instant, last second
/// and the first instant after it.
///
/// Days, weeks and months step in civil dates, so a day is 23 or 25 hours long across a daylight
/// saving switch. Hours step in elapsed time (3,600 s), so the hour before 03:30 on a day when
/// clocks jump from 02:00 to 03:00 is the one that started at 01:00.
struct TemplatePeriod {
    enum Unit: String, CaseIterable {
        case hour, day, week, month
    }

    let unit: Unit
    /// Local first day of the period.
    let firstDay: CivilDate
    /// For hours: the first instant, in seconds since the Unix epoch.
    let hourStart: Int64
    let zone: ZoneRules

    /// The period of `unit` that contains `time`.
    init(containing time: TemplateTime, unit: Unit) {
        self.unit = unit
        self.zone = time.zone
        hourStart = TemplateTime.floorDivide(time.epochMilliseconds, 1000) - Int64(time.minute * 60 + time.second)
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

    private init(unit: Unit, firstDay: CivilDate, hourStart: Int64 = 0, zone: ZoneRules) {
        self.unit = unit
        self.firstDay = firstDay
        self.hourStart = hourStart
        self.zone = zone
    }

    /// The period before this one.
    var previous: TemplatePeriod { shifted(by: -1) }

    private func shifted(by count: Int) -> TemplatePeriod {
        switch unit {
        case .hour:
            return TemplatePeriod(unit: unit, firstDay: firstDay, hourStart: hourStart + Int64(count) * 3600, zone: zone)
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
        if unit == .hour { return TemplateTime(epochMilliseconds: hourStart * 1000, zone: zone) }
        return TemplateTime.firstInstant(of: firstDay, in: zone)
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
