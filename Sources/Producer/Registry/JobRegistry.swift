import Foundation
import Shared

/// Reads and writes the job registry: the compacted `jobs` topic (key job id, JSON job, a null
/// value deletes) and, for reading, the `scheduler.state` topic.
///
/// Used by `apply` and the control API. Writes return once the broker acknowledged them.
struct JobRegistry: Sendable {
    let producer: KafkaProducer
    let reader: KafkaPartitionReader
    let admin: KafkaAdmin
    let topics: TopicNames

    init(kafka: KafkaConfiguration, producer: KafkaProducer, topics: TopicNames, logger: Logger) throws {
        self.producer = producer
        self.reader = KafkaPartitionReader(configuration: kafka, logger: logger)
        self.admin = try KafkaAdmin(configuration: kafka, logger: logger)
        self.topics = topics
    }

    /// Every job in the registry by id, with the latest value per key (Tansu never compacts).
    func allJobs() async throws -> [String: Job] {
        try await jobs(partitions: nil)
    }

    /// The jobs stored on `partitions` (all when nil); values that do not decode are skipped.
    func jobs(partitions: [Int]?) async throws -> [String: Job] {
        let latest = try await reader.readLatestByKey(topic: topics.jobs, partitions: partitions, timeout: .seconds(120))
        var jobs: [String: Job] = [:]
        for (key, message) in latest where JobControl.jobID(fromKey: key) == nil && !ChainRequest.isKey(key) {
            guard let value = message.value, let job = try? MessageCodec.decode(Job.self, from: Data(value)) else { continue }
            jobs[key] = job
        }
        return jobs
    }

    /// One job, read from its partition only; nil when absent.
    func job(id: String) async throws -> Job? {
        let partition = try await partition(of: id)
        return try await jobs(partitions: [partition])[id]
    }

    /// The recorded schedule state of one job, read from its partition of `scheduler.state`.
    func state(jobID: String) async throws -> JobState? {
        let partition = try await partition(of: jobID)
        let latest = try await reader.readLatestByKey(topic: topics.schedulerState, partitions: [partition], timeout: .seconds(60))
        guard let value = latest[jobID]?.value else { return nil }
        return try? MessageCodec.decode(JobState.self, from: Data(value))
    }

    /// Writes a job; the owner of its partition picks it up.
    func put(_ job: Job) async throws {
        var stored = job
        stored.version = Job.currentVersion
        try await producer.send(topic: topics.jobs, key: job.id, value: Array(MessageCodec.encode(stored)))
    }

    /// Deletes a job with a tombstone, and its pending pause or resume request.
    func delete(jobID: String) async throws {
        let partition = try await partition(of: jobID)
        try await producer.send(topic: topics.jobs, key: jobID, value: nil)
        try await producer.send(topic: topics.jobs, key: JobControl.key(jobID: jobID), value: nil, partition: partition)
    }

    /// Writes a pause or resume request on the partition of its job.
    func send(_ control: JobControl) async throws {
        let partition = try await partition(of: control.jobID)
        try await producer.send(
            topic: topics.jobs, key: JobControl.key(jobID: control.jobID), value: Array(MessageCodec.encode(control)), partition: partition)
    }

    /// The partition of `jobID` in `jobs`, `scheduler.state` and `results`.
    func partition(of jobID: String) async throws -> Int {
        guard let count = try await admin.partitionCount(topic: topics.jobs) else {
            throw KafkaError(code: .queryFailed, reason: "topic \(topics.jobs) does not exist; create the topics with `dify-producer topics create`")
        }
        return KeyPartitioner.partition(of: jobID, partitions: count)
    }
}
