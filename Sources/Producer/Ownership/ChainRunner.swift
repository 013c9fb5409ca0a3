import Foundation
import Shared
import Synchronization

/// Starts chained jobs, in two halves that usually run in different producers.
///
/// The owner of a parent job reads its final results (co-partitioned with the job) and writes
/// one ``ChainRequest`` per child to the child's partition of `jobs`. The owner of the child
/// reads the request, renders the child's templates with the parent's values and emits the
/// trigger (`source: chain`, linked to the parent), then writes a tombstone for the request.
/// Both halves are safe to repeat: the trigger id is derived from the parent trigger and the
/// child, and workers drop trigger ids they have seen.
///
/// Chained triggers, like manual ones, are not subject to the child's `overlap` policy.
final class ChainRunner: Sendable {
    private let kafka: KafkaConfiguration
    private let publisher: TopicPublisher
    private let scheduler: FireScheduler
    private let metrics: ProducerMetrics
    private let logger: Logger
    private let topics: TopicNames
    /// The partition count of `jobs`, read once.
    private let jobsPartitionCount = Mutex<Int?>(nil)

    init(kafka: KafkaConfiguration, publisher: TopicPublisher, scheduler: FireScheduler, metrics: ProducerMetrics, logger: Logger, topics: TopicNames) {
        self.kafka = kafka
        self.publisher = publisher
        self.scheduler = scheduler
        self.metrics = metrics
        self.logger = logger
        self.topics = topics
    }

    // MARK: - Parent side

    /// Writes the chain requests that a final result of an owned job starts.
    func resultArrived(_ result: RunResult) async {
        guard let jobID = result.jobID, let job = await scheduler.chainingJob(jobID: jobID) else { return }

        for request in ChainRequest.requests(for: result, parentJob: job) {
            let written = await retrying("chain request not written", ids: [LogKey.jobID: request.childJobID, LogKey.triggerID: result.triggerID]) {
                let partition = try await self.partition(of: request.childJobID)
                try await self.publisher.producer.send(
                    topic: self.topics.jobs, key: request.key, value: Array(MessageCodec.encode(request)), partition: partition)
            }
            if written {
                logger.info("chained job requested", [
                    LogKey.jobID: request.childJobID, "parent.job_id": jobID, "parent.trigger_id": result.triggerID, "reason": request.reason,
                ])
            }
        }
    }

    // MARK: - Child side

    /// Emits the trigger of a chain request for an owned child job, then removes the request.
    func requestArrived(_ request: ChainRequest, partition: Int) async {
        let ids = [LogKey.jobID: request.childJobID, LogKey.triggerID: request.triggerID, "parent.trigger_id": request.parent.triggerID]
        guard let view = await scheduler.view(jobID: request.childJobID) else {
            logger.warning("chained job not found, request dropped", ids)
            await publish(ScheduleEvent(type: .rejected, jobID: request.childJobID, triggerID: request.triggerID, detail: detail(request, [
                "reason": .string("job \(request.childJobID) is not defined: define it or remove it from \(request.parent.jobID)'s \(request.reason)"),
            ])))
            await removeRequest(request, partition: partition)
            return
        }
        if view.state.paused {
            logger.info("chained job paused, request dropped", ids)
            await publish(ScheduleEvent(type: .rejected, jobID: request.childJobID, triggerID: request.triggerID, app: view.job.app, detail: detail(request, [
                "reason": .string("job \(request.childJobID) is paused"),
            ])))
            await removeRequest(request, partition: partition)
            return
        }

        let now = Date()
        let trigger = TriggerFactory.trigger(
            for: view.job, scheduledAt: now, source: .chain, emittedAt: now, id: request.triggerID, parent: request.parent,
            templateInstant: request.parent.scheduledAt ?? request.time)
        let emitted = await retrying("chained trigger not written", ids: ids) {
            _ = try await self.publisher.publish(trigger: trigger)
        }
        // Without the trigger the request stays, so the next rebuild of the partition tries again.
        guard emitted else { return }
        metrics.triggersEmitted.increment(by: 1, ["source": "chain"])
        logger.info("chained trigger emitted", ids)
        await publish(ScheduleEvent(type: .emitted, jobID: view.job.id, triggerID: trigger.id, app: view.job.app, detail: detail(request, [
            "source": .string("chain"),
        ])))
        await removeRequest(request, partition: partition)
    }

    private func detail(_ request: ChainRequest, _ extra: [String: JSONValue]) -> [String: JSONValue] {
        extra.merging([
            "parent_job_id": .string(request.parent.jobID), "parent_trigger_id": .string(request.parent.triggerID),
            "parent_status": .string(request.parent.status.rawValue), "chain": .string(request.reason),
        ]) { current, _ in current }
    }

    private func removeRequest(_ request: ChainRequest, partition: Int) async {
        _ = await retrying("chain request not removed", ids: [LogKey.jobID: request.childJobID, LogKey.triggerID: request.triggerID]) {
            _ = try await self.publisher.producer.send(topic: self.topics.jobs, key: request.key, value: nil, partition: partition)
        }
    }

    // MARK: - Helpers

    private func partition(of jobID: String) async throws -> Int {
        if let count = jobsPartitionCount.withLock({ $0 }) {
            return KeyPartitioner.partition(of: jobID, partitions: count)
        }
        let admin = try KafkaAdmin(configuration: kafka, logger: logger)
        guard let count = try await admin.partitionCount(topic: topics.jobs) else {
            throw KafkaError(code: .queryFailed, reason: "topic \(topics.jobs) does not exist; create the topics with `dify-producer topics create`")
        }
        jobsPartitionCount.withLock { $0 = count }
        return KeyPartitioner.partition(of: jobID, partitions: count)
    }

    /// Runs `write` up to 8 times, about 40 s in all; returns whether it succeeded.
    private func retrying(_ message: String, ids: [String: String], _ write: @Sendable () async throws -> Void) async -> Bool {
        for attempt in 1...8 {
            do {
                try await write()
                return true
            } catch {
                var metadata = ids
                metadata[LogKey.error] = "\(error)"
                metadata["attempt"] = "\(attempt)"
                logger.error(attempt < 8 ? message + ", trying again" : message + ", giving up", metadata)
                if attempt < 8 { try? await Task.sleep(for: .seconds(min(attempt, 8))) }
            }
        }
        return false
    }

    private func publish(_ event: ScheduleEvent) async {
        do {
            try await publisher.publish(event: event)
        } catch {
            logger.warning("event not published", ["event": event.type.rawValue, LogKey.jobID: event.jobID ?? "", LogKey.error: "\(error)"])
        }
    }
}
