/// The `schedule` block of a job, as written in job files and carried in the `jobs` topic.
///
/// Exactly one of `cron`, `every`, `delay` and `at` is set. Times are RFC 3339 text and
/// durations use ``DurationText``; ``CompiledSchedule`` checks and compiles them.
public struct ScheduleSpec: Codable, Hashable, Sendable {
    public var cron: String?
    public var every: String?
    public var delay: String?
    public var at: String?

    /// IANA zone name; UTC when nil.
    public var timezone: String?
    public var calendar: String?
    /// `include` (fire only on the calendar's working days, the default) or `exclude`.
    public var calendarMode: String?
    /// `shift` (default) or `skip`.
    public var dstGap: String?
    /// `once` (default) or `twice`.
    public var dstOverlap: String?
    /// `either` (default, as Linux cron) or `both`.
    public var dayMatch: String?
    /// `linux` (default) or `quartz`.
    public var cronDialect: String?
    public var start: String?
    public var end: String?
    public var maxRuns: Int?
    public var jitter: String?

    public init(
        cron: String? = nil, every: String? = nil, delay: String? = nil, at: String? = nil,
        timezone: String? = nil, calendar: String? = nil, calendarMode: String? = nil,
        dstGap: String? = nil, dstOverlap: String? = nil, dayMatch: String? = nil,
        cronDialect: String? = nil, start: String? = nil, end: String? = nil,
        maxRuns: Int? = nil, jitter: String? = nil
    ) {
        self.cron = cron
        self.every = every
        self.delay = delay
        self.at = at
        self.timezone = timezone
        self.calendar = calendar
        self.calendarMode = calendarMode
        self.dstGap = dstGap
        self.dstOverlap = dstOverlap
        self.dayMatch = dayMatch
        self.cronDialect = cronDialect
        self.start = start
        self.end = end
        self.maxRuns = maxRuns
        self.jitter = jitter
    }

    enum CodingKeys: String, CodingKey {
        case cron, every, delay, at, timezone, calendar, start, end, jitter
        case calendarMode = "calendar_mode"
        case dstGap = "dst_gap"
        case dstOverlap = "dst_overlap"
        case dayMatch = "day_match"
        case cronDialect = "cron_dialect"
        case maxRuns = "max_runs"
    }
}
