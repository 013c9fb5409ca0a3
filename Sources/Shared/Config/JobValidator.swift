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
    /// Names under `channels:`, or nil when the caller has none (a worker's file); `deliver`
    /// may name only these.
    public var knownChannels: Set<String>?

    public init(
        knownApps: Set<String>? = nil, knownCalendars: Set<String> = [], knownDatabases: Set<String>? = nil,
        knownChannels: Set<String>? = nil, scheduleCheck: (@Sendable (Job) -> [JobProblem])? = nil
    ) {
        self.knownApps = knownApps
        self.knownCalendars = knownCalendars
        self.knownDatabases = knownDatabases
        self.knownChannels = knownChannels
        self.scheduleCheck = scheduleCheck ?? JobValidator.basicScheduleCheck
    }

    /// The rule for job ids, as messages state it.
    public static let idRule = "use 1 to 128 ASCII letters (A-Z, a-z), digits (0-9), '.', '_' or '-', with no spaces"

    /// The message for an id that breaks ``idRule``, with a long id cut short.
    public static func invalidIDMessage(_ id: String) -> String {
        "\"\(MessageText.clipped(id))\" is not a valid job id: \(idRule)"
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
            problems.append(JobProblem(field: "id", message: JobValidator.invalidIDMessage(job.id)))
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

        if let deliver = job.deliver {
            problems += DeliveryValidator(knownChannels: knownChannels).problems(deliver, job: job)
        }

        problems += JobTemplates.problems(in: job)
        problems += chainProblems(in: job)
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

    /// Checks that at most one schedule kind is given (none: the job runs only when triggered);
    /// the schedule engine replaces this with a full compilation.
    public static let basicScheduleCheck: @Sendable (Job) -> [JobProblem] = { job in
        let kinds = [job.schedule.cron, job.schedule.every, job.schedule.delay, job.schedule.at].compactMap { $0 }
        if kinds.count > 1 {
            return [JobProblem(field: "schedule", message: "give only one of cron, every, delay or at, or none for a job that runs only when triggered")]
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
            knownChannels: configuration.channels.isEmpty ? nil : Set(configuration.channels.keys),
            scheduleCheck: JobValidator.defaultScheduleCheck(calendars: configuration.calendars))
        var seen: [String: YAMLMark] = [:]
        for (index, job) in configuration.jobs.enumerated() {
            let mark = configuration.jobMark(index)
            if let first = seen[job.id] {
                errors.append(ConfigError(file: mark.file, line: mark.line, path: "\(configuration.jobPath(index)).id", message: "duplicate job id \"\(job.id)\": also defined at \(first.file):\(first.line)"))
            }
            seen[job.id] = mark
            for problem in validator.problems(in: job) {
                errors.append(ConfigError(file: mark.file, line: mark.line, path: "\(configuration.jobPath(index)).\(problem.field)", message: problem.message))
            }
        }
        errors += chainErrors()

        for (name, database) in configuration.worker.difyDatabases.sorted(by: { $0.key < $1.key }) where database.urlEnv == nil && database.urlFile == nil {
            errors.append(ConfigError(file: file, line: 0, path: "worker.dify_databases.\(name)", message: "set url_env (an environment variable) or url_file; the URL holds a password and is never written in this file"))
        }
        errors += NotifyValidator(configuration: configuration).validate()

        if configuration.auth.openOnLoopback, let (host, _) = try? HTTPServerConfiguration.parseListenAddress(configuration.producer.listen),
            !AuthSettings.isLoopback(host: host) {
            errors.append(ConfigError(file: file, line: 0, path: "auth.open_on_loopback", message: "producer.listen \"\(configuration.producer.listen)\" is not a loopback address, so the API cannot be open: listen on 127.0.0.1 or add tokens and set open_on_loopback: false"))
        }

        if !(1024...(64 << 20)).contains(configuration.producer.maxBodyBytes) {
            errors.append(ConfigError(file: file, line: 0, path: "producer.max_body_bytes", message: "\(configuration.producer.maxBodyBytes) is out of range: use 1024 to 67108864 bytes"))
        }
        if !(1...100_000).contains(configuration.producer.maxConnections) {
            errors.append(ConfigError(file: file, line: 0, path: "producer.max_connections", message: "\(configuration.producer.maxConnections) is out of range: use 1 to 100000"))
        }
        if let timeout = try? DurationText.milliseconds(configuration.producer.connectionTimeout), !(1000...3_600_000).contains(timeout) {
            errors.append(ConfigError(file: file, line: 0, path: "producer.connection_timeout", message: "\(configuration.producer.connectionTimeout) is out of range: use 1s to 1h"))
        }

        for (name, setting) in [("producer.retention", configuration.producer.retention), ("producer.misfire_threshold", configuration.producer.misfireThreshold), ("producer.connection_timeout", configuration.producer.connectionTimeout), ("worker.shutdown_grace", configuration.worker.shutdownGrace)] {
            if (try? DurationText.milliseconds(setting)) == nil {
                errors.append(ConfigError(file: file, line: 0, path: name, message: "\(DurationText.ParseError(text: setting))"))
            }
        }
        return errors
    }
}

extension ConfigurationValidator {
    /// Checks `on_success` and `on_failure` across the file: unknown children, loops, and
    /// `parent.*` in jobs that nothing chains to.
    func chainErrors() -> [ConfigError] {
        let jobs = configuration.jobs
        func mark(of jobID: String) -> (index: Int, mark: YAMLMark) {
            let index = jobs.firstIndex { $0.id == jobID } ?? 0
            return (index, configuration.jobMark(index))
        }

        var errors: [ConfigError] = []
        let known = Set(jobs.map(\.id))
        for unknown in JobChains.unknownChildren(in: jobs, known: known) {
            let (index, mark) = mark(of: unknown.jobID)
            errors.append(ConfigError(
                file: mark.file, line: mark.line, path: "\(configuration.jobPath(index)).\(unknown.field)",
                message: "unknown job \"\(unknown.childID)\": job \"\(unknown.jobID)\" chains to it, but this file does not define it; define it under jobs: or remove it from the chain"))
        }
        let byID = Dictionary(jobs.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        if let loop = JobChains.loop(in: byID) {
            let (index, mark) = mark(of: loop[0])
            let field = (byID[loop[0]]?.onSuccess ?? []).contains(loop[1]) ? "on_success" : "on_failure"
            errors.append(ConfigError(file: mark.file, line: mark.line, path: "\(configuration.jobPath(index)).\(field)", message: JobChains.loopMessage(loop)))
        }
        for orphan in JobChains.orphanParentUses(in: byID) {
            let (index, mark) = mark(of: orphan.jobID)
            errors.append(ConfigError(file: mark.file, line: mark.line, path: "\(configuration.jobPath(index)).\(orphan.fields[0])", message: JobChains.orphanMessage(jobID: orphan.jobID, fields: orphan.fields)))
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
        if let budget = app.budget {
            problems += budget.problems()
        }
        return problems
    }
}

/// Checks `channels:`, `alerts:` and the channels jobs name, with file and line.
struct NotifyValidator {
    let configuration: Configuration

    /// Names an alert may list: channels, contacts and groups.
    var targetNames: Set<String> {
        Set(configuration.channels.keys).union(configuration.alerts.contacts?.keys ?? [:].keys).union(configuration.alerts.groups?.keys ?? [:].keys)
    }

    func validate() -> [ConfigError] {
        var errors: [ConfigError] = []
        for (name, channel) in configuration.channels.sorted(by: { $0.key < $1.key }) {
            let mark = mark("channels.\(name)")
            errors += ChannelValidator.problems(channel).map { ConfigError(file: mark.file, line: mark.line, path: "channels.\(name).\($0.field)", message: $0.message) }
        }
        errors += alertProblems()

        // Jobs may name channels only when this file configures where alerts go; a worker's
        // file without `channels:` leaves the check to the producer.
        guard !configuration.channels.isEmpty else { return errors }
        let known = targetNames
        for (index, job) in configuration.jobs.enumerated() {
            let mark = configuration.jobMark(index)
            for (position, target) in (job.alerts?.channels ?? []).enumerated() where !known.contains(target) {
                errors.append(ConfigError(file: mark.file, line: mark.line, path: "\(configuration.jobPath(index)).alerts.channels[\(position)]", message: unknownTarget(target)))
            }
        }
        return errors
    }

    private func mark(_ path: String) -> YAMLMark {
        configuration.marks[path] ?? configuration.marks["alerts"] ?? YAMLMark(file: configuration.file, line: 0, column: 0)
    }

    private func unknownTarget(_ name: String) -> String {
        let known = targetNames.sorted().joined(separator: ", ")
        return "unknown channel, contact or group \"\(name)\": define it under channels: or alerts: (known: \(known.isEmpty ? "none" : known))"
    }

    private func error(_ path: String, _ message: String, at markPath: String? = nil) -> ConfigError {
        let mark = mark(markPath ?? path)
        return ConfigError(file: mark.file, line: mark.line, path: path, message: message)
    }

    private func alertProblems() -> [ConfigError] {
        let alerts = configuration.alerts
        let known = targetNames
        var errors: [ConfigError] = []
        for (field, text, minimum) in [("max_age", alerts.maxAge, Int64(1000)), ("history", alerts.history, Int64(60_000))] {
            if let text, let problem = NotifyValidator.durationProblem(text, minimum: minimum) {
                errors.append(error("alerts.\(field)", problem))
            }
        }
        if let limit = alerts.historyLimit, !(0...10_000_000).contains(limit) {
            errors.append(error("alerts.history_limit", "\(limit) is out of range: use 0 to 10000000"))
        }

        let apps = configuration.apps.isEmpty ? nil : Set(configuration.apps.keys)
        for (app, policy) in (alerts.defaults ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "alerts.defaults.\(app)"
            if app != "*", let apps, !apps.contains(app) {
                errors.append(error(path, "unknown app \"\(app)\": use a configured app or \"*\" for every app"))
            }
            var job = Job(id: "defaults", app: app, schedule: ScheduleSpec())
            job.alerts = policy
            for problem in JobValidator(scheduleCheck: { _ in [] }).problems(in: job) where problem.field.hasPrefix("alerts.") {
                errors.append(error("\(path).\(problem.field.dropFirst("alerts.".count))", problem.message, at: path))
            }
            for (index, target) in (policy.channels ?? []).enumerated() where !known.contains(target) {
                errors.append(error("\(path).channels[\(index)]", unknownTarget(target), at: path))
            }
        }

        for (name, contact) in (alerts.contacts ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "alerts.contacts.\(name)"
            if configuration.channels[name] != nil || alerts.groups?[name] != nil {
                errors.append(error(path, "\"\(name)\" is also a channel or group name: give the contact a name of its own"))
            }
            if let email = contact.email, let problem = NotifyValidator.addressProblem(email) {
                errors.append(error("\(path).email", problem, at: path))
            }
            for (index, channel) in (contact.channels ?? []).enumerated() where configuration.channels[channel] == nil {
                errors.append(error("\(path).channels[\(index)]", "unknown channel \"\(channel)\": a contact's channels must be defined under channels:", at: path))
            }
        }

        for (name, members) in (alerts.groups ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "alerts.groups.\(name)"
            if configuration.channels[name] != nil {
                errors.append(error(path, "\"\(name)\" is also a channel name: give the group a name of its own"))
            }
            for (index, member) in members.enumerated() where !known.contains(member) {
                errors.append(error("\(path)[\(index)]", unknownTarget(member), at: path))
            }
            if NotifyValidator.groupHasCycle(name, groups: alerts.groups ?? [:]) {
                errors.append(error(path, "the group contains itself through its members: remove the loop"))
            }
        }

        for (index, window) in (alerts.maintenance ?? []).enumerated() {
            let path = "alerts.maintenance[\(index)]"
            for problem in NotifyValidator.maintenanceProblems(window) {
                errors.append(error("\(path).\(problem.field)", problem.message, at: path))
            }
        }

        for (index, rule) in (alerts.rules ?? []).enumerated() {
            let path = "alerts.rules[\(index)]"
            if rule.app != "*", let apps, !apps.contains(rule.app) {
                errors.append(error("\(path).app", "unknown app \"\(rule.app)\": use a configured app or \"*\" for each app", at: path))
            }
            if rule.successRateBelow == nil && rule.successRateDrop == nil && rule.runCountDrop == nil {
                errors.append(error(path, "the rule has no threshold: set success_rate_below, success_rate_drop or run_count_drop"))
            }
            if let rate = rule.successRateBelow, !(rate > 0 && rate <= 1) {
                errors.append(error("\(path).success_rate_below", "\(rate) is out of range: use a fraction above 0 and at most 1, such as 0.9", at: path))
            }
            for (field, value) in [("success_rate_drop", rule.successRateDrop), ("run_count_drop", rule.runCountDrop)] {
                if let value, !(value > 0 && value <= 100) {
                    errors.append(error("\(path).\(field)", "\(value) is out of range: use a percentage above 0 and at most 100, such as 50", at: path))
                }
            }
            if let window = rule.window, let problem = NotifyValidator.durationProblem(window, minimum: 60_000) {
                errors.append(error("\(path).window", problem, at: path))
            }
            if let silence = rule.silence, let problem = NotifyValidator.durationProblem(silence, minimum: 0) {
                errors.append(error("\(path).silence", problem, at: path))
            }
            if let minRuns = rule.minRuns, minRuns < 1 {
                errors.append(error("\(path).min_runs", "must be at least 1", at: path))
            }
            if (rule.channels ?? []).isEmpty {
                errors.append(error("\(path).channels", "name at least one channel, contact or group to tell", at: path))
            }
            for (position, target) in (rule.channels ?? []).enumerated() where !known.contains(target) {
                errors.append(error("\(path).channels[\(position)]", unknownTarget(target), at: path))
            }
        }
        return errors
    }

    static func durationProblem(_ text: String, minimum: Int64) -> String? {
        do {
            let milliseconds = try DurationText.milliseconds(text)
            if milliseconds < minimum {
                return "\"\(text)\" is too short: use at least \(DurationText.format(milliseconds: minimum))"
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// A mail address check strict enough to keep header injection and typos out.
    static func addressProblem(_ address: String) -> String? {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        let clean = !address.unicodeScalars.contains { $0.value < 0x21 || $0 == "<" || $0 == ">" || $0 == "," || $0 == "\"" }
        if parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), clean {
            return nil
        }
        return "\"\(address)\" is not a mail address: write it as name@example.com, without spaces or angle brackets"
    }

    static func groupHasCycle(_ start: String, groups: [String: [String]]) -> Bool {
        var stack = groups[start] ?? []
        var seen: Set<String> = []
        while let member = stack.popLast() {
            if member == start { return true }
            guard seen.insert(member).inserted, let nested = groups[member] else { continue }
            stack += nested
        }
        return false
    }

    static func maintenanceProblems(_ window: MaintenanceWindow) -> [JobProblem] {
        var problems: [JobProblem] = []
        switch (window.start != nil || window.end != nil, window.cron != nil) {
        case (true, true):
            problems.append(JobProblem(field: "cron", message: "give either start and end or cron and duration, not both"))
        case (false, false):
            problems.append(JobProblem(field: "start", message: "give start and end (RFC 3339) for a one-time window, or cron and duration for a recurring one"))
        case (true, false):
            let start = window.start.flatMap(Timestamp.parse)
            let end = window.end.flatMap(Timestamp.parse)
            if start == nil {
                problems.append(JobProblem(field: "start", message: "\"\(window.start ?? "")\" is not an RFC 3339 instant such as 2026-05-01T22:00:00+08:00"))
            }
            if end == nil {
                problems.append(JobProblem(field: "end", message: "\"\(window.end ?? "")\" is not an RFC 3339 instant such as 2026-05-02T02:00:00+08:00"))
            }
            if let start, let end, end <= start {
                problems.append(JobProblem(field: "end", message: "must be later than start"))
            }
        case (false, true):
            if window.duration == nil {
                problems.append(JobProblem(field: "duration", message: "a recurring window needs a duration such as 2h"))
            } else if let problem = durationProblem(window.duration!, minimum: 1000) {
                problems.append(JobProblem(field: "duration", message: problem))
            }
            var spec = ScheduleSpec()
            spec.cron = window.cron
            spec.timezone = window.timezone
            do {
                _ = try CompiledSchedule(spec: spec, jobID: "maintenance")
            } catch {
                problems.append(JobProblem(field: "cron", message: "\(error)"))
            }
        }
        return problems
    }
}

/// Checks one channel's settings.
enum ChannelValidator {
    static func problems(_ channel: ChannelSettings) -> [JobProblem] {
        var problems: [JobProblem] = []
        guard ChannelSettings.knownTypes.contains(channel.type) else {
            return [JobProblem(field: "type", message: "unknown channel type \"\(channel.type)\": use \(ChannelSettings.knownTypes.joined(separator: ", "))")]
        }
        if let language = channel.language, !ChannelSettings.knownLanguages.contains(language) {
            problems.append(JobProblem(field: "language", message: "unknown language \"\(language)\": use zh-CN or en"))
        }
        if channel.webhookEnv != nil && channel.webhookFile != nil {
            problems.append(JobProblem(field: "webhook_env", message: "set webhook_env or webhook_file, not both"))
        }
        if channel.secretEnv != nil && channel.secretFile != nil {
            problems.append(JobProblem(field: "secret_env", message: "set secret_env or secret_file, not both"))
        }
        if channel.passwordEnv != nil && channel.passwordFile != nil {
            problems.append(JobProblem(field: "password_env", message: "set password_env or password_file, not both"))
        }
        if channel.isEmail {
            if channel.webhookEnv != nil || channel.webhookFile != nil {
                problems.append(JobProblem(field: "webhook_env", message: "an email channel has no webhook: set host, port and from"))
            }
            if (channel.host ?? "").isEmpty {
                problems.append(JobProblem(field: "host", message: "an email channel needs the SMTP server's host name"))
            }
            if let port = channel.port, !(1...65535).contains(port) {
                problems.append(JobProblem(field: "port", message: "\(port) is out of range: use 1 to 65535, usually 587"))
            }
            if let from = channel.from {
                if let problem = NotifyValidator.addressProblem(from) { problems.append(JobProblem(field: "from", message: problem)) }
            } else {
                problems.append(JobProblem(field: "from", message: "an email channel needs a sender address"))
            }
            for (index, address) in (channel.to ?? []).enumerated() {
                if let problem = NotifyValidator.addressProblem(address) { problems.append(JobProblem(field: "to[\(index)]", message: problem)) }
            }
            if channel.username != nil && channel.passwordEnv == nil && channel.passwordFile == nil {
                problems.append(JobProblem(field: "password_env", message: "username is set but no password source: set password_env or password_file"))
            }
            if channel.secretEnv != nil || channel.secretFile != nil {
                problems.append(JobProblem(field: "secret_env", message: "email channels do not sign messages: remove the secret"))
            }
        } else {
            if channel.webhookEnv == nil && channel.webhookFile == nil {
                problems.append(JobProblem(field: "webhook_env", message: "set webhook_env (an environment variable) or webhook_file holding the webhook URL; URLs carry tokens and are never written in this file"))
            }
            if ["wecom", "slack"].contains(channel.type), channel.secretEnv != nil || channel.secretFile != nil {
                problems.append(JobProblem(field: "secret_env", message: "\(channel.type) webhooks are not signed: remove the secret"))
            }
            for field in ["host", "port", "username", "from", "to", "starttls"] where channel.smtpFieldIsSet(field) {
                problems.append(JobProblem(field: field, message: "only email channels take SMTP settings: remove it or set type: email"))
            }
        }
        for (field, text, minimum) in [("connect_timeout", channel.connectTimeout, Int64(100)), ("timeout", channel.timeout, Int64(100))] {
            if let text, let problem = NotifyValidator.durationProblem(text, minimum: minimum) {
                problems.append(JobProblem(field: field, message: problem))
            }
        }
        if let limit = channel.rateLimit {
            if limit.messages < 1 {
                problems.append(JobProblem(field: "rate_limit.messages", message: "must be at least 1"))
            }
            if let problem = NotifyValidator.durationProblem(limit.per, minimum: 1000) {
                problems.append(JobProblem(field: "rate_limit.per", message: problem))
            }
        }
        if let retry = channel.retry {
            if let attempts = retry.maxAttempts, !(1...10).contains(attempts) {
                problems.append(JobProblem(field: "retry.max_attempts", message: "\(attempts) is out of range: use 1 to 10"))
            }
            for (field, text) in [("retry.initial_backoff", retry.initialBackoff), ("retry.max_backoff", retry.maxBackoff)] {
                if let text, let problem = NotifyValidator.durationProblem(text, minimum: 1) {
                    problems.append(JobProblem(field: field, message: problem))
                }
            }
        }
        for (name, value) in (channel.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            let tokenCharacters = name.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && $0 != ":" }
            if name.isEmpty || !tokenCharacters || value.contains(where: { $0.isNewline }) {
                problems.append(JobProblem(field: "headers.\(name)", message: "not a valid HTTP header: use a name without spaces or colons and a value on one line"))
            }
        }
        if let header = channel.signatureHeader, header.isEmpty || header.contains(where: { $0 == ":" || $0.isWhitespace }) {
            problems.append(JobProblem(field: "signature_header", message: "\"\(header)\" is not a header name: use a name such as X-Signature"))
        }
        if let caFile = channel.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            problems.append(JobProblem(field: "ca_file", message: "cannot read \(caFile): give the path of a PEM CA bundle"))
        }
        return problems
    }
}

extension ChannelSettings {
    fileprivate func smtpFieldIsSet(_ field: String) -> Bool {
        switch field {
        case "host": host != nil
        case "port": port != nil
        case "username": username != nil
        case "from": from != nil
        case "to": to != nil
        case "starttls": starttls != nil
        default: false
        }
    }
}
