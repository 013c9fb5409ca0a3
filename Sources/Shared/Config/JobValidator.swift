import Foundation

/// A problem with one field of a job, before a file and line are attached.
public struct JobProblem: Sendable, Hashable, CustomStringConvertible {
    /// Dotted path inside the job, such as `schedule.cron`.
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// Checks a job's values beyond their types: ids, durations, policies and the schedule.
///
/// The same checks run for job files (`validate`, `apply`, `run`), the control API and jobs
/// read from the `jobs` topic, so a job is never accepted by one path and rejected by another.
public struct JobValidator: Sendable {
    /// Names of configured apps, or nil when the caller has none (a producer without `apps:`).
    public var knownApps: Set<String>?
    /// Names of calendars in the configuration.
    public var knownCalendars: Set<String>
    /// Names under `worker.dify_databases`, or nil when this configuration has none (a
    /// producer's file without the worker section).
    public var knownDatabases: Set<String>?
    /// Compiles a job's schedule and returns its problems; set by the schedule engine.
    public var scheduleCheck: @Sendable (Job) -> [JobProblem]

    public init(
        knownApps: Set<String>? = nil, knownCalendars: Set<String> = [], knownDatabases: Set<String>? = nil,
        scheduleCheck: (@Sendable (Job) -> [JobProblem])? = nil
    ) {
        self.knownApps = knownApps
        self.knownCalendars = knownCalendars
        self.knownDatabases = knownDatabases
        self.scheduleCheck = scheduleCheck ?? JobValidator.basicScheduleCheck
    }

    /// Job ids: letters, digits, `.`, `_` and `-`, at most 128 characters.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 128 && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    public func problems(in job: Job) -> [JobProblem] {
        var problems: [JobProblem] = []

        if !JobValidator.isValidID(job.id) {
            problems.append(JobProblem(field: "id", message: "\"\(job.id)\" is not a valid job id: use 1-128 letters, digits, '.', '_' or '-'"))
        }
        if job.app.isEmpty {
            problems.append(JobProblem(field: "app", message: job.effectiveKind == .difyCleanup ? "must name a database under worker.dify_databases" : "must name an app"))
        } else if job.effectiveKind == .difyCleanup {
            if let knownDatabases, !knownDatabases.contains(job.app) {
                let known = knownDatabases.sorted().joined(separator: ", ")
                problems.append(JobProblem(field: "app", message: "unknown Dify database \"\(job.app)\": a dify_cleanup job's app names one under worker.dify_databases (\(known.isEmpty ? "none configured" : known))"))
            }
        } else if let knownApps, !knownApps.contains(job.app) {
            let known = knownApps.sorted().joined(separator: ", ")
            problems.append(JobProblem(field: "app", message: "unknown app \"\(job.app)\": configured apps are \(known.isEmpty ? "none" : known)"))
        }

        checkDuration(job.timeout, field: "timeout", minimum: 1000, into: &problems)
        checkDuration(job.misfireThreshold, field: "misfire_threshold", minimum: 0, into: &problems)
        checkDuration(job.catchupWindow, field: "catchup_window", minimum: 1000, into: &problems)
        checkDuration(job.maxDelay, field: "max_delay", minimum: 1000, into: &problems)
        checkDuration(job.alerts?.slowerThan, field: "alerts.slower_than", minimum: 1, into: &problems)
        checkDuration(job.alerts?.silence, field: "alerts.silence", minimum: 0, into: &problems)

        if let retry = job.retry {
            if let attempts = retry.maxAttempts, !(1...100).contains(attempts) {
                problems.append(JobProblem(field: "retry.max_attempts", message: "\(attempts) is out of range: use 1 to 100"))
            }
            checkDuration(retry.initialBackoff, field: "retry.initial_backoff", minimum: 1, into: &problems)
            checkDuration(retry.maxBackoff, field: "retry.max_backoff", minimum: 1, into: &problems)
            if let multiplier = retry.multiplier, !(multiplier >= 1 && multiplier <= 10) {
                problems.append(JobProblem(field: "retry.multiplier", message: "\(multiplier) is out of range: use 1 to 10"))
            }
            if let initial = retry.initialBackoff.flatMap({ try? DurationText.milliseconds($0) }),
                let maximum = retry.maxBackoff.flatMap({ try? DurationText.milliseconds($0) }), initial > maximum
            {
                problems.append(JobProblem(field: "retry.max_backoff", message: "must not be shorter than initial_backoff"))
            }
        }
        if let priority = job.priority, !(-1000...1000).contains(priority) {
            problems.append(JobProblem(field: "priority", message: "\(priority) is out of range: use -1000 to 1000"))
        }
        if let maxCatchup = job.maxCatchup, maxCatchup < 1 {
            problems.append(JobProblem(field: "max_catchup", message: "must be at least 1"))
        }
        if let tokens = job.expectedTokens, tokens < 0 {
            problems.append(JobProblem(field: "expected_tokens", message: "must not be negative"))
        }
        if job.effectiveKind == .chatflow, (job.query ?? "").isEmpty {
            problems.append(JobProblem(field: "query", message: "a chatflow job needs a query: the question sent to the app"))
        }
        if job.effectiveKind == .difyCleanup {
            problems += (job.cleanup ?? CleanupSettings()).problems()
        } else if job.cleanup != nil {
            problems.append(JobProblem(field: "cleanup", message: "only a job of kind dify_cleanup takes a cleanup block: remove it or set kind: dify_cleanup"))
        }
        if let threshold = job.alerts?.consecutiveFailures, threshold < 1 {
            problems.append(JobProblem(field: "alerts.consecutive_failures", message: "must be at least 1"))
        }
        for (index, kind) in (job.alerts?.on ?? []).enumerated() where !AlertPolicy.knownTriggers.contains(kind) {
            problems.append(JobProblem(field: "alerts.on[\(index)]", message: "unknown alert \"\(kind)\": use \(AlertPolicy.knownTriggers.sorted().joined(separator: ", "))"))
        }

        problems += scheduleCheck(job)
        return problems
    }

    private func checkDuration(_ text: String?, field: String, minimum: Int64, into problems: inout [JobProblem]) {
        guard let text else { return }
        do {
            let milliseconds = try DurationText.milliseconds(text)
            if milliseconds < minimum {
                problems.append(JobProblem(field: field, message: "\"\(text)\" is too short: use at least \(DurationText.format(milliseconds: minimum))"))
            }
        } catch {
            problems.append(JobProblem(field: field, message: "\(error)"))
        }
    }

    /// Checks that exactly one schedule kind is given; the schedule engine replaces this with a
    /// full compilation.
    public static let basicScheduleCheck: @Sendable (Job) -> [JobProblem] = { job in
        let kinds = [job.schedule.cron, job.schedule.every, job.schedule.delay, job.schedule.at].compactMap { $0 }
        if kinds.count != 1 {
            return [JobProblem(field: "schedule", message: "give exactly one of cron, every, delay or at")]
        }
        return []
    }
}

extension AlertPolicy {
    /// Values allowed in `alerts.on`.
    public static let knownTriggers: Set<String> = ["failure", "timeout", "success", "recovered", "slow", "consecutive_failures"]
}

/// Checks a whole configuration and returns every problem with its file and line.
struct ConfigurationValidator {
    let configuration: Configuration

    func validate() -> [ConfigError] {
        var errors: [ConfigError] = []
        let file = configuration.file

        if LogLevel(name: configuration.logging.level) == nil {
            errors.append(ConfigError(file: file, line: 0, path: "logging.level", message: "unknown level \"\(configuration.logging.level)\": use trace, debug, info, notice, warning or error"))
        }
        if LogFormat(rawValue: configuration.logging.format) == nil {
            errors.append(ConfigError(file: file, line: 0, path: "logging.format", message: "unknown format \"\(configuration.logging.format)\": use text or json"))
        }
        if configuration.kafka.partitions < 1 || configuration.kafka.partitions > 10_000 {
            errors.append(ConfigError(file: file, line: 0, path: "kafka.partitions", message: "\(configuration.kafka.partitions) is out of range: use 1 to 10000"))
        }

        for (name, app) in configuration.apps.sorted(by: { $0.key < $1.key }) {
            errors += AppValidator.problems(name: name, app: app).map { ConfigError(file: file, line: 0, path: "apps.\(name).\($0.field)", message: $0.message) }
        }

        let validator = JobValidator(
            knownApps: configuration.apps.isEmpty ? nil : Set(configuration.apps.keys),
            knownCalendars: Set(configuration.calendars.keys),
            knownDatabases: configuration.worker.difyDatabases.isEmpty ? nil : Set(configuration.worker.difyDatabases.keys),
            scheduleCheck: JobValidator.defaultScheduleCheck(calendars: configuration.calendars))
        var seen: [String: YAMLMark] = [:]
        for (index, job) in configuration.jobs.enumerated() {
            let mark = index < configuration.jobMarks.count ? configuration.jobMarks[index] : YAMLMark(file: file, line: 0, column: 0)
            if let first = seen[job.id] {
                errors.append(ConfigError(file: mark.file, line: mark.line, path: "jobs[\(index)].id", message: "duplicate job id \"\(job.id)\": also defined at \(first.file):\(first.line)"))
            }
            seen[job.id] = mark
            for problem in validator.problems(in: job) {
                errors.append(ConfigError(file: mark.file, line: mark.line, path: "jobs[\(index)].\(problem.field)", message: problem.message))
            }
        }

        for (name, database) in configuration.worker.difyDatabases.sorted(by: { $0.key < $1.key }) where database.urlEnv == nil && database.urlFile == nil {
            errors.append(ConfigError(file: file, line: 0, path: "worker.dify_databases.\(name)", message: "set url_env (an environment variable) or url_file; the URL holds a password and is never written in this file"))
        }

        for (name, setting) in [("producer.retention", configuration.producer.retention), ("producer.misfire_threshold", configuration.producer.misfireThreshold), ("worker.shutdown_grace", configuration.worker.shutdownGrace)] {
            if (try? DurationText.milliseconds(setting)) == nil {
                errors.append(ConfigError(file: file, line: 0, path: name, message: "\(DurationText.ParseError(text: setting))"))
            }
        }
        return errors
    }
}

/// Checks an app's settings.
enum AppValidator {
    static func problems(name: String, app: AppSettings) -> [JobProblem] {
        var problems: [JobProblem] = []
        if let url = URL(string: app.baseURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil {
            let path = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
            if !path.hasSuffix("/v1") {
                problems.append(JobProblem(field: "base_url", message: "\"\(app.baseURL)\" should end in /v1, as the API base on Dify's API Access page does (for example http://dify.internal/v1)"))
            }
        } else {
            problems.append(JobProblem(field: "base_url", message: "\"\(app.baseURL)\" is not an http or https URL"))
        }
        if app.apiKeyEnv == nil && app.apiKeyFile == nil {
            problems.append(JobProblem(field: "api_key_env", message: "set api_key_env (an environment variable) or api_key_file; keys are never written in this file"))
        }
        if let mode = app.mode, !["workflow", "chatflow", "completion"].contains(mode) {
            problems.append(JobProblem(field: "mode", message: "unknown mode \"\(mode)\": use workflow, chatflow or completion"))
        }
        if let limits = app.limits {
            if let rate = limits.requestsPerSecond, !(rate > 0 && rate <= 100_000) {
                problems.append(JobProblem(field: "limits.requests_per_second", message: "\(rate) is out of range: use a number above 0 such as 0.2 or 5"))
            }
            if let burst = limits.burst, burst < 1 {
                problems.append(JobProblem(field: "limits.burst", message: "must be at least 1"))
            }
            if let concurrency = limits.maxConcurrency, concurrency < 1 {
                problems.append(JobProblem(field: "limits.max_concurrency", message: "must be at least 1"))
            }
            if let tokens = limits.tokensPerMinute, tokens < 1 {
                problems.append(JobProblem(field: "limits.tokens_per_minute", message: "must be at least 1"))
            }
            if let budget = limits.retryBudget, !(budget >= 0 && budget <= 1) {
                problems.append(JobProblem(field: "limits.retry_budget", message: "\(budget) is out of range: use a fraction from 0 to 1 such as 0.2"))
            }
        }
        return problems
    }
}
