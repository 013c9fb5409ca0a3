/// Every problem found in a schedule, a cron expression, a zone or a calendar, reported together.
///
/// Each problem names the field, the token and what is allowed, so one message fixes the whole
/// schedule: `day-of-week: "MON#6": # must be 1-5`. Schedule errors are never retryable: the same
/// input fails the same way until someone edits it.
public struct ScheduleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem; new codes may be added.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The cron expression does not parse or can never match.
        public static let invalidCron = Code(rawValue: "invalid_cron")
        /// A field of the `schedule` block other than `cron` is invalid.
        public static let invalidSpec = Code(rawValue: "invalid_spec")
        /// The time zone name is not an IANA zone or its TZif file is unreadable or corrupt.
        public static let invalidTimeZone = Code(rawValue: "invalid_timezone")
        /// A calendar definition, a calendar file or a calendar reference is invalid.
        public static let invalidCalendar = Code(rawValue: "invalid_calendar")

        public var description: String { rawValue }
    }

    /// One problem: the field it is in, the offending token, and what is allowed instead.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The field, such as `day-of-week`, `timezone` or `calendars.cn-workdays.holidays`.
        public var field: String
        /// The offending text as written.
        public var token: String
        /// What is wrong and what is allowed, such as `# must be 1-5`.
        public var reason: String

        public init(field: String, token: String, reason: String) {
            self.field = field
            self.token = token
            self.reason = reason
        }

        public var description: String {
            "\(field): \"\(token)\": \(reason)"
        }
    }

    public var code: Code
    public var problems: [Problem]

    /// Always false: schedule input fails the same way until it is edited.
    public var isRetryable: Bool { false }

    public init(code: Code, problems: [Problem]) {
        self.code = code
        self.problems = problems
    }

    public init(code: Code, field: String, token: String, reason: String) {
        self.init(code: code, problems: [Problem(field: field, token: token, reason: reason)])
    }

    /// The problems, one per line.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
