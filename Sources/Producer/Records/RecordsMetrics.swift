import Shared

/// Metrics of the records store: rows ingested and deleted, ingest lag and failures.
struct RecordsMetrics: Sendable {
    let ingested: Counter
    let deleted: Counter
    let skipped: Counter
    let writeFailures: Counter
    let batchDuration: Histogram
    let consumerLag: Gauge

    init(registry: MetricsRegistry) {
        ingested = registry.counter("dify_producer_records_ingested_total", help: "Records written to the records store, by kind (runs, node_traces, events, alerts).")
        deleted = registry.counter("dify_producer_records_deleted_total", help: "Records deleted by retention, by kind.")
        skipped = registry.counter("dify_producer_records_skipped_total", help: "Messages not stored, by reason (invalid, expired).")
        writeFailures = registry.counter("dify_producer_records_write_failures_total", help: "Batches that failed to write and were tried again.")
        batchDuration = registry.histogram("dify_producer_records_batch_seconds", help: "Time to write one batch of records to the store.")
        consumerLag = registry.gauge("dify_producer_records_consumer_lag", help: "Messages of results, events and alerts not yet stored, by topic and partition.")
    }
}
