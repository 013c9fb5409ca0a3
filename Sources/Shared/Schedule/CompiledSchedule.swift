import Foundation

/// A job's `schedule` block, checked once and ready to compute fire instants.
///
/// Compiling validates every field and reports all problems in one ``ScheduleError``. The fire
/// computations are pure functions of their arguments, the zone rules and the calendar found by
/// the lookup at that moment, so a calendar change takes effect at the next call.
///
/// ```swift
/// let schedule = try CompiledSchedule(
///     spec: ScheduleSpec(cron: "0 0 9 * * MON-FRI", timezone: "Asia/Shanghai", calendar: "cn-workdays"),
///     jobID: "daily-report", calendars: registry.lookup)
/// let next = schedule.nextFire(after: .now, firedCount: state.runCount)
/// ```
///
/// All instants are whole seconds; an `after` argument with a fraction counts from its whole second.
public struct CompiledSchedule: Sendable {
    public enum Kind: Sendable, Hashable {
        case cron(CronExpression)
        /// Fixed rate: a grid of `seconds` anchored at `anchor` (Unix seconds).
        case every(seconds: Int64, anchor: Int64)
        /// Fixed delay after the previous run ends.
        case delay(seconds: Int64)
        /// One instant, or two when a local time in a fall-back overlap is fired `twice`.
        case at([Int64])
    }

    /// What to do with a local time that does not exist because clocks move forward.
    public enum GapPolicy: String, Sendable, CaseIterable {
        /// Fire at the first instant after the gap, once per gap (the default, as Linux cron).
        case shift
        /// Do not fire.
        case skip
    }

    /// What to do with a local time that occurs twice because clocks move back.
    public enum OverlapPolicy: String, Sendable, CaseIterable {
        /// Fire at the first occurrence only (the default).
        case once
        /// Fire at both occurrences.
        case twice
    }

    /// How the job's calendar restricts days.
    public enum CalendarMode: String, Sendable, CaseIterable {
        /// Fire only on the calendar's working days (the default).
        case include
        /// Never fire on the calendar's holiday dates.
        case exclude
    }

    public let spec: ScheduleSpec
    public let jobID: String
    public let kind: Kind
    public let zone: ZoneRules
    public let gapPolicy: GapPolicy
    public let overlapPolicy: OverlapPolicy
    public let calendarName: String?
    public let calendarMode: CalendarMode
    /// First allowed nominal instant (Unix seconds), inclusive.
    public let start: Int64?
    /// Last allowed nominal instant (Unix seconds), inclusive.
    public let end: Int64?
    public let maxRuns: Int?
    /// Upper bound of the jitter offset, exclusive; 0 without jitter.
    public let jitterMilliseconds: Int64

    let calendarLookup: CalendarLookup?
    /// The calendar as it was at compile time, used if the lookup no longer finds it.
    let compiledCalendar: ScheduleCalendar?

    /// Searches give up this far past their starting instant: 400 years, one Gregorian cycle.
    static let searchHorizon: Int64 = 146_097 * 86_400

    // MARK: - Next fire

    /// Returns the first fire whose nominal instant is strictly after `date`, or nil when the
    /// schedule has ended (past `end`, `max_runs` reached, a one-time instant passed, or no match
    /// within 400 years).
    ///
    /// For `delay` schedules this is the first run: at `start` when it is later than `date`,
    /// otherwise one delay after `date`; later runs come from ``nextFire(afterRunEndedAt:firedCount:)``.
    /// - Parameter firedCount: runs fired so far, checked against `max_runs`.
    public func nextFire(after date: Date, firedCount: Int = 0) -> ScheduledFire? {
        if let maxRuns, firedCount >= maxRuns { return nil }
        let after = Int64(date.timeIntervalSince1970.rounded(.down))

        if case .delay(let seconds) = kind {
            var nominal = after + seconds
            if let start, start > after { nominal = start }
            return finish(nominal)
        }
        return nextNominal(after: after).flatMap(finish)
    }

    /// Returns the next run of a `delay` schedule: one delay after the previous run ended.
    ///
    /// For other kinds this is ``nextFire(after:firedCount:)`` from `endedAt`.
    public func nextFire(afterRunEndedAt endedAt: Date, firedCount: Int) -> ScheduledFire? {
        guard case .delay(let seconds) = kind else { return nextFire(after: endedAt, firedCount: firedCount) }
        if let maxRuns, firedCount >= maxRuns { return nil }

        let ended = Int64(endedAt.timeIntervalSince1970.rounded(.up))
        var nominal = ended + seconds
        if let start, start > nominal { nominal = start }
        return finish(nominal)
    }

    /// Returns the fires whose nominal instants lie in `after < instant <= through`, in order, at
    /// most `limit` of them, for misfire catch-up and backfill.
    ///
    /// `max_runs` counts `firedCount` plus the fires returned. A `delay` schedule returns at most
    /// its next run, because later runs depend on when runs end.
    public func fires(after: Date, through: Date, limit: Int, firedCount: Int = 0) -> [ScheduledFire] {
        var result: [ScheduledFire] = []
        var cursor = after
        while result.count < limit, let fire = nextFire(after: cursor, firedCount: firedCount + result.count),
            fire.scheduledAt <= through
        {
            result.append(fire)
            if case .delay = kind { break }
            cursor = fire.scheduledAt
        }
        return result
    }

    /// Returns the last fire whose nominal instant is strictly before `date`, ignoring `max_runs`.
    ///
    /// Not defined for `delay` schedules, which return nil.
    public func previousFire(before date: Date) -> ScheduledFire? {
        if case .delay = kind { return nil }
        let before = Int64(date.timeIntervalSince1970.rounded(.up))

        func hasFire(from lower: Int64) -> Bool {
            guard let next = nextNominal(after: lower - 1) else { return false }
            return next < before
        }

        // Widen a window back from `before` until it holds a fire, then bisect to the last one.
        var width: Int64 = 3600
        while !hasFire(from: before - width) {
            guard width < Self.searchHorizon else { return nil }
            width *= 2
        }
        var low = before - width
        var high = before
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if hasFire(from: middle) { low = middle } else { high = middle }
        }
        guard let nominal = nextNominal(after: low - 1) else { return nil }
        return fire(nominal)
    }

    /// Returns the jitter offset of the fire at `scheduledAt`, in milliseconds below `jitterMilliseconds`.
    ///
    /// The offset is FNV-1a of the job id and the nominal Unix second, so it is the same in every
    /// process and after a restart.
    public func jitterOffset(scheduledAt: Int64) -> Int64 {
        guard jitterMilliseconds > 0 else { return 0 }
        let hash = StableHash.fnv1a64("\(jobID)\n\(scheduledAt)")
        return Int64(hash % UInt64(jitterMilliseconds))
    }

    // MARK: - Internals

    /// Applies `end` and builds the fire with its jitter.
    private func finish(_ nominal: Int64) -> ScheduledFire? {
        if let end, nominal > end { return nil }
        return fire(nominal)
    }

    private func fire(_ nominal: Int64) -> ScheduledFire {
        let offset = jitterOffset(scheduledAt: nominal)
        return ScheduledFire(
            scheduledAt: Date(timeIntervalSince1970: Double(nominal)),
            fireAt: Date(timeIntervalSince1970: Double(nominal) + Double(offset) / 1000))
    }

    /// The calendar in force now: the lookup's answer, or the compile-time copy if it is gone.
    func currentCalendar() -> ScheduleCalendar? {
        guard let calendarName else { return nil }
        return calendarLookup?(calendarName) ?? compiledCalendar
    }

    /// Returns the filter the calendar puts on candidate days, or nil without a calendar.
    func dayFilter() -> ((Int, Int, UInt64) -> UInt64)? {
        guard let calendar = currentCalendar() else { return nil }
        switch calendarMode {
        case .include: return { calendar.workingDays(year: $0, month: $1, candidates: $2) }
        case .exclude: return { calendar.nonHolidays(year: $0, month: $1, candidates: $2) }
        }
    }

    /// Returns the first nominal instant strictly after `after` and not before `start`, ignoring
    /// `end` and `max_runs`.
    func nextNominal(after: Int64) -> Int64? {
        var after = after
        if let start, start - 1 > after { after = start - 1 }

        switch kind {
        case .cron(let expression):
            return nextCron(expression, after: after, allowsDay: dayFilter())
        case .every(let seconds, let anchor):
            return nextEvery(seconds: seconds, anchor: anchor, after: after, allowsDay: dayFilter())
        case .at(let instants):
            guard let instant = instants.first(where: { $0 > after }) else { return nil }
            if let allowsDay = dayFilter(), !allows(instant: instant, allowsDay) { return nil }
            return instant
        case .delay(let seconds):
            return after + seconds
        }
    }

    /// Finds the next cron match by walking the zone's periods of constant offset.
    ///
    /// Within a period local time maps to UTC by one subtraction. At a forward transition the
    /// skipped local times are checked once: under `shift` any match among them fires at the
    /// transition instant. After a backward transition, `once` skips the repeated local times.
    func nextCron(
        _ expression: CronExpression, after: Int64, allowsDay: ((Int, Int, UInt64) -> UInt64)?
    ) -> Int64? {
        let horizon = after + Self.searchHorizon
        var period = zone.period(containing: after + 1)

        while true {
            if period.start > after, period.offset > period.previousOffset, gapPolicy == .shift,
                expression.nextMatch(
                    from: period.start + period.previousOffset, before: period.start + period.offset,
                    allowsDay: allowsDay) != nil
            {
                return period.start
            }

            var lower = max(after + 1, period.start) + period.offset
            if overlapPolicy == .once, period.start != .min, period.previousOffset > period.offset {
                lower = max(lower, period.start + period.previousOffset)
            }
            let upper = min(period.end, horizon) + period.offset
            if let local = expression.nextMatch(from: lower, before: upper, allowsDay: allowsDay) {
                return local - period.offset
            }

            guard period.end < horizon else { return nil }
            period = zone.period(containing: period.end)
        }
    }

    /// Finds the next grid point of a fixed-rate schedule on an allowed day.
    private func nextEvery(
        seconds: Int64, anchor: Int64, after: Int64, allowsDay: ((Int, Int, UInt64) -> UInt64)?
    ) -> Int64? {
        func gridPoint(after instant: Int64) -> Int64 {
            guard instant >= anchor else { return anchor }
            return anchor + ((instant - anchor) / seconds + 1) * seconds
        }

        var candidate = gridPoint(after: after)
        guard let allowsDay else { return candidate }
        let horizon = after + Self.searchHorizon

        while candidate < horizon {
            if allows(instant: candidate, allowsDay) { return candidate }

            // Jump to the local midnight of the next allowed day, then back onto the grid.
            let local = candidate + zone.offset(at: candidate)
            guard let day = nextAllowedDay(afterLocalDay: Int(local.floorDivided(by: 86_400)), allowsDay) else {
                return nil
            }
            let midnight = Int64(day) * 86_400
            let midnightInstant: Int64
            switch zone.resolve(local: midnight) {
            case .unique(let instant): midnightInstant = instant
            case .gap(let endsAt): midnightInstant = endsAt
            case .overlap(let first, _): midnightInstant = first
            }
            candidate = gridPoint(after: midnightInstant - 1)
        }
        return nil
    }

    /// Returns whether the local day of `instant` passes the calendar.
    private func allows(instant: Int64, _ allowsDay: (Int, Int, UInt64) -> UInt64) -> Bool {
        let local = instant + zone.offset(at: instant)
        let date = CivilDate(daysSinceEpoch: Int(local.floorDivided(by: 86_400)))
        return allowsDay(date.year, date.month, 1 << UInt64(date.day)) != 0
    }

    /// Returns the first allowed local day after `day` (days since the epoch), within the horizon.
    private func nextAllowedDay(afterLocalDay day: Int, _ allowsDay: (Int, Int, UInt64) -> UInt64) -> Int? {
        var date = CivilDate(daysSinceEpoch: day + 1)
        var remainingMonths = 400 * 12
        while remainingMonths > 0 {
            let length = CivilDate.daysInMonth(year: date.year, month: date.month)
            let candidates: UInt64 = ((1 << UInt64(length + 1)) - 1) & ~((1 << UInt64(date.day)) - 1)
            let allowed = allowsDay(date.year, date.month, candidates)
            if allowed != 0 {
                return CivilDate(year: date.year, month: date.month, day: allowed.trailingZeroBitCount).daysSinceEpoch
            }
            date = date.month == 12
                ? CivilDate(year: date.year + 1, month: 1, day: 1) : CivilDate(year: date.year, month: date.month + 1, day: 1)
            remainingMonths -= 1
        }
        return nil
    }
}
