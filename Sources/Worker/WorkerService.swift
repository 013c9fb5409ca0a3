import Dispatch
import Foundation
import Shared
import Synchronization

/// The worker process's main service: consumes the trigger topic as a member of the workers'
/// consumer group, feeds the dispatcher, and commits finished offsets.
///
/// On a partition assignment it first rebuilds that partition's run states from the same
/// partition of `runs`, so duplicates and runs of a crashed worker are recognised.
final class WorkerService: Service {
    let name = "worker"

    private let configuration: Configuration
    /// The apps in use; a reload replaces them, here for a dispatcher not yet built and in it.
    private let apps: Mutex<(apps: [String: WorkerApp], generation: Int)>
    private let workerID: String
    private let logger: Logger
    private let metrics: WorkerMetrics
    private let stopSignal = FirstOutcome<Void>()
    private let ready = Mutex(false)
    private let running = DispatcherBox()
    /// Signs the worker's retry triggers and checks incoming ones; nil without `kafka.trigger_signing`.
    private let signer: TriggerSigner?

    init(configuration: Configuration, apps: [String: WorkerApp], workerID: String, logger: Logger, metrics: WorkerMetrics, signer: TriggerSigner? = nil) {
        self.configuration = configuration
        self.signer = signer
        self.apps = Mutex((apps, 0))
        self.workerID = workerID
        self.logger = logger
        self.metrics = metrics
    }

    var isReady: Bool { ready.withLock { $0 } }

    func shutdown() async {
        stopSignal.offer(())
    }

    /// Applies reloaded apps: runs that start from now on use them, runs in flight go on.
    func replaceApps(_ newApps: [String: WorkerApp]) async {
        apps.withLock { $0 = (newApps, $0.generation + 1) }
        await running.dispatcher?.replaceApps(newApps)
    }

    func run() async throws {
        try KafkaLibrary.checkVersion()
        let topics = configuration.kafka.topics
        let kafka = KafkaConfiguration(
            bootstrapServers: configuration.kafka.bootstrapServers, clientID: "dify-worker-\(workerID)",
            settings: configuration.kafka.settings)

        // Each run waits on its writes one after another (result, then final state), so the
        // worker's producer lingers 1 ms instead of 5 unless the configuration says otherwise.
        var producerKafka = kafka
        if producerKafka.settings["linger.ms"] == nil { producerKafka.settings["linger.ms"] = "1" }
        let producer = try KafkaProducer(configuration: producerKafka, logger: logger.with(["component": "kafka.producer"]))
        let publisher = TopicPublisher(producer: producer, topics: topics, signer: signer)
        let reader = KafkaPartitionReader(configuration: kafka, logger: logger)
        // Every run in flight to one Dify holds a connection, up to the per-Dify cap.
        let client = DifyClient(configuration: DifyClientConfiguration(maxConnectionsPerHost: configuration.worker.maxConcurrencyPerDify))

        let dispatcherBox = DispatcherBox()
        let consumer = try KafkaConsumer(
            configuration: kafka, groupID: topics.prefix + "workers", logger: logger.with(["component": "kafka.consumer"])
        ) { [logger] event, consumer in
            guard let dispatcher = dispatcherBox.dispatcher else { return }
            switch event {
            case .assigned(let partitions):
                for partition in partitions where partition.topic == topics.triggers {
                    let states = WorkerService.rebuildRunStates(reader: reader, topic: topics.runs, partition: partition.partition, logger: logger)
                    blockingWait { await dispatcher.assign(partition: partition.partition, states: states) }
                }
            case .revoked(let partitions):
                for partition in partitions where partition.topic == topics.triggers {
                    blockingWait { await dispatcher.revoke(partition: partition.partition) }
                }
                do {
                    try consumer.commitBlocking()
                } catch {
                    logger.warning("commit on revoke failed", [LogKey.error: "\(error)"])
                }
            }
        }

        let control = ConsumerOffsets(consumer: consumer, topic: topics.triggers, logger: logger)
        // Inputs are checked against each app's form from the first trigger on.
        let parameters = AppParametersCache(client: client, logger: logger)
        await parameters.prefetch(Array(apps.withLock { $0.apps }.values))
        let executorBox = DispatcherBox()
        let executor = RunExecutor(
            client: client, publisher: publisher, workerID: workerID, logger: logger, settings: .init(),
            spendRetry: { app in await executorBox.dispatcher?.spendRetry(app: app) ?? false },
            feedback: { app, feedback in await executorBox.dispatcher?.recordFeedback(app: app, feedback: feedback) },
            modes: AppModeCache(client: client, logger: logger),
            parameters: parameters)
        let (initialApps, initialGeneration) = apps.withLock { $0 }
        let dispatcher = TriggerDispatcher(
            apps: initialApps, executor: executor, publisher: publisher, consumer: control, workerID: workerID,
            settings: .init(maxHeldPerPartition: configuration.worker.maxHeldPerPartition, maxConcurrencyPerOrigin: configuration.worker.maxConcurrencyPerDify), logger: logger, metrics: metrics,
            cleanup: DifyCleanupRunner(databases: configuration.worker.difyDatabases, environment: ProcessInfo.processInfo.environment, logger: logger.with(["component": "dify-cleanup"])))
        dispatcherBox.dispatcher = dispatcher
        executorBox.dispatcher = dispatcher
        running.dispatcher = dispatcher
        // A reload that finished while the dispatcher was being built is applied now.
        let (latestApps, latestGeneration) = apps.withLock { $0 }
        if latestGeneration != initialGeneration {
            await dispatcher.replaceApps(latestApps)
        }

        try consumer.subscribe(topics: [topics.triggers])
        if signer == nil, initialApps.values.contains(where: { !$0.acceptsExternal }) {
            logger.warning("triggers are not authenticated: any system that can write the trigger topic can run jobs of apps without accept_external. Set kafka.trigger_signing on producers and workers")
        }
        logger.notice("worker started", [LogKey.workerID: workerID, "apps": initialApps.keys.sorted().joined(separator: ","), "kafka.bootstrap": configuration.kafka.bootstrapServers])
        ready.withLock { $0 = true }

        let consuming = Task {
            do {
                for try await message in consumer.messages() {
                    await dispatcher.accept(message)
                }
            } catch {
                logger.error("trigger consumer failed", [LogKey.error: "\(error)"])
                stopSignal.offer(())
            }
        }
        let committing = Task {
            var ticks = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await control.commitIfNeeded()
                await dispatcher.refreshRateMetrics()
                await dispatcher.refreshBudgets()
                ticks += 1
                if ticks % 60 == 0 {
                    await dispatcher.pruneRunStates(olderThan: 7 * 86_400)
                }
            }
        }

        await stopSignal.value()
        ready.withLock { $0 = false }

        // Stop taking triggers, let runs in flight finish, then commit and leave the group.
        let grace = (try? DurationText.duration(configuration.worker.shutdownGrace)) ?? .seconds(30)
        logger.notice("draining", ["grace": configuration.worker.shutdownGrace, "in_flight": "\(await dispatcher.runningCount)"])
        await dispatcher.drain(grace: grace)
        committing.cancel()
        await control.commitIfNeeded(force: true)
        // Leaving the group waits for the broker; a broker that is gone must not hold the exit.
        let left = FirstOutcome<Bool>()
        Task {
            do {
                try await consumer.close()
            } catch {
                logger.warning("leaving the consumer group failed", [LogKey.error: "\(error)"])
            }
            left.offer(true)
        }
        Task {
            try? await Task.sleep(for: .seconds(10))
            left.offer(false)
        }
        if await !left.value() {
            logger.warning("leaving the consumer group timed out, exiting without it")
        }
        consuming.cancel()
        try? await producer.close(timeout: .seconds(10))
        logger.notice("worker stopped", [LogKey.workerID: workerID])
    }

    /// Reads partition `partition` of the run-state topic and keeps the latest state per trigger.
    static func rebuildRunStates(reader: KafkaPartitionReader, topic: String, partition: Int, logger: Logger) -> [RunState] {
        var latest: [String: RunState] = [:]
        do {
            let summary = try reader.readBlocking(topic: topic, partitions: [partition], timeout: .seconds(60)) { message in
                guard let key = message.keyString else { return }
                guard let value = message.value else {
                    latest[key] = nil
                    return
                }
                if let state = try? MessageCodec.decode(RunState.self, from: Data(value)) {
                    latest[key] = state
                }
            }
            logger.info("run states rebuilt", [LogKey.partition: "\(partition)", "messages": "\(summary.messageCount)", "triggers": "\(latest.count)"])
        } catch {
            // Without run states a duplicate may run again, but no trigger is lost, so the worker goes on.
            logger.error("rebuilding run states failed", [LogKey.partition: "\(partition)", LogKey.error: "\(error)"])
        }
        return Array(latest.values)
    }
}

/// Lets the rebalance handler, created before the dispatcher, reach it.
final class DispatcherBox: Sendable {
    private let value = Mutex<TriggerDispatcher?>(nil)

    var dispatcher: TriggerDispatcher? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

/// Stores and commits trigger offsets for the dispatcher, and pauses or resumes partitions.
final class ConsumerOffsets: ConsumerControl {
    private let consumer: KafkaConsumer
    private let topic: String
    private let logger: Logger
    private let pending = Mutex(false)

    init(consumer: KafkaConsumer, topic: String, logger: Logger) {
        self.consumer = consumer
        self.topic = topic
        self.logger = logger
    }

    func storeOffset(partition: Int, nextOffset: Int64) {
        do {
            // The consumer stores the offset after the one given.
            try consumer.storeOffset(topic: topic, partition: partition, offset: nextOffset - 1)
            pending.withLock { $0 = true }
        } catch {
            // A revoked partition's offset belongs to its new owner now.
            logger.debug("offset not stored", [LogKey.partition: "\(partition)", LogKey.error: "\(error)"])
        }
    }

    func pause(partition: Int) {
        do {
            try consumer.pause([KafkaTopicPartition(topic: topic, partition: partition)])
        } catch {
            logger.warning("pausing a partition failed", [LogKey.partition: "\(partition)", LogKey.error: "\(error)"])
        }
    }

    func resume(partition: Int) {
        do {
            try consumer.resume([KafkaTopicPartition(topic: topic, partition: partition)])
        } catch {
            logger.warning("resuming a partition failed", [LogKey.partition: "\(partition)", LogKey.error: "\(error)"])
        }
    }

    func commitIfNeeded(force: Bool = false) async {
        let due = pending.withLock { state in
            defer { state = false }
            return state || force
        }
        guard due else { return }
        do {
            try await consumer.commit()
        } catch {
            logger.warning("committing offsets failed, retrying at the next commit", [LogKey.error: "\(error)"])
            pending.withLock { $0 = true }
        }
    }
}

/// Runs async work from a thread that is not part of Swift's pool (librdkafka's poll thread)
/// and waits for it.
func blockingWait(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}
