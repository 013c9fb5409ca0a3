import Dispatch
import Foundation
import Shared
import Synchronization

/// Owns the jobs of the `jobs` partitions the producers' consumer group assigns to this
/// instance, and keeps them current.
///
/// The group (`<prefix>producers`) subscribes to `jobs` and `results`. Both have the same
/// partition count and the range assignor gives each member the same partition numbers of both,
/// so the owner of job partition p also reads the results of its jobs (co-partitioning). On
/// assignment the owned jobs are rebuilt from `jobs`, `scheduler.state` and `results`
/// (``PartitionRebuild``); afterwards the group consumer delivers changes live. On revocation
/// the jobs are dropped after their changed states are written, so the next owner resumes
/// from them.
///
/// A checkpoint task writes changed job states to `scheduler.state` in batches and then
/// commits the consumer offsets whose effects those states hold.
final class JobOwnership: Service {
    let name = "job-ownership"

    private enum Input: Sendable {
        case assigned([KafkaTopicPartition])
        case revoked([KafkaTopicPartition], DispatchSemaphore)
        case message(KafkaMessage)
        case stop
    }

    private struct Readiness {
        var assignedOnce = false
        var owned: Set<Int> = []
        var rebuilding: Set<Int> = []
    }

    /// The readiness state in a class, so the rebalance handler can capture it.
    private final class ReadinessBox: Sendable {
        let mutex = Mutex(Readiness())
    }

    private let configuration: Configuration
    private let kafka: KafkaConfiguration
    private let scheduler: FireScheduler
    /// The compiler of the configuration in force, replaced by a reload.
    private var compiler: JobCompiler { compilers.withLock { $0 } }
    private let compilers: Mutex<JobCompiler>
    private let publisher: TopicPublisher
    private let metrics: ProducerMetrics
    private let logger: Logger
    private let topics: TopicNames
    private let readinessBox = ReadinessBox()
    private let inputs: AsyncStream<Input>
    private let continuation: AsyncStream<Input>.Continuation
    /// The next offset to commit per topic partition, for messages already applied.
    private let processedOffsets = Mutex<[KafkaTopicPartition: Int64]>([:])
    private let checkpointWaker = Waker()
    private let chains: ChainRunner

    init(
        configuration: Configuration, kafka: KafkaConfiguration, scheduler: FireScheduler, compiler: JobCompiler,
        publisher: TopicPublisher, metrics: ProducerMetrics, logger: Logger
    ) {
        self.configuration = configuration
        self.kafka = kafka
        self.scheduler = scheduler
        self.compilers = Mutex(compiler)
        self.publisher = publisher
        self.metrics = metrics
        self.logger = logger
        self.topics = configuration.kafka.topics
        self.chains = ChainRunner(kafka: kafka, publisher: publisher, scheduler: scheduler, metrics: metrics, logger: logger, topics: configuration.kafka.topics)
        (inputs, continuation) = AsyncStream<Input>.makeStream()
    }

    /// True once partitions were assigned and every owned partition is rebuilt.
    var isReady: Bool {
        readinessBox.mutex.withLock { $0.assignedOnce && $0.rebuilding.isEmpty }
    }

    /// The job partitions this instance owns.
    var ownedPartitions: Set<Int> {
        readinessBox.mutex.withLock { $0.owned }
    }

    /// Checks job definitions read from now on with `compiler`, after a reload.
    func replaceCompiler(_ compiler: JobCompiler) {
        compilers.withLock { $0 = compiler }
    }

    func shutdown() async {
        continuation.yield(.stop)
    }

    func run() async throws {
        let groupID = topics.prefix + "producers"
        var settings = kafka.settings
        // TODO: use cooperative-sticky assignment; with the eager default every membership change
        // revokes and rebuilds every partition on every member (about 2 minutes at 1,000,000 jobs).
        // A fresh group starts at the end: the rebuild has read everything before it.
        settings["auto.offset.reset"] = settings["auto.offset.reset"] ?? "latest"
        let groupKafka = KafkaConfiguration(bootstrapServers: kafka.bootstrapServers, clientID: kafka.clientID, settings: settings)
        let consumer = try KafkaConsumer(
            configuration: groupKafka, groupID: groupID, logger: logger.with(["component": "kafka.consumer"]),
            onRebalance: { [continuation, readinessBox, topics] event, _ in
                switch event {
                case .assigned(let partitions):
                    let numbers = Set(partitions.filter { $0.topic == topics.jobs }.map(\.partition))
                    readinessBox.mutex.withLock {
                        $0.assignedOnce = true
                        $0.rebuilding = numbers
                    }
                    continuation.yield(.assigned(partitions))
                case .revoked(let partitions):
                    // Wait until the jobs are dropped and their states written, so the next owner
                    // starts from them; give up after a while rather than leave the group.
                    let done = DispatchSemaphore(value: 0)
                    continuation.yield(.revoked(partitions, done))
                    _ = done.wait(timeout: .now() + .seconds(15))
                }
            })
        try consumer.subscribe(topics: [topics.jobs, topics.results])
        await scheduler.setChangeHandler { [checkpointWaker] in checkpointWaker.wake() }

        let forwarder = Task { [continuation, logger] in
            do {
                for try await message in consumer.messages() {
                    continuation.yield(.message(message))
                }
            } catch {
                logger.error("reading the jobs topic failed", [LogKey.error: "\(error)"])
            }
            continuation.finish()
        }
        let checkpointer = Task { [self] in
            while !Task.isCancelled {
                await checkpointWaker.wait(upTo: .milliseconds(500))
                try? await Task.sleep(for: .milliseconds(50))
                await checkpoint(consumer: consumer)
            }
        }

        // The next offset to handle per topic partition: the group consumer may deliver messages
        // the rebuild already read, and after its seek some twice.
        var positions: [KafkaTopicPartition: Int64] = [:]
        var stopping = false
        for await input in inputs {
            switch input {
            case .assigned(let partitions):
                let numbers = partitions.filter { $0.topic == topics.jobs }.map(\.partition).sorted()
                await rebuild(partitions: numbers, consumer: consumer, positions: &positions)
            case .revoked(let partitions, let done):
                let numbers = Set(partitions.filter { $0.topic == topics.jobs }.map(\.partition))
                for partition in partitions { positions.removeValue(forKey: partition) }
                await release(partitions: numbers)
                done.signal()
            case .message(let message):
                await handle(message, positions: &positions)
            case .stop:
                guard !stopping else { continue }
                stopping = true
                await scheduler.stop()
                Task { [logger] in
                    do {
                        try await consumer.close()
                    } catch {
                        logger.warning("leaving the producer group failed", [LogKey.error: "\(error)"])
                    }
                }
            }
        }
        forwarder.cancel()
        checkpointer.cancel()
        await checkpoint(consumer: nil)
    }

    // MARK: - Assignment

    /// Rebuilds the jobs of `partitions`, then moves the group consumer to where the rebuild
    /// stopped reading.
    ///
    /// Without the seek, a group that has committed nothing starts at the end of each partition
    /// as of its own first fetch, which can come after the rebuild finished: a job created in
    /// between was read by neither.
    private func rebuild(partitions: [Int], consumer: KafkaConsumer, positions: inout [KafkaTopicPartition: Int64]) async {
        let started = ContinuousClock.now
        readinessBox.mutex.withLock { $0.owned = Set(partitions) }
        guard !partitions.isEmpty else {
            logger.info("no job partitions assigned")
            return
        }

        var attempt = 0
        while true {
            attempt += 1
            do {
                let committed = try await consumer.committed(partitions.map { KafkaTopicPartition(topic: topics.results, partition: $0) })
                var resultStarts: [Int: Int64] = [:]
                for entry in committed {
                    if let offset = entry.offset { resultStarts[entry.partition] = offset }
                }
                let reader = KafkaPartitionReader(configuration: kafka, logger: logger)
                let data = try await PartitionRebuild.read(partitions: partitions, topics: topics, reader: reader, resultStartOffsets: resultStarts)
                var seeks: [KafkaTopicPartitionOffset] = []
                for (partition, offset) in data.jobsEndOffsets {
                    positions[KafkaTopicPartition(topic: topics.jobs, partition: partition)] = offset
                    seeks.append(KafkaTopicPartitionOffset(topic: topics.jobs, partition: partition, offset: offset))
                }
                for (partition, offset) in data.resultsEndOffsets {
                    positions[KafkaTopicPartition(topic: topics.results, partition: partition)] = offset
                    seeks.append(KafkaTopicPartitionOffset(topic: topics.results, partition: partition, offset: offset))
                }
                try await consumer.seek(seeks)
                let installed = await install(data)
                let elapsed = ContinuousClock.now - started
                metrics.rebuildSeconds.set(elapsed.seconds)
                logger.notice("job partitions rebuilt", [
                    "partitions": partitions.map(String.init).joined(separator: ","), "jobs": "\(installed)",
                    "states": "\(data.states.count)", "results_read": "\(data.resultCount)", "elapsed_ms": "\(Int(elapsed.seconds * 1000))",
                ])
                break
            } catch {
                logger.error("rebuilding job partitions failed, trying again", [LogKey.error: "\(error)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: .seconds(min(attempt, 5)))
            }
        }
        readinessBox.mutex.withLock { $0.rebuilding.subtract(partitions) }
    }

    /// Installs rebuilt jobs into the scheduler; returns how many were installed.
    ///
    /// Jobs are decoded and compiled in chunks on every core, then handed to the scheduler.
    func install(_ data: PartitionRebuild) async -> Int {
        let now = Date()
        let messages = Array(data.jobs.values)
        let chunkSize = 2000
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var installed = 0
        var start = 0
        while start < messages.count {
            // One round: up to `workers` chunks compiled side by side.
            let round = stride(from: start, to: min(messages.count, start + chunkSize * workers), by: chunkSize).map {
                Array(messages[$0..<min(messages.count, $0 + chunkSize)])
            }
            start += chunkSize * workers
            let compiled = await withTaskGroup(of: [FireScheduler.Installation].self) { group in
                for chunk in round {
                    group.addTask { [compiler, logger] in
                        var batch: [FireScheduler.Installation] = []
                        batch.reserveCapacity(chunk.count)
                        for message in chunk {
                            guard let value = message.value, let key = message.keyString else { continue }
                            do {
                                let job = try compiler.decode(value)
                                let schedule = try compiler.compile(job)
                                batch.append(FireScheduler.Installation(
                                    job: job, schedule: schedule, partition: message.partition, state: data.states[key], encoded: value,
                                    definedAt: message.timestamp))
                            } catch {
                                logger.warning("job in the registry rejected", [LogKey.jobID: key, LogKey.error: "\(error)"])
                            }
                        }
                        return batch
                    }
                }
                var all: [[FireScheduler.Installation]] = []
                for await batch in group { all.append(batch) }
                return all
            }
            for batch in compiled {
                await scheduler.upsert(batch, now: now)
                installed += batch.count
            }
        }
        for (_, results) in data.lastResults {
            for result in results { await scheduler.runEnded(result) }
        }
        for (_, control) in data.controls {
            if let event = await scheduler.apply(control: control) {
                await publish(event)
            }
        }
        for result in data.chainResults {
            await chains.resultArrived(result)
        }
        for (request, partition) in data.chainRequests.sorted(by: { $0.request.time < $1.request.time }) {
            await chains.requestArrived(request, partition: partition)
        }
        return installed
    }

    private func release(partitions: Set<Int>) async {
        guard !partitions.isEmpty else { return }
        readinessBox.mutex.withLock {
            $0.owned.subtract(partitions)
            $0.rebuilding.subtract(partitions)
        }
        let states = await scheduler.release(partitions: partitions)
        await write(states: states, deleted: [])
        logger.notice("job partitions released", ["partitions": partitions.sorted().map(String.init).joined(separator: ","), "states_written": "\(states.count)"])
    }

    // MARK: - Live changes

    private func handle(_ message: KafkaMessage, positions: inout [KafkaTopicPartition: Int64]) async {
        guard ownedPartitions.contains(message.partition) else { return }
        guard message.offset >= positions[message.topicPartition] ?? 0 else { return }
        positions[message.topicPartition] = message.offset + 1
        if message.topic == topics.jobs {
            await handleJobMessage(message)
        } else if message.topic == topics.results {
            if let value = message.value, let result = try? MessageCodec.decode(RunResult.self, from: Data(value)) {
                await scheduler.runEnded(result)
                await chains.resultArrived(result)
            }
        }
        processedOffsets.withLock { $0[message.topicPartition] = message.offset + 1 }
    }

    private func handleJobMessage(_ message: KafkaMessage) async {
        guard let key = message.keyString else { return }
        if ChainRequest.isKey(key) {
            // A tombstone marks a request done.
            guard let value = message.value else { return }
            do {
                let request = try MessageCodec.decode(ChainRequest.self, from: Data(value))
                await chains.requestArrived(request, partition: message.partition)
            } catch {
                logger.warning("chain request rejected", ["key": key, LogKey.error: "\(error)"])
            }
            return
        }
        if let jobID = JobControl.jobID(fromKey: key) {
            guard let value = message.value else { return }
            do {
                let control = try MessageCodec.decode(JobControl.self, from: Data(value))
                if let event = await scheduler.apply(control: control) {
                    logger.info("pause or resume applied", [LogKey.jobID: jobID, "action": control.action.rawValue])
                    await publish(event)
                }
            } catch {
                logger.warning("pause or resume request rejected", [LogKey.jobID: jobID, LogKey.error: "\(error)"])
            }
            return
        }

        guard let value = message.value else {
            await scheduler.delete(jobID: key)
            logger.info("job deleted", [LogKey.jobID: key])
            return
        }
        do {
            let job = try compiler.decode(value)
            guard job.id == key else {
                throw JobCompiler.Rejection(problems: [JobProblem(field: "id", message: "\"\(job.id)\" differs from the message key \"\(key)\"")])
            }
            let schedule = try compiler.compile(job)
            await scheduler.upsert(job: job, schedule: schedule, partition: message.partition, state: nil, encoded: value, definedAt: message.timestamp)
            if let next = await scheduler.next(jobID: job.id) {
                logger.info("job scheduled", [LogKey.jobID: job.id, "next_fire": Timestamp.rfc3339(next.fireAt)])
            }
        } catch {
            // The previous definition, if any, keeps running: a bad write never stops a job.
            logger.warning("job in the registry rejected", [LogKey.jobID: key, LogKey.error: "\(error)"])
            await publish(ScheduleEvent(type: .jobRejected, jobID: key, detail: ["reason": .string("\(error)")]))
        }
    }

    // MARK: - Checkpoints

    /// Writes changed job states, then commits the offsets of the messages they reflect.
    private func checkpoint(consumer: KafkaConsumer?) async {
        let offsets = processedOffsets.withLock { offsets in
            defer { offsets.removeAll() }
            return offsets
        }
        let (states, deleted) = await scheduler.takeChangedStates()
        let written = await write(states: states, deleted: deleted)
        guard written, let consumer, !offsets.isEmpty else { return }
        let owned = ownedPartitions
        let commits = offsets.filter { owned.contains($0.key.partition) }.map {
            KafkaTopicPartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value)
        }
        do {
            try await consumer.commit(offsets: commits)
        } catch {
            logger.debug("committing producer offsets failed", [LogKey.error: "\(error)"])
        }
    }

    /// Writes states and deletions concurrently; returns false when any write failed, after
    /// handing the failed ones back to the scheduler for the next checkpoint.
    @discardableResult
    private func write(states: [JobState], deleted: [String]) async -> Bool {
        guard !states.isEmpty || !deleted.isEmpty else { return true }
        let producer = publisher.producer
        let topic = topics.schedulerState
        let failed = await withTaskGroup(of: String?.self) { group in
            for state in states {
                group.addTask {
                    do {
                        try await producer.send(topic: topic, key: state.jobID, value: Array(MessageCodec.encode(state)))
                        return nil
                    } catch {
                        return state.jobID
                    }
                }
            }
            for jobID in deleted {
                group.addTask {
                    do {
                        try await producer.send(topic: topic, key: jobID, value: nil)
                        return nil
                    } catch {
                        return jobID
                    }
                }
            }
            var failed: [String] = []
            for await jobID in group {
                if let jobID { failed.append(jobID) }
            }
            return failed
        }
        guard failed.isEmpty else {
            logger.error("job states not written, trying again", ["count": "\(failed.count)"])
            await scheduler.markChanged(jobIDs: failed)
            return false
        }
        metrics.statesWritten.increment(by: Double(states.count + deleted.count))
        return true
    }

    private func publish(_ event: ScheduleEvent) async {
        do {
            try await publisher.publish(event: event)
        } catch {
            logger.warning("event not published", ["event": event.type.rawValue, LogKey.jobID: event.jobID ?? "", LogKey.error: "\(error)"])
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
