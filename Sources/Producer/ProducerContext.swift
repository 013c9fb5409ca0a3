import Foundation
import Shared
import Synchronization

/// What the parts of a running producer share: configuration, the Kafka producer and topic
/// publisher, the job registry, the job compiler, metrics, and (once the scheduling service
/// exists) the fire scheduler and job ownership.
///
/// Built once in `RunCommand`; the control API, records and console reach the rest of the
/// process through it.
final class ProducerContext: Sendable {
    /// Upper bound on catch-up fires of one job at a time, whatever the job's `max_catchup`.
    static let maxCatchupCap = 100

    let configuration: Configuration
    let kafka: KafkaConfiguration
    let producer: KafkaProducer
    let publisher: TopicPublisher
    let registry: JobRegistry
    /// The compiler of the configuration in force: a SIGHUP reload replaces it with one built
    /// from the new apps and calendars.
    var compiler: JobCompiler { compilers.withLock { $0 } }
    let metrics: ProducerMetrics
    let logger: Logger
    /// This instance's name: `producer.id`, else the host name and process id.
    let instanceID: String
    /// Apps' input forms, shared by the control API's input checks and the job preview.
    let forms: AppFormCache

    private struct Attached {
        var scheduler: FireScheduler?
        var ownership: JobOwnership?
    }

    private let attached = Mutex(Attached())
    private let compilers: Mutex<JobCompiler>

    /// - Throws: ``KafkaError`` when a Kafka client cannot be created, ``ConfigErrors`` when a
    ///   calendar is invalid, ``ConfigError`` when the trigger signing key is unusable.
    init(configuration: Configuration, logger: Logger, metrics: ProducerMetrics) throws {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        instanceID = configuration.producer.id ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        kafka = ConfigLoading.kafka(configuration, role: "scheduler")
        // Read before any Kafka client starts, so a bad key stops the process at once.
        let signer = try configuration.kafka.triggerSigner()
        producer = try KafkaProducer(configuration: kafka, logger: logger.with(["component": "kafka.producer"]))
        publisher = TopicPublisher(producer: producer, topics: configuration.kafka.topics, signer: signer)
        registry = try JobRegistry(kafka: kafka, producer: producer, topics: configuration.kafka.topics, logger: logger)
        forms = AppFormCache(configuration: configuration)

        let (calendars, problems) = configuration.scheduleCalendars()
        if !problems.isEmpty { throw ConfigErrors(problems) }
        compilers = Mutex(JobCompiler(configuration: configuration, calendars: CalendarRegistry(calendars)))
    }

    /// Makes `compiler` the one new jobs and API requests are checked with, after a reload.
    func replaceCompiler(_ compiler: JobCompiler) {
        compilers.withLock { $0 = compiler }
        attached.withLock { $0.ownership }?.replaceCompiler(compiler)
    }

    func attach(scheduler: FireScheduler, ownership: JobOwnership) {
        attached.withLock {
            $0.scheduler = scheduler
            $0.ownership = ownership
        }
    }

    var scheduler: FireScheduler? { attached.withLock { $0.scheduler } }

    /// True once this instance owns its partitions and has rebuilt them.
    var isReady: Bool { attached.withLock { $0.ownership }?.isReady ?? false }

    var ownedPartitions: Set<Int> { attached.withLock { $0.ownership }?.ownedPartitions ?? [] }
}
