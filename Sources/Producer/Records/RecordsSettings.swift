import Foundation
import Shared

/// The records part of the producer's configuration, checked once at start.
struct RecordsSettings: Sendable {
    let location: StoreLocation
    let retention: RetentionPolicy
    /// Time between retention passes.
    let retentionInterval: Duration

    /// Reads `producer.store` and the `producer.retention*` durations.
    ///
    /// - Throws: ``ConfigErrors`` listing every invalid value with the key and the fix.
    init(_ configuration: Configuration) throws {
        let producer = configuration.producer
        var problems: [ConfigError] = []
        func problem(_ key: String, _ message: String) {
            problems.append(ConfigError(file: configuration.file, line: 0, path: "producer.\(key)", message: message))
        }

        var location: StoreLocation?
        do {
            location = try StoreLocation(parsing: producer.store)
        } catch let error as StoreError {
            problem("store", error.reason)
        }

        func window(_ key: String, _ text: String?) -> Duration {
            guard let text else { return .seconds(30 * 86_400) }
            do {
                let milliseconds = try DurationText.milliseconds(text)
                guard milliseconds >= 3_600_000 else {
                    problem(key, "retention \"\(text)\" is shorter than 1h; keep records at least an hour, for example 7d")
                    return .seconds(3600)
                }
                return .milliseconds(milliseconds)
            } catch {
                problem(key, "\(error)")
                return .seconds(30 * 86_400)
            }
        }
        let all = window("retention", producer.retention)
        let runs = producer.retentionRuns.map { window("retention_runs", $0) } ?? all
        let nodeTraces = producer.retentionNodeTraces.map { window("retention_node_traces", $0) } ?? all
        let events = producer.retentionEvents.map { window("retention_events", $0) } ?? all

        guard problems.isEmpty, let location else { throw ConfigErrors(problems) }
        self.location = location
        self.retention = RetentionPolicy(runs: runs, nodeTraces: nodeTraces, events: events)
        // Often enough that the store never holds much more than its window; an hour at most.
        self.retentionInterval = min(.seconds(3600), min(runs, nodeTraces, events) / 24)
    }

    /// The ingest consumer group: one per SQLite file, so that each producer reads every
    /// partition into its own store; one shared group for PostgreSQL, so that the producers
    /// split the partitions of one store between them.
    static func groupID(prefix: String, store: RecordStore) -> String {
        switch store.location {
        case .sqlite: "\(prefix)records.\(store.storeID)"
        case .postgres: "\(prefix)records"
        }
    }
}
