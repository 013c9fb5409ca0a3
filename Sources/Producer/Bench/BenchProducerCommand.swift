import Foundation
import Shared

/// `dify-producer bench-producer --config FILE --measure memory|rebuild|emit --jobs N`: the
/// producer's figures for `make bench` (`scripts/bench/producer.sh`); not listed in the usage.
///
/// - `memory`: RSS per scheduled job, for N jobs compiled and queued in a ``FireScheduler``.
/// - `rebuild`: writes N jobs and their states under a fresh topic prefix, then times the
///   rebuild a producer does on assignment (read `jobs`, `scheduler.state`, `results`, compile
///   and queue every job).
/// - `emit`: N jobs due at the same instant, fired through the real emitter (trigger and
///   `emitted` event per fire), next to librdkafka's raw produce rate to the same broker.
enum BenchProducerCommand {
    static func run(arguments: [String]) async -> Int32 {
        do {
            let options = try CommandArguments(arguments, options: ["config", "measure", "jobs"])
            let configuration = try ConfigLoading.load(options.all("config"))
            let jobs = try options.integer("jobs", default: 100_000, range: 1...10_000_000)
            LogSettings.configure(level: .warning, format: .text)
            switch options.value("measure") ?? "memory" {
            case "memory": try await memory(jobs: jobs)
            case "rebuild": try await rebuild(configuration: configuration, jobs: jobs)
            case "emit": try await emit(configuration: configuration, jobs: jobs)
            case "codec": codec(jobs: jobs)
            case let other: throw CommandArguments.UsageError(message: "unknown --measure \(other): use memory, rebuild or emit")
            }
            return 0
        } catch {
            printError("dify-producer bench-producer: \(error)")
            return 1
        }
    }

    /// A job like a typical production one: a cron schedule in a zone, two inputs, a retry.
    static func sampleJob(_ index: Int) -> Job {
        var job = Job(id: "bench-\(index)", app: "app-\(index % 50)", schedule: ScheduleSpec(cron: "0 \(index % 60) \(index % 24) * * *", timezone: "Asia/Shanghai"))
        job.inputs = ["topic": .string("report \(index)"), "day": "{{ previous_day }}"]
        job.retry = RetryPolicy(maxAttempts: 3, initialBackoff: "10s")
        job.managedBy = .api
        return job
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    static func idleScheduler() -> FireScheduler {
        let emitter = FireEmitter(trigger: { _, _ in true }, cancel: { _, _ in true }, event: { _ in })
        return FireScheduler(settings: .init(), emitter: emitter, metrics: ProducerMetrics(registry: MetricsRegistry()), logger: Logger(label: "bench"))
    }

    /// Times the JSON work of one fire: decoding the stored job, encoding its trigger and event.
    static func codec(jobs: Int) {
        let clock = ContinuousClock()
        let encoded = (0..<jobs).map { Array(MessageCodec.encode(sampleJob($0))) }
        var start = clock.now
        var decoded: [Job] = []
        decoded.reserveCapacity(jobs)
        for bytes in encoded {
            if let job = try? JSONDecoder().decode(Job.self, from: Data(bytes)) { decoded.append(job) }
        }
        let decodeTime = clock.now - start
        start = clock.now
        var total = 0
        for job in decoded {
            total += MessageCodec.encode(TriggerFactory.trigger(for: job, scheduledAt: Date(), source: .schedule)).count
        }
        let triggerTime = clock.now - start
        start = clock.now
        for job in decoded {
            total += MessageCodec.encode(ScheduleEvent(type: .emitted, jobID: job.id, triggerID: "t-1", app: job.app, detail: ["scheduled_at": .string(Timestamp.rfc3339(Date()))])).count
        }
        let eventTime = clock.now - start
        func micros(_ duration: Duration) -> Int { Int(duration.seconds * 1_000_000 / Double(jobs)) }
        print("codec: per fire \(micros(decodeTime)) µs decoding the job, \(micros(triggerTime)) µs encoding the trigger, \(micros(eventTime)) µs encoding the event (\(total / jobs) bytes)")
    }

    static func memory(jobs: Int) async throws {
        let compiler = JobCompiler(configuration: Configuration(), calendars: CalendarRegistry())
        let scheduler = idleScheduler()
        let before = residentBytes()
        let clock = ContinuousClock()
        let start = clock.now
        let now = Date()
        for index in 0..<jobs {
            let job = sampleJob(index)
            await scheduler.upsert(job: job, schedule: try compiler.compile(job), partition: index % 12, state: nil, now: now)
        }
        let elapsed = clock.now - start
        let after = residentBytes()
        print("memory: \(jobs) jobs scheduled in \(Int(elapsed.seconds * 1000)) ms; RSS \(before / 1_048_576) MB -> \(after / 1_048_576) MB; \((after - before) / jobs) bytes per job")
    }

    static func rebuild(configuration: Configuration, jobs: Int) async throws {
        var configuration = configuration
        configuration.kafka.topicPrefix = "bench\(UUID().uuidString.prefix(6).lowercased())."
        let topics = configuration.kafka.topics
        let kafka = ConfigLoading.kafka(configuration, role: "bench")
        let admin = try KafkaAdmin(configuration: kafka)
        try await admin.createTopics(topics.all.map {
            KafkaTopicSpecification(name: $0.name, partitions: configuration.kafka.partitions, replicationFactor: 1, configs: $0.compacted ? ["cleanup.policy": "compact"] : [:])
        })
        defer { Task { try? await admin.deleteTopics(topics.all.map(\.name)) } }

        // Write the jobs and a state per job, as a running registry would hold them.
        let producer = try KafkaProducer(configuration: kafka)
        let clock = ContinuousClock()
        let writeStart = clock.now
        let senders = 500
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<senders {
                group.addTask {
                    for index in stride(from: sender, to: jobs, by: senders) {
                        let job = sampleJob(index)
                        var state = JobState(jobID: job.id)
                        state.lastScheduledAt = Date()
                        state.runCount = index % 100
                        _ = try await producer.send(topic: topics.jobs, key: job.id, value: Array(MessageCodec.encode(job)))
                        _ = try await producer.send(topic: topics.schedulerState, key: job.id, value: Array(MessageCodec.encode(state)))
                    }
                }
            }
            try await group.waitForAll()
        }
        try await producer.close()
        print("rebuild: wrote \(jobs) jobs and states in \(Int((clock.now - writeStart).seconds * 1000)) ms")

        // The rebuild a producer does on assignment, through the same code.
        let compiler = JobCompiler(configuration: configuration, calendars: CalendarRegistry())
        let scheduler = idleScheduler()
        let ownership = JobOwnership(
            configuration: configuration, kafka: kafka, scheduler: scheduler, compiler: compiler,
            publisher: TopicPublisher(producer: try KafkaProducer(configuration: kafka), topics: topics),
            metrics: ProducerMetrics(registry: MetricsRegistry()), logger: Logger(label: "bench"))
        let start = clock.now
        let reader = KafkaPartitionReader(configuration: kafka)
        let data = try await PartitionRebuild.read(
            partitions: Array(0..<configuration.kafka.partitions), topics: topics, reader: reader, resultStartOffsets: [:])
        let read = clock.now - start
        let installed = await ownership.install(data)
        let total = clock.now - start
        print("rebuild: \(installed) jobs over \(configuration.kafka.partitions) partitions in \(Int(total.seconds * 1000)) ms (reading the topics \(Int(read.seconds * 1000)) ms); \(Int(Double(installed) / total.seconds)) jobs/s; RSS \(residentBytes() / 1_048_576) MB")
    }

    static func emit(configuration: Configuration, jobs: Int) async throws {
        var configuration = configuration
        configuration.kafka.topicPrefix = "bench\(UUID().uuidString.prefix(6).lowercased())."
        let topics = configuration.kafka.topics
        let kafka = ConfigLoading.kafka(configuration, role: "bench")
        let admin = try KafkaAdmin(configuration: kafka)
        try await admin.createTopics(topics.all.map { KafkaTopicSpecification(name: $0.name, partitions: configuration.kafka.partitions, replicationFactor: 1) })
        defer { Task { try? await admin.deleteTopics(topics.all.map(\.name)) } }

        let metrics = ProducerMetrics(registry: MetricsRegistry())
        let context = try ProducerContext(configuration: configuration, logger: Logger(label: "bench"), metrics: metrics)
        let emitter = ProducerService.emitter(context: context)
        let counter = EmissionCounter(target: jobs)
        let counting = FireEmitter(
            trigger: { job, fire in
                let written = await emitter.trigger(job, fire)
                counter.record()
                return written
            },
            cancel: emitter.cancel, event: emitter.event)
        let scheduler = FireScheduler(settings: .init(), emitter: counting, metrics: metrics, logger: context.logger)

        // Every job fires once, at the same whole second a little ahead.
        let instant = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 10).rounded(.up))
        let compiler = context.compiler
        for index in 0..<jobs {
            var job = sampleJob(index)
            job.schedule = ScheduleSpec(at: Timestamp.rfc3339(instant))
            await scheduler.upsert(job: job, schedule: try compiler.compile(job), partition: index % 12, state: nil, now: Date())
        }
        let loop = Task { await scheduler.run() }
        let clock = ContinuousClock()
        let elapsed = await counter.waitForAll(clock: clock)
        await scheduler.stop()
        await loop.value
        let sample = TriggerFactory.trigger(for: sampleJob(1), scheduledAt: instant, source: .schedule)
        let triggerBytes = MessageCodec.encode(sample).count
        print("emit: \(jobs) triggers (each with an emitted event) in \(Int(elapsed.seconds * 1000)) ms: \(Int(Double(jobs) / elapsed.seconds)) triggers/s; lateness of the last \(Int(Date().timeIntervalSince(instant) * 1000)) ms")
        try await context.producer.close()

        let rawTopic = topics.prefix + "raw"
        try await admin.createTopics([KafkaTopicSpecification(name: rawTopic, partitions: configuration.kafka.partitions, replicationFactor: 1)])
        let raw = try await KafkaBenchmark.produceRate(configuration: kafka, topic: rawTopic, messages: jobs * 2, messageSize: triggerBytes)
        print("emit: raw librdkafka produce to the same broker: \(raw) (two messages per trigger above)")
    }
}

/// Counts emissions and reports when the last one arrived.
private actor EmissionCounter {
    private let target: Int
    private var count = 0
    private var first: ContinuousClock.Instant?
    private var waiter: CheckedContinuation<Duration, Never>?
    private var done: Duration?

    init(target: Int) {
        self.target = target
    }

    nonisolated func record() {
        Task { await self.add() }
    }

    private func add() {
        let now = ContinuousClock.now
        if first == nil { first = now }
        count += 1
        if count == target {
            done = now - first!
            waiter?.resume(returning: done!)
            waiter = nil
        }
    }

    func waitForAll(clock: ContinuousClock) async -> Duration {
        if let done { return done }
        return await withCheckedContinuation { waiter = $0 }
    }
}
