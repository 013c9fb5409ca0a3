import Foundation
import Shared

/// The ids of the jobs in the registry (the compacted `jobs` topic), so that a trigger naming
/// a made-up job can be distinguished from a scheduled one.
///
/// The set is read whole at start and read again when a trigger names an id it lacks, unless
/// the last read began more than `clockSkew` after that trigger was written: the producer
/// writes a job before any trigger of it, so such a read already saw the job. Reads are
/// coalesced and at least `minimumInterval` apart, so a flood of unknown ids costs one read
/// per interval, and a trigger naming an unknown job waits about `clockSkew` before it is
/// rejected. Keys of pause, resume and chain records (`control:`, `chain:`) are not job ids.
///
/// NOTE: a deleted job's id stays in the set until the next read, so its triggers still run
/// for a while after the delete.
actor JobDirectory {
    /// Key prefixes of the records on the `jobs` topic that are not jobs, as the producer writes them.
    static let nonJobKeyPrefixes = ["control:", "chain:"]

    private let reader: KafkaPartitionReader
    private let topic: String
    private let minimumInterval: Duration
    /// Allowance for the producer's clock, which stamps the trigger, running behind this one.
    private let clockSkew: TimeInterval
    private let logger: Logger
    private var ids: Set<String> = []
    /// Start of the last successful read; nil before the first.
    private var readStartedAt: Date?
    private var lastReadEnded = ContinuousClock.now - .seconds(3600)
    private var lastReadFailed = false
    private var reading: Task<Void, Never>?

    init(reader: KafkaPartitionReader, topic: String, minimumInterval: Duration = .seconds(1), clockSkew: TimeInterval = 5, logger: Logger) {
        self.reader = reader
        self.topic = topic
        self.minimumInterval = minimumInterval
        self.clockSkew = clockSkew
        self.logger = logger
    }

    /// Returns whether `jobID` is in the registry, reading it again first when the set may
    /// predate a trigger written at `writtenAt`. A failed read counts as known, so that an
    /// unreachable `jobs` topic delays no scheduled run.
    func contains(_ jobID: String, writtenAt: Date) async -> Bool {
        while !ids.contains(jobID) {
            if let readStartedAt, readStartedAt > writtenAt.addingTimeInterval(clockSkew) { return false }
            guard await refresh() else { return true }
        }
        return true
    }

    /// Reads the job ids again, joining a read in progress; returns false when the read failed.
    @discardableResult
    func refresh() async -> Bool {
        if reading == nil {
            reading = Task { await self.read() }
        }
        await reading?.value
        reading = nil
        return !lastReadFailed
    }

    private func read() async {
        let wait = minimumInterval - (ContinuousClock.now - lastReadEnded)
        if wait > .zero { try? await Task.sleep(for: wait) }
        let startedAt = Date()
        do {
            let latest = try await reader.readLatestByKey(topic: topic, timeout: .seconds(120))
            ids = Set(latest.keys.filter { key in !Self.nonJobKeyPrefixes.contains { key.hasPrefix($0) } })
            readStartedAt = startedAt
            lastReadFailed = false
            logger.debug("job ids read", ["jobs": "\(ids.count)"])
        } catch {
            lastReadFailed = true
            logger.warning("job ids not read, unknown job ids are accepted until the next read", [LogKey.error: "\(error)"])
        }
        lastReadEnded = ContinuousClock.now
    }
}
