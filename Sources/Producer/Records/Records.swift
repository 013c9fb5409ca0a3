import Foundation
import Shared

/// The producer's records: the store, opened and migrated at start, and the services that
/// fill it (ingest) and trim it (retention).
struct Records: Sendable {
    let store: RecordStore
    let services: [any Service]

    /// Opens the store named by `producer.store` and makes its services.
    ///
    /// - Throws: ``ConfigErrors`` for invalid settings, ``StoreError`` when the store cannot be
    ///   opened or migrated.
    static func open(configuration: Configuration, logger: Logger) async throws -> Records {
        let settings = try RecordsSettings(configuration)
        let store = try await RecordStore.open(settings.location, logger: logger)
        let metrics = RecordsMetrics(registry: .shared)
        let kafka = KafkaConfiguration(
            bootstrapServers: configuration.kafka.bootstrapServers, clientID: "dify-producer-records",
            settings: configuration.kafka.settings)
        let ingest = RecordIngestService(
            store: store, kafka: kafka, topics: configuration.kafka.topics, retention: settings.retention, metrics: metrics, logger: logger)
        let retention = RecordRetentionService(
            store: store, policy: settings.retention, interval: settings.retentionInterval, metrics: metrics, logger: logger)
        return Records(store: store, services: [ingest, retention])
    }
}
