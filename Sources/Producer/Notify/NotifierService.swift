import Dispatch
import Foundation
import Shared
import Synchronization

/// Looks up a job definition by id; the configuration's `jobs:` now, the job registry later.
typealias JobLookup = @Sendable (String) -> Job?

/// The producer's notifier: reads `<prefix>results` and `<prefix>alerts`, raises the alerts
/// that need history, suppresses, and delivers each alert to its channels once.
///
/// All producers join one consumer group, `<prefix>notifier`, over both topics. Both are
/// keyed by job id with the same partition count, and the range assignor gives one member
/// the same partition numbers of each, so the producer that owns a job's results also owns
/// its alerts and is the only one that delivers them. On takeover it reads back up to
/// `alerts.history` of both partitions, before the group's committed offsets, to rebuild
/// failure streaks, silences and the ids already handled. App-level rules need every
/// partition; the owner of alerts partition 0 evaluates them.
final class NotifierService: Service {
    let name = "notifier"

    /// The configuration in force: channels and alert settings change with a SIGHUP reload.
    var configuration: Configuration { reloadable.withLock { $0.configuration } }
    /// The configuration and channel directory, replaced together by ``prepareReload(_:)``.
    let reloadable: Mutex<(configuration: Configuration, directory: ChannelDirectory?)>
    private let jobs: JobLookup
    /// The job registry, read for the `deliver` block of jobs made through the API or the console.
    let registry: JobRegistry?
    /// One delivery at a time per channel, so parts of different outputs do not interleave.
    let channelTurns = ChannelTurns()
    let logger: Logger
    let environment: [String: String]
    private let stopSignal = FirstOutcome<Void>()
    let state: Mutex<State>
    /// How often app-level rules are judged.
    let appRuleInterval: Duration

    struct State: Sendable {
        var engine = AlertRuleEngine()
        var suppressor: AlertSuppressor
        var limiter = ChannelRateLimiter(limits: [:])
        var progress = OffsetProgress()
        /// Results partitions' offsets, stored only once their deliveries have outcomes.
        var resultProgress = OffsetProgress()
        /// Trigger id and channel of each output delivered or being delivered.
        var deliveries = RecentIDs(capacity: 100_000)
        /// Jobs of each `jobs` partition as last read from the registry.
        var registryJobs: [Int: RegistrySnapshot] = [:]
        /// Scheduled instants of recent runs by trigger id, for alerts that lack one.
        var scheduled: [String: Date] = [:]
        var scheduledOrder: [String] = []
        var ownsAppRules = false
        var appRules: AppRuleEvaluator?
        var appRuleOffsets: [Int: Int64] = [:]
        var assigned: Set<KafkaTopicPartition> = []

        mutating func noteScheduled(_ result: RunResult) {
            guard let scheduledAt = result.scheduledAt, scheduled[result.triggerID] == nil else { return }
            scheduled[result.triggerID] = scheduledAt
            scheduledOrder.append(result.triggerID)
            if scheduledOrder.count > 20_000 {
                for id in scheduledOrder.prefix(5000) { scheduled[id] = nil }
                scheduledOrder.removeFirst(5000)
            }
        }
    }

    init(configuration: Configuration, logger: Logger, jobs: JobLookup? = nil, registry: JobRegistry? = nil,
         environment: [String: String] = ProcessInfo.processInfo.environment, appRuleInterval: Duration = .seconds(15)) {
        reloadable = Mutex((configuration, nil))
        self.registry = registry
        let configured = Dictionary(configuration.jobs.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.jobs = jobs ?? { configured[$0] }
        self.logger = logger.with(["component": "notifier"])
        self.environment = environment
        self.appRuleInterval = appRuleInterval
        let suppressor = AlertSuppressor(
            maxAgeMilliseconds: configuration.alerts.effectiveMaxAgeMilliseconds,
            maintenance: MaintenanceCalendar(settings: configuration.alerts.maintenance ?? []))
        state = Mutex(State(suppressor: suppressor))
    }

    var topics: TopicNames { configuration.kafka.topics }
    var groupID: String { topics.prefix + "notifier" }

    func shutdown() async {
        stopSignal.offer(())
    }

    func run() async throws {
        let directory = try ChannelDirectory(configuration: configuration, environment: environment)
        let limits = directory.rateLimits
        state.withLock { $0.limiter = ChannelRateLimiter(limits: limits) }
        reloadable.withLock { $0.directory = directory }
        let kafka = ConfigLoading.kafka(configuration, role: "notifier")
        let producer = try KafkaProducer(configuration: kafka, logger: logger.with(["component": "kafka.producer"]))
        let publisher = TopicPublisher(producer: producer, topics: topics)
        let consumer = try KafkaConsumer(configuration: kafka, groupID: groupID, logger: logger) { [weak self] event, consumer in
            self?.rebalance(event, consumer: consumer, kafka: kafka)
        }
        try consumer.subscribe(topics: [topics.results, topics.alerts])
        logger.notice("notifier started", ["kafka.group": groupID, "channels": "\(directory.channels.count)"])

        let sender = ChannelSender()
        await withDiscardingTaskGroup { group in
            group.addTask { [self] in
                await stopSignal.value()
                try? await consumer.close()
            }
            group.addTask { [self] in await commitLoop(consumer) }
            if !(configuration.alerts.rules ?? []).isEmpty {
                group.addTask { [self] in await appRuleLoop(kafka: kafka, publisher: publisher) }
            }
            do {
                for try await message in consumer.messages() {
                    let current = reloadable.withLock { $0.directory } ?? directory
                    if message.topic == topics.results {
                        await handleResult(message, consumer: consumer, publisher: publisher, directory: current, group: &group)
                    } else if message.topic == topics.alerts {
                        handleAlert(message, consumer: consumer, publisher: publisher, directory: current, sender: sender, group: &group)
                    }
                }
            } catch {
                logger.error("notifier stopped reading", [LogKey.error: "\(error)"])
            }
            stopSignal.offer(())
            group.cancelAll()
        }
        try? await producer.close(timeout: .seconds(10))
        logger.notice("notifier stopped")
    }

    // MARK: - Results

    /// The job's policy over the app defaults, or the app defaults for a job not known here.
    func policy(jobID: String?, app: String?) -> (policy: AlertPolicy?, job: Job?) {
        let job = jobID.flatMap(jobs)
        if let job { return (configuration.alerts.effectivePolicy(for: job), job) }
        guard let app else { return (nil, nil) }
        return (configuration.alerts.effectivePolicy(for: Job(id: jobID ?? "-", app: app, schedule: ScheduleSpec())), nil)
    }

    /// Raises the result's alerts and starts the deliveries of its output. The offset is
    /// stored once every delivery of this and earlier results has its event published.
    func handleResult(
        _ message: KafkaMessage, consumer: KafkaConsumer, publisher: TopicPublisher, directory: ChannelDirectory,
        group: inout DiscardingTaskGroup
    ) async {
        guard let value = message.value, let result = try? MessageCodec.decode(RunResult.self, from: Data(value)) else {
            logger.warning("result not readable, skipped", [LogKey.partition: "\(message.partition)", LogKey.offset: "\(message.offset)"])
            finishResult(message, consumer: consumer, units: [], publisher: publisher, group: &group)
            return
        }
        let (policy, job) = policy(jobID: result.jobID, app: result.app)
        let alerts = state.withLock { state in
            state.noteScheduled(result)
            if result.status.outcome == .success, let jobID = result.jobID {
                state.suppressor.observeSuccess(jobID: jobID, at: result.finishedAt ?? Date())
            }
            return state.engine.observe(result, policy: policy, workerPolicy: job?.alerts)
        }
        for alert in alerts {
            await publishPersistently("alert") { try await publisher.publish(alert: alert) }
        }
        let deliveryJob = await currentJob(of: result, partition: message.partition) ?? job
        let units = deliveryUnits(for: result, job: deliveryJob, directory: directory)
        finishResult(message, consumer: consumer, units: units, publisher: publisher, group: &group)
    }

    /// Runs `units` as tasks and stores the result's offset when it and every earlier result
    /// of its partition are done. A unit stopped by shutdown leaves the offset unstored.
    private func finishResult(
        _ message: KafkaMessage, consumer: KafkaConsumer, units: [DeliveryUnit], publisher: TopicPublisher,
        group: inout DiscardingTaskGroup
    ) {
        let store: @Sendable (Int64?) -> Void = { offset in
            if let offset { try? consumer.storeOffset(topic: message.topic, partition: message.partition, offset: offset) }
        }
        state.withLock { $0.resultProgress.begin(partition: message.partition, offset: message.offset, units: units.count) }
        guard !units.isEmpty else {
            store(state.withLock { $0.resultProgress.finish(partition: message.partition, offset: message.offset) })
            return
        }
        for unit in units {
            group.addTask { [self] in
                guard let event = await unit() else { return }
                await publishPersistently("event") { try await publisher.publish(event: event) }
                store(state.withLock { $0.resultProgress.finish(partition: message.partition, offset: message.offset) })
            }
        }
    }

    // MARK: - Alerts

    func handleAlert(
        _ message: KafkaMessage, consumer: KafkaConsumer, publisher: TopicPublisher, directory: ChannelDirectory,
        sender: ChannelSender, group: inout DiscardingTaskGroup
    ) {
        guard let value = message.value, let alert = try? MessageCodec.decode(Alert.self, from: Data(value)) else {
            logger.warning("alert not readable, skipped", [LogKey.partition: "\(message.partition)", LogKey.offset: "\(message.offset)"])
            try? consumer.storeOffset(for: message)
            return
        }
        let (policy, job) = policy(jobID: alert.jobID, app: alert.app)
        let silence = alert.kind.isAppLevel ? nil : policy?.silence.flatMap { try? DurationText.milliseconds($0) }
        let names = alert.channels ?? policy?.channels ?? []
        let now = Date()

        var units: [@Sendable () async -> ScheduleEvent?] = []
        let decision = state.withLock { $0.suppressor.decide(alert, silenceMilliseconds: silence, now: now) }
        switch decision {
        case .duplicate:
            logger.debug("alert already handled", ["alert_id": alert.id])
        case .send:
            let (targets, unknown) = directory.resolve(names)
            if targets.isEmpty && unknown.isEmpty {
                units.append { Self.event(alert, channel: nil, sent: false, reason: "no_channel", error: "the alert names no channel: set alerts.channels on the job or its app defaults") }
            }
            for name in unknown {
                units.append { Self.event(alert, channel: name, sent: false, reason: "unknown_channel", error: "no channel, contact or group is named \(name)") }
            }
            var notice = AlertNotice(alert: alert, timezone: job?.schedule.timezone,
                runLink: AlertNotice.runLink(publicURL: configuration.producer.publicURL, triggerID: alert.triggerID))
            if notice.scheduledAt == nil, let triggerID = alert.triggerID {
                notice.scheduledAt = state.withLock { $0.scheduled[triggerID] }
            }
            for target in targets {
                let allowed = state.withLock { $0.limiter.take(target.channel.name, now: now) }
                guard allowed else {
                    units.append { Self.event(alert, channel: target.channel.name, sent: false, reason: "rate_limited", error: "the channel's rate limit was reached") }
                    continue
                }
                let notice = notice
                units.append { [logger] in
                    let outcome = await sender.deliver(notice, to: target)
                    if outcome.delivered {
                        logger.info("alert sent", ["alert_id": alert.id, "channel": target.channel.name, "attempts": "\(outcome.attempts)"])
                    } else {
                        logger.warning("alert not delivered", ["alert_id": alert.id, "channel": target.channel.name, LogKey.error: outcome.error ?? "-"])
                    }
                    var event = Self.event(alert, channel: target.channel.name, sent: outcome.delivered,
                        reason: outcome.delivered ? nil : "delivery_failed", error: outcome.error)
                    event.detail?["channel_type"] = .string(target.channel.settings.type)
                    event.detail?["attempts"] = .int(Int64(outcome.attempts))
                    event.detail?["elapsed_ms"] = .int(outcome.elapsedMilliseconds)
                    if let status = outcome.status { event.detail?["http_status"] = .int(Int64(status)) }
                    return event
                }
            }
        default:
            logger.info("alert held back", ["alert_id": alert.id, "reason": decision.reason ?? "-"])
            let (targets, unknown) = directory.resolve(names)
            let channels = targets.map(\.channel.name) + unknown
            let detail = Self.describe(decision)
            for channel in channels.isEmpty ? [nil] : channels.map(Optional.some) {
                units.append { Self.event(alert, channel: channel, sent: false, reason: decision.reason, error: detail) }
            }
        }

        guard !units.isEmpty else {
            try? consumer.storeOffset(for: message)
            return
        }
        state.withLock { $0.progress.begin(partition: message.partition, offset: message.offset, units: units.count) }
        for unit in units {
            group.addTask { [self] in
                if let event = await unit() {
                    await publishPersistently("event") { try await publisher.publish(event: event) }
                }
                if let offset = state.withLock({ $0.progress.finish(partition: message.partition, offset: message.offset) }) {
                    try? consumer.storeOffset(topic: message.topic, partition: message.partition, offset: offset)
                }
            }
        }
    }

    static func describe(_ decision: AlertSuppressor.Decision) -> String? {
        switch decision {
        case .silenced(let until): "silenced until \(Timestamp.rfc3339(until)): the same incident was reported already"
        case .maintenance(let window): "held back by maintenance window \(window)"
        case .tooOld(let age): "not sent: the alert was \(DurationText.format(milliseconds: age)) old, older than alerts.max_age"
        case .send, .duplicate: nil
        }
    }

    /// The `alert_sent` or `alert_failed` event of one alert on one channel.
    static func event(_ alert: Alert, channel: String?, sent: Bool, reason: String?, error: String?) -> ScheduleEvent {
        var detail: [String: JSONValue] = [
            "alert_id": .string(alert.id),
            "alert_kind": .string(alert.kind.rawValue),
            "severity": .string(alert.severity.rawValue),
        ]
        if let channel { detail["channel"] = .string(channel) }
        if let reason { detail["reason"] = .string(reason) }
        if let error { detail["error"] = .string(error) }
        return ScheduleEvent(type: sent ? .alertSent : .alertFailed, jobID: alert.jobID, triggerID: alert.triggerID, app: alert.app, detail: detail)
    }

    /// Publishes until the broker takes it or the notifier stops, backing off between tries.
    private func publishPersistently(_ what: String, _ publish: @Sendable () async throws -> Void) async {
        var wait: Duration = .milliseconds(200)
        while true {
            do {
                try await publish()
                return
            } catch {
                logger.warning("\(what) not published, trying again", [LogKey.error: "\(error)"])
                if Task.isCancelled { return }
                try? await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(10))
            }
        }
    }

    private func commitLoop(_ consumer: KafkaConsumer) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            do {
                try await consumer.commit()
            } catch let error as KafkaError where error.code == .closed {
                return
            } catch {
                logger.debug("offset commit failed", [LogKey.error: "\(error)"])
            }
        }
    }
}
