import Foundation

extension CompiledSchedule {
    /// Checks `spec` and compiles it for `jobID`.
    ///
    /// Every problem (a bad cron token, an unknown zone or calendar, a malformed instant, a bad
    /// policy name) is collected and thrown together.
    /// - Parameters:
    ///   - calendars: finds the job's calendar at every computation; the calendar must exist now.
    /// - Throws: ``ScheduleError`` listing every problem; its code is that of the first problem.
    public init(spec: ScheduleSpec, jobID: String, calendars: CalendarLookup? = nil) throws(ScheduleError) {
        var problems: [ScheduleError.Problem] = []
        var firstCode: ScheduleError.Code?
        func add(_ error: ScheduleError) {
            firstCode = firstCode ?? error.code
            problems += error.problems
        }
        func add(_ code: ScheduleError.Code, _ field: String, _ token: String, _ reason: String) {
            add(ScheduleError(code: code, field: field, token: token, reason: reason))
        }
        func choice<T: RawRepresentable & CaseIterable>(_ text: String?, field: String, default value: T) -> T
        where T.RawValue == String {
            guard let text else { return value }
            if let parsed = T(rawValue: text.lowercased()) { return parsed }
            let allowed = T.allCases.map(\.rawValue).joined(separator: " or ")
            add(.invalidSpec, field, text, "must be \(allowed)")
            return value
        }

        // Zone and policies first: local instants below need them.
        var zone = ZoneRules.utc
        if let name = spec.timezone {
            do throws(ScheduleError) { zone = try ZoneRules.named(name) } catch { add(error) }
        }
        let gapPolicy = choice(spec.dstGap, field: "dst_gap", default: GapPolicy.shift)
        let overlapPolicy = choice(spec.dstOverlap, field: "dst_overlap", default: OverlapPolicy.once)
        let dayMatch = choice(spec.dayMatch, field: "day_match", default: CronExpression.DayMatch.either)
        let dialect = choice(spec.cronDialect, field: "cron_dialect", default: CronExpression.Dialect.linux)
        let calendarMode = choice(spec.calendarMode, field: "calendar_mode", default: CalendarMode.include)

        // At most one kind. A schedule with none never fires on its own: the job runs only when
        // triggered, by a chain (`on_success`, `on_failure`), by hand or through the API.
        let kinds = [("cron", spec.cron), ("every", spec.every), ("delay", spec.delay), ("at", spec.at)]
            .filter { $0.1 != nil }
        if kinds.count > 1 {
            add(
                .invalidSpec, "schedule", kinds.map(\.0).joined(separator: ", "),
                "set only one of cron, every, delay or at")
        }

        func localInstants(_ text: String, field: String, allowGapSkip: Bool) -> [Int64]? {
            switch Self.parseInstant(text, zone: zone) {
            case .failure(let reason):
                add(.invalidSpec, field, text, reason.reason)
                return nil
            case .success(let resolution):
                switch resolution {
                case .unique(let instant): return [instant]
                case .gap(let endsAt):
                    if gapPolicy == .skip && !allowGapSkip {
                        add(
                            .invalidSpec, field, text,
                            "does not exist in \(zone.identifier) (clocks move forward) and dst_gap is skip; "
                                + "pick another local time or use dst_gap: shift")
                        return nil
                    }
                    return [endsAt]
                case .overlap(let first, let second):
                    return overlapPolicy == .twice ? [first, second] : [first]
                }
            }
        }

        var kind = Kind.at([])
        if let cron = spec.cron {
            do throws(ScheduleError) {
                kind = .cron(try CronExpression.cached(cron, dialect: dialect, dayMatch: dayMatch))
            } catch {
                add(error)
            }
        }

        var start: Int64?
        var end: Int64?
        if let text = spec.start { start = localInstants(text, field: "start", allowGapSkip: true)?.first }
        if let text = spec.end { end = localInstants(text, field: "end", allowGapSkip: true)?.last }
        if let start, let end, end < start {
            add(.invalidSpec, "end", spec.end ?? "", "is before start \(spec.start ?? ""); make end later than start")
        }

        if let text = spec.every {
            if let seconds = Self.wholeSeconds(text, field: "every", add: add) {
                kind = .every(seconds: seconds, anchor: start ?? 0)
            }
        }
        if let text = spec.delay {
            if let seconds = Self.wholeSeconds(text, field: "delay", add: add) { kind = .delay(seconds: seconds) }
        }
        if let text = spec.at {
            if let instants = localInstants(text, field: "at", allowGapSkip: false) { kind = .at(instants) }
        }

        if let maxRuns = spec.maxRuns, maxRuns < 1 {
            add(.invalidSpec, "max_runs", String(maxRuns), "must be at least 1; leave it out for no limit")
        }
        var jitter: Int64 = 0
        if let text = spec.jitter {
            do {
                jitter = try DurationText.milliseconds(text)
            } catch {
                add(.invalidSpec, "jitter", text, "not a duration; write a value such as 30s or 500ms")
            }
            if jitter < 0 { add(.invalidSpec, "jitter", text, "must not be negative") }
        }

        var compiledCalendar: ScheduleCalendar?
        if let name = spec.calendar {
            compiledCalendar = calendars?(name)
            if compiledCalendar == nil {
                add(
                    .invalidCalendar, "calendar", name,
                    "unknown calendar; define it under calendars in the configuration")
            }
        } else if let mode = spec.calendarMode {
            add(.invalidSpec, "calendar_mode", mode, "needs a calendar; set calendar or remove calendar_mode")
        }

        if let firstCode { throw ScheduleError(code: firstCode, problems: problems) }

        self.spec = spec
        self.jobID = jobID
        self.kind = kind
        self.zone = zone
        self.gapPolicy = gapPolicy
        self.overlapPolicy = overlapPolicy
        self.calendarName = spec.calendar
        self.calendarMode = calendarMode
        self.start = start
        self.end = end
        self.maxRuns = spec.maxRuns
        self.jitterMilliseconds = jitter
        self.calendarLookup = calendars
        self.compiledCalendar = compiledCalendar
    }

    /// Parses a duration of whole seconds, at least one second, for `every` and `delay`.
    private static func wholeSeconds(
        _ text: String, field: String, add: (ScheduleError.Code, String, String, String) -> Void
    ) -> Int64? {
        guard let milliseconds = try? DurationText.milliseconds(text) else {
            add(.invalidSpec, field, text, "not a duration; write a number and a unit s, m, h or d, such as 30s or 1h30m")
            return nil
        }
        guard milliseconds >= 1000, milliseconds % 1000 == 0 else {
            add(.invalidSpec, field, text, "must be whole seconds, at least 1s, such as 1s, 5m or 1d")
            return nil
        }
        return milliseconds / 1000
    }

    /// Parses RFC 3339 with an offset, or a local date-time (`2026-03-29T02:30:00`) in `zone`.
    static func parseInstant(_ text: String, zone: ZoneRules) -> Result<ZoneRules.LocalTimeResolution, InstantError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.contains(".") {
            return .failure(InstantError("must be a whole second; remove the fraction"))
        }
        if let date = Timestamp.parse(trimmed) {
            return .success(.unique(Int64(date.timeIntervalSince1970)))
        }
        guard let local = Timestamp.parse(trimmed + "Z"), !trimmed.hasSuffix("Z"), !trimmed.hasSuffix("z") else {
            return .failure(
                InstantError(
                    "not an instant; write RFC 3339 with an offset (2026-03-29T09:00:00+08:00) "
                        + "or a local time in the job's zone (2026-03-29T09:00:00)"))
        }
        return .success(zone.resolve(local: Int64(local.timeIntervalSince1970)))
    }

    struct InstantError: Error {
        var reason: String

        init(_ reason: String) {
            self.reason = reason
        }
    }
}
