import Foundation
import Shared
import Synchronization

/// The producer's scheduling service: fires the configured jobs and writes their triggers.
final class ProducerService: Service {
    let name = "scheduler"

    private let configuration: Configuration
    private let logger: Logger
    private let metrics: ProducerMetrics
    private let stopSignal = FirstOutcome<Void>()
    private let ready = Mutex(false)

    init(configuration: Configuration, logger: Logger, metrics: ProducerMetrics) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
    }

    var isReady: Bool { ready.withLock { $0 } }

    func shutdown() async {
        stopSignal.offer(())
    }

    func run() async throws {
        try KafkaLibrary.checkVersion()
        let producer = try KafkaProducer(configuration: ConfigLoading.kafka(configuration, role: "scheduler"), logger: logger.with(["component": "kafka.producer"]))
        let publisher = TopicPublisher(producer: producer, topics: configuration.kafka.topics)

        let (calendars, problems) = configuration.scheduleCalendars()
        if !problems.isEmpty { throw ConfigErrors(problems) }
        let registry = CalendarRegistry(calendars)

        let scheduler = FireScheduler(logger: logger) { [logger, metrics] job, fire in
            await ProducerService.emit(job: job, fire: fire, publisher: publisher, logger: logger, metrics: metrics)
        }
        for job in configuration.jobs {
            let schedule = try CompiledSchedule(spec: job.schedule, jobID: job.id, calendars: registry.lookup)
            await scheduler.upsert(job: job, schedule: schedule)
            if let next = await scheduler.next(jobID: job.id) {
                logger.info("job scheduled", [LogKey.jobID: job.id, "next_fire": Timestamp.rfc3339(next.fireAt)])
            }
        }
        metrics.jobs.set(Double(configuration.jobs.count))
        logger.notice("producer started", ["jobs": "\(configuration.jobs.count)", "kafka.bootstrap": configuration.kafka.bootstrapServers])
        ready.withLock { $0 = true }

        let loop = Task { await scheduler.run() }
        await stopSignal.value()
        ready.withLock { $0 = false }
        await scheduler.stop()
        await loop.value
        try? await producer.close(timeout: .seconds(10))
        logger.notice("producer stopped")
    }

    /// Writes the trigger of one fire; returns false when it could not be written.
    static func emit(job: Job, fire: ScheduledFire, publisher: TopicPublisher, logger: Logger, metrics: ProducerMetrics) async -> Bool {
        let trigger = TriggerFactory.trigger(for: job, scheduledAt: fire.scheduledAt, source: .schedule)
        do {
            try await publisher.publish(trigger: trigger)
        } catch {
            logger.error("trigger not written, trying again", [LogKey.jobID: job.id, LogKey.triggerID: trigger.id, LogKey.error: "\(error)"])
            return false
        }
        let lateness = Date().timeIntervalSince(fire.fireAt)
        metrics.triggersEmitted.increment(by: 1, [LogKey.app: job.app])
        metrics.emitLateness.observe(max(0, lateness))
        logger.debug("trigger emitted", [LogKey.jobID: job.id, LogKey.triggerID: trigger.id, LogKey.scheduledAt: Timestamp.rfc3339(fire.scheduledAt)])

        let event = ScheduleEvent(type: .emitted, jobID: job.id, triggerID: trigger.id, app: job.app, detail: [
            "scheduled_at": .string(Timestamp.rfc3339(fire.scheduledAt)), "lateness_ms": .int(Int64(lateness * 1000)),
        ])
        do {
            try await publisher.publish(event: event)
        } catch {
            logger.warning("event not published", ["event": "emitted", LogKey.jobID: job.id, LogKey.error: "\(error)"])
        }
        return true
    }
}

/// The producer's metrics.
struct ProducerMetrics: Sendable {
    let jobs: Gauge
    let triggersEmitted: Counter
    let emitLateness: Histogram
    let misfires: Counter
    let skipped: Counter

    init(registry: MetricsRegistry) {
        jobs = registry.gauge("dify_producer_jobs", help: "Jobs this producer schedules.")
        triggersEmitted = registry.counter("dify_producer_triggers_emitted_total", help: "Triggers written for fires, by app.")
        emitLateness = registry.histogram("dify_producer_emit_lateness_seconds", help: "Time from a fire's instant to its trigger being written.")
        misfires = registry.counter("dify_producer_misfires_total", help: "Instants missed while no producer owned the job, by job and policy.")
        skipped = registry.counter("dify_producer_skipped_total", help: "Fires skipped, by reason.")
    }
}
