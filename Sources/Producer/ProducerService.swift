import Foundation
import Shared

/// The producer's scheduling center: the fire loop of the owned jobs (``FireScheduler``) and
/// their ownership through the producers' consumer group (``JobOwnership``).
///
/// `run()` applies the configuration's `jobs:` to the registry first (without pruning), then
/// joins the group. Other parts of the process (the control API, records) reach the scheduler,
/// the registry and the publisher through ``ProducerContext``.
final class ProducerService: Service {
    let name = "scheduler"

    let context: ProducerContext
    private let ownership: JobOwnership
    private let scheduler: FireScheduler

    init(context: ProducerContext) {
        self.context = context
        let configuration = context.configuration
        let threshold = (try? DurationText.milliseconds(configuration.producer.misfireThreshold)) ?? 60_000
        // TODO: read the global catch-up cap from `producer.max_catchup` once ProducerSettings has it.
        let settings = FireScheduler.Settings(misfireThresholdMilliseconds: threshold, maxCatchupCap: ProducerContext.maxCatchupCap)
        scheduler = FireScheduler(settings: settings, emitter: ProducerService.emitter(context: context), metrics: context.metrics, logger: context.logger)
        ownership = JobOwnership(
            configuration: configuration, kafka: context.kafka, scheduler: scheduler, compiler: context.compiler,
            publisher: context.publisher, metrics: context.metrics, logger: context.logger)
        context.attach(scheduler: scheduler, ownership: ownership)
    }

    var isReady: Bool { ownership.isReady }

    func shutdown() async {
        await ownership.shutdown()
    }

    func run() async throws {
        let configuration = context.configuration
        if !configuration.jobs.isEmpty {
            let outcome = try await JobApplier(registry: context.registry, publisher: context.publisher)
                .apply(jobs: configuration.jobs, prune: false, dryRun: false, actor: "config:\(configuration.file)")
            context.logger.notice("configuration jobs applied", [
                "added": "\(outcome.added.count)", "changed": "\(outcome.changed.count)", "unchanged": "\(outcome.unchanged.count)",
            ])
        }
        context.logger.notice("producer started", ["kafka.bootstrap": configuration.kafka.bootstrapServers, "producer.id": context.instanceID])

        let loop = Task { await scheduler.run() }
        defer { loop.cancel() }
        try await ownership.run()
        await scheduler.stop()
        await loop.value
        try? await context.producer.close(timeout: .seconds(10))
        context.logger.notice("producer stopped")
    }

    /// Writes triggers, cancel requests and events for the fire loop.
    ///
    /// TODO: emission runs at about 6,000 triggers/s on 2 cores, far below the broker's raw
    /// produce rate; Foundation's JSON coding takes about 115 µs per fire (decoding the stored
    /// job, encoding the trigger and the event), so a faster encoder is the next step.
    static func emitter(context: ProducerContext) -> FireEmitter {
        let publisher = context.publisher
        let logger = context.logger
        let metrics = context.metrics
        return FireEmitter(
            trigger: { job, fire in
                let trigger = TriggerFactory.trigger(for: job, scheduledAt: fire.scheduledAt, source: .schedule)
                do {
                    try await publisher.publish(trigger: trigger)
                } catch {
                    logger.error("trigger not written, trying again", [LogKey.jobID: job.id, LogKey.triggerID: trigger.id, LogKey.error: "\(error)"])
                    return false
                }
                let lateness = Date().timeIntervalSince(fire.fireAt)
                metrics.triggersEmitted.increment(by: 1, ["source": "schedule"])
                metrics.emitLateness.observe(max(0, lateness))
                if logger.isEnabled(.debug) {
                    logger.debug("trigger emitted", [LogKey.jobID: job.id, LogKey.triggerID: trigger.id, LogKey.scheduledAt: Timestamp.rfc3339(fire.scheduledAt)])
                }
                let event = ScheduleEvent(type: .emitted, jobID: job.id, triggerID: trigger.id, app: job.app, detail: [
                    "scheduled_at": .string(Timestamp.rfc3339(fire.scheduledAt)), "lateness_ms": .int(Int64(lateness * 1000)),
                    "source": .string("schedule"),
                ])
                do {
                    try await publisher.publish(event: event)
                } catch {
                    logger.warning("event not published", ["event": "emitted", LogKey.jobID: job.id, LogKey.error: "\(error)"])
                }
                return true
            },
            cancel: { job, target in
                var cancel = Trigger(id: TriggerID.random(prefix: "c"), app: job.app)
                cancel.type = .cancel
                cancel.jobID = job.id
                cancel.targetTriggerID = target
                cancel.actor = "scheduler:overlap"
                cancel.emittedAt = Date()
                do {
                    try await publisher.publish(trigger: cancel)
                } catch {
                    logger.error("cancel request not written, trying again", [LogKey.jobID: job.id, LogKey.triggerID: target, LogKey.error: "\(error)"])
                    return false
                }
                let event = ScheduleEvent(type: .stopRequested, jobID: job.id, triggerID: target, app: job.app, actor: cancel.actor, detail: [
                    "reason": .string("overlap: cancel_previous"),
                ])
                _ = try? await publisher.publish(event: event)
                return true
            },
            event: { event in
                if event.type == .skippedOverlap {
                    metrics.skipped.increment(by: 1, ["reason": "overlap"])
                }
                do {
                    try await publisher.publish(event: event)
                } catch {
                    logger.warning("event not published", ["event": event.type.rawValue, LogKey.jobID: event.jobID ?? "", LogKey.error: "\(error)"])
                }
            })
    }
}
