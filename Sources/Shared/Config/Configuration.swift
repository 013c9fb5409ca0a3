import Foundation

/// The configuration file shared by both processes; each reads its own sections.
///
/// Load it with ``ConfigurationLoader``, which applies `DIFY_SCHEDULER__SECTION__KEY`
/// environment overrides and reports every invalid value with file and line.
public struct Configuration: Decodable, Sendable {
    public var kafka: KafkaSettings
    public var apps: [String: AppSettings]
    public var jobs: [Job]
    public var calendars: [String: CalendarSettings]
    public var channels: [String: ChannelSettings]
    public var alerts: AlertSettings
    /// API tokens of the producer's HTTP interface.
    public var auth: AuthSettings = AuthSettings()
    public var producer: ProducerSettings
    public var worker: WorkerSettings
    public var logging: LoggingSettings

    /// Position of each job in its file, by job index, for messages about a job.
    public var jobMarks: [YAMLMark] = []
    /// Where each channel and each `alerts:` entry was defined, by path such as
    /// `channels.ops` or `alerts.rules[0]`, for messages about them.
    public var marks: [String: YAMLMark] = [:]
    public var file: String = "<input>"

    /// Position of each job in the `jobs:` list of its own file, by job index: a job that
    /// failed to decode still counts, so messages name the job the user sees.
    public var jobPositions: [Int] = []

    public var jobLines: [Int] { jobMarks.map(\.line) }

    /// Path of the job at `index` in ``jobs`` as the file numbers it, such as `jobs[3]`.
    public func jobPath(_ index: Int) -> String {
        "jobs[\(index < jobPositions.count ? jobPositions[index] : index)]"
    }

    /// Where the job at `index` in ``jobs`` was defined.
    public func jobMark(_ index: Int) -> YAMLMark {
        index < jobMarks.count ? jobMarks[index] : YAMLMark(file: file, line: 0, column: 0)
    }

    enum CodingKeys: String, CodingKey {
        case kafka, apps, jobs, calendars, channels, alerts, auth, producer, worker, logging
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Each section decodes on its own, so a problem in one does not hide those of another.
        kafka = try decoder.collecting(KafkaSettings()) { try container.decodeIfPresent(KafkaSettings.self, forKey: .kafka) ?? KafkaSettings() }
        apps = try decoder.collecting([:]) { try container.decodeIfPresent([String: AppSettings].self, forKey: .apps) ?? [:] }
        jobs = try decoder.collecting([]) { try container.decodeIfPresent([Job].self, forKey: .jobs) ?? [] }
        calendars = try decoder.collecting([:]) { try container.decodeIfPresent([String: CalendarSettings].self, forKey: .calendars) ?? [:] }
        channels = try decoder.collecting([:]) { try container.decodeIfPresent([String: ChannelSettings].self, forKey: .channels) ?? [:] }
        alerts = try decoder.collecting(AlertSettings()) { try container.decodeIfPresent(AlertSettings.self, forKey: .alerts) ?? AlertSettings() }
        auth = try decoder.collecting(AuthSettings()) { try container.decodeIfPresent(AuthSettings.self, forKey: .auth) ?? AuthSettings() }
        producer = try decoder.collecting(ProducerSettings()) { try container.decodeIfPresent(ProducerSettings.self, forKey: .producer) ?? ProducerSettings() }
        worker = try decoder.collecting(WorkerSettings()) { try container.decodeIfPresent(WorkerSettings.self, forKey: .worker) ?? WorkerSettings() }
        logging = try decoder.collecting(LoggingSettings()) { try container.decodeIfPresent(LoggingSettings.self, forKey: .logging) ?? LoggingSettings() }
    }

    public init() {
        kafka = KafkaSettings()
        apps = [:]
        jobs = []
        calendars = [:]
        channels = [:]
        alerts = AlertSettings()
        producer = ProducerSettings()
        worker = WorkerSettings()
        logging = LoggingSettings()
    }
}

/// Broker addresses, topic naming and librdkafka settings.
public struct KafkaSettings: Codable, Sendable {
    public var bootstrapServers: String = "127.0.0.1:9092"
    public var topicPrefix: String = "dify."
    /// Partitions of each topic created by `dify-producer topics` and `make run`.
    public var partitions: Int = 12
    public var replicationFactor: Int = 1
    /// Passed to librdkafka unchanged (TLS, SASL, tuning).
    public var settings: [String: String] = [:]
    /// The shared key that signs trigger messages; nil leaves triggers unsigned and unchecked.
    public var triggerSigning: TriggerSigningSettings?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case partitions, settings
        case triggerSigning = "trigger_signing"
        case bootstrapServers = "bootstrap_servers"
        case topicPrefix = "topic_prefix"
        case replicationFactor = "replication_factor"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bootstrapServers = try container.decodeIfPresent(String.self, forKey: .bootstrapServers) ?? bootstrapServers
        topicPrefix = try container.decodeIfPresent(String.self, forKey: .topicPrefix) ?? topicPrefix
        partitions = try container.decodeIfPresent(Int.self, forKey: .partitions) ?? partitions
        replicationFactor = try container.decodeIfPresent(Int.self, forKey: .replicationFactor) ?? replicationFactor
        settings = try container.decodeIfPresent([String: String].self, forKey: .settings) ?? [:]
        triggerSigning = try container.decodeIfPresent(TriggerSigningSettings.self, forKey: .triggerSigning)
    }

    public var topics: TopicNames { TopicNames(prefix: topicPrefix) }
}

/// Names of the topics under one prefix.
public struct TopicNames: Sendable, Hashable {
    public let prefix: String

    public init(prefix: String) {
        self.prefix = prefix
    }

    public var jobs: String { prefix + "jobs" }
    public var schedulerState: String { prefix + "scheduler.state" }
    public var triggers: String { prefix + "triggers" }
    public var runs: String { prefix + "runs" }
    public var results: String { prefix + "results" }
    public var events: String { prefix + "events" }
    public var alerts: String { prefix + "alerts" }
    public var deadLetter: String { prefix + "triggers.dlq" }

    /// Every topic, with whether it is compacted.
    public var all: [(name: String, compacted: Bool)] {
        [
            (jobs, true), (schedulerState, true), (triggers, false), (runs, true),
            (results, false), (events, false), (alerts, false), (deadLetter, false),
        ]
    }
}

/// A Dify app as workers call it. The API key comes only from the environment or a file.
public struct AppSettings: Codable, Sendable, Hashable {
    public init(baseURL: String, apiKeyEnv: String? = nil, apiKeyFile: String? = nil, mode: String? = nil, limits: AppLimits? = nil) {
        self.baseURL = baseURL
        self.apiKeyEnv = apiKeyEnv
        self.apiKeyFile = apiKeyFile
        self.mode = mode
        self.limits = limits
    }

    /// The API base as Dify's API page shows it, ending in `/v1`.
    public var baseURL: String
    public var apiKeyEnv: String?
    public var apiKeyFile: String?
    /// `workflow`, `chatflow` or `completion`; asked from `GET /info` when nil.
    public var mode: String?
    public var limits: AppLimits?
    /// Accept triggers from external systems that name no known job.
    public var acceptExternal: Bool?
    /// Daily limits of tokens and cost, counted by the worker that owns the app.
    public var budget: AppBudget?

    enum CodingKeys: String, CodingKey {
        case mode, limits, budget
        case baseURL = "base_url"
        case apiKeyEnv = "api_key_env"
        case apiKeyFile = "api_key_file"
        case acceptExternal = "accept_external"
    }

    /// Reads the API key from the environment variable or file named in the configuration.
    ///
    /// - Throws: ``ConfigError`` naming the variable or file when it is missing or empty.
    public func resolveAPIKey(app: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let variable = apiKeyEnv {
            guard let value = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                throw ConfigError(file: "environment", line: 0, path: "apps.\(app).api_key_env",
                    message: "environment variable \(variable) is not set: export the app's API key in it")
            }
            SecretRedactor.shared.register(value)
            return value
        }
        if let path = apiKeyFile {
            guard let data = FileManager.default.contents(atPath: path),
                let value = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                !value.isEmpty
            else {
                throw ConfigError(file: path, line: 0, path: "apps.\(app).api_key_file",
                    message: "cannot read the API key file: check that it exists, is readable and is not empty")
            }
            SecretRedactor.shared.register(value)
            return value
        }
        throw ConfigError(file: "configuration", line: 0, path: "apps.\(app)",
            message: "no API key source: set api_key_env or api_key_file")
    }
}

/// Per-app limits enforced by the worker that owns the app's partition.
public struct AppLimits: Codable, Sendable, Hashable {
    public var requestsPerSecond: Double?
    public var burst: Int?
    public var maxConcurrency: Int?
    public var tokensPerMinute: Int64?
    /// Retries may be at most this fraction of calls over a minute (default 0.2).
    public var retryBudget: Double?

    public init(requestsPerSecond: Double? = nil, burst: Int? = nil, maxConcurrency: Int? = nil, tokensPerMinute: Int64? = nil, retryBudget: Double? = nil) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.maxConcurrency = maxConcurrency
        self.tokensPerMinute = tokensPerMinute
        self.retryBudget = retryBudget
    }

    enum CodingKeys: String, CodingKey {
        case burst
        case requestsPerSecond = "requests_per_second"
        case maxConcurrency = "max_concurrency"
        case tokensPerMinute = "tokens_per_minute"
        case retryBudget = "retry_budget"
    }
}

/// A named working-day calendar; the schedule engine compiles it.
public struct CalendarSettings: Codable, Sendable, Hashable {
    public var weekdays: [String]?
    public var holidays: [String]?
    public var workdays: [String]?
    public var icsFile: String?
    public var icsWorkdayPattern: String?

    enum CodingKeys: String, CodingKey {
        case weekdays, holidays, workdays
        case icsFile = "ics_file"
        case icsWorkdayPattern = "ics_workday_pattern"
    }
}

public struct ProducerSettings: Codable, Sendable {
    public var id: String?
    public var listen: String = "127.0.0.1:8080"
    public var publicURL: String?
    public var store: String = "sqlite:./data/records.db"
    public var retention: String = "30d"
    /// How long runs, node traces and schedule events (with alerts) are kept; each defaults
    /// to `retention`.
    public var retentionRuns: String?
    public var retentionNodeTraces: String?
    public var retentionEvents: String?
    /// Fires later than this are misfires.
    public var misfireThreshold: String = "60s"
    /// Largest request body the HTTP interface reads; a larger one is answered 413.
    public var maxBodyBytes: Int = 1 << 20
    /// A connection that sends nothing for this long is closed, so idle or stalled clients do
    /// not hold connections.
    public var connectionTimeout: String = "30s"
    /// Most connections open at once; more are refused.
    public var maxConnections: Int = 1024

    public init() {}

    enum CodingKeys: String, CodingKey {
        case id, listen, store, retention
        case publicURL = "public_url"
        case misfireThreshold = "misfire_threshold"
        case retentionRuns = "retention_runs"
        case retentionNodeTraces = "retention_node_traces"
        case retentionEvents = "retention_events"
        case maxBodyBytes = "max_body_bytes"
        case connectionTimeout = "connection_timeout"
        case maxConnections = "max_connections"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        retentionRuns = try container.decodeIfPresent(String.self, forKey: .retentionRuns)
        retentionNodeTraces = try container.decodeIfPresent(String.self, forKey: .retentionNodeTraces)
        retentionEvents = try container.decodeIfPresent(String.self, forKey: .retentionEvents)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        listen = try container.decodeIfPresent(String.self, forKey: .listen) ?? listen
        publicURL = try container.decodeIfPresent(String.self, forKey: .publicURL)
        store = try container.decodeIfPresent(String.self, forKey: .store) ?? store
        retention = try container.decodeIfPresent(String.self, forKey: .retention) ?? retention
        misfireThreshold = try container.decodeIfPresent(String.self, forKey: .misfireThreshold) ?? misfireThreshold
        maxBodyBytes = try container.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? maxBodyBytes
        connectionTimeout = try container.decodeIfPresent(String.self, forKey: .connectionTimeout) ?? connectionTimeout
        maxConnections = try container.decodeIfPresent(Int.self, forKey: .maxConnections) ?? maxConnections
    }
}

public struct WorkerSettings: Codable, Sendable {
    public var id: String?
    public var listen: String?
    public var shutdownGrace: String = "30s"
    /// Triggers held per partition before the partition is paused.
    public var maxHeldPerPartition: Int = 1000
    /// Runs in flight in this worker, over all apps.
    public var maxInFlight: Int = 10_000
    /// Runs in flight per Dify (scheme, host and port of the base URL), shared by its apps.
    public var maxConcurrencyPerDify: Int = 256
    /// Dify's own PostgreSQL databases that `dify_cleanup` jobs may clean, by name.
    public var difyDatabases: [String: DifyDatabaseSettings] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case id, listen
        case shutdownGrace = "shutdown_grace"
        case maxHeldPerPartition = "max_held_per_partition"
        case maxInFlight = "max_in_flight"
        case maxConcurrencyPerDify = "max_concurrency_per_dify"
        case difyDatabases = "dify_databases"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        listen = try container.decodeIfPresent(String.self, forKey: .listen)
        shutdownGrace = try container.decodeIfPresent(String.self, forKey: .shutdownGrace) ?? shutdownGrace
        maxHeldPerPartition = try container.decodeIfPresent(Int.self, forKey: .maxHeldPerPartition) ?? maxHeldPerPartition
        maxInFlight = try container.decodeIfPresent(Int.self, forKey: .maxInFlight) ?? maxInFlight
        maxConcurrencyPerDify = try container.decodeIfPresent(Int.self, forKey: .maxConcurrencyPerDify) ?? maxConcurrencyPerDify
        difyDatabases = try container.decodeIfPresent([String: DifyDatabaseSettings].self, forKey: .difyDatabases) ?? [:]
    }
}

/// Where a Dify PostgreSQL database is; the URL, which holds the password, comes only from
/// the environment or a file.
public struct DifyDatabaseSettings: Codable, Sendable, Hashable {
    /// Environment variable holding `postgres://user:password@host:port/dify`.
    public var urlEnv: String?
    /// File holding the URL, such as a mounted secret.
    public var urlFile: String?

    public init(urlEnv: String? = nil, urlFile: String? = nil) {
        self.urlEnv = urlEnv
        self.urlFile = urlFile
    }

    enum CodingKeys: String, CodingKey {
        case urlEnv = "url_env"
        case urlFile = "url_file"
    }

    /// Reads the URL from the environment variable or file and registers it as a secret.
    ///
    /// - Throws: ``ConfigError`` naming the variable or file when it is missing or empty.
    public func resolveURL(database: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let path = "worker.dify_databases.\(database)"
        if let variable = urlEnv {
            guard let value = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                throw ConfigError(file: "environment", line: 0, path: "\(path).url_env", message: "environment variable \(variable) is not set: export the database URL (postgres://user:password@host:port/dify) in it")
            }
            SecretRedactor.shared.register(value)
            return value
        }
        if let file = urlFile {
            guard let data = FileManager.default.contents(atPath: file),
                let value = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty
            else {
                throw ConfigError(file: file, line: 0, path: "\(path).url_file", message: "cannot read the database URL file: check that it exists, is readable and is not empty")
            }
            SecretRedactor.shared.register(value)
            return value
        }
        throw ConfigError(file: "configuration", line: 0, path: path, message: "no URL source: set url_env or url_file")
    }
}

public struct LoggingSettings: Codable, Sendable {
    public var level: String = "info"
    public var format: String = "text"

    public init() {}

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        level = try container.decodeIfPresent(String.self, forKey: .level) ?? level
        format = try container.decodeIfPresent(String.self, forKey: .format) ?? format
    }
}
