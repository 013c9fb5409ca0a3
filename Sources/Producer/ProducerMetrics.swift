import Shared

/// The producer's metrics, in ``MetricsRegistry/shared`` so `/metrics` serves them.
struct ProducerMetrics: Sendable {
    let jobsOwned: Gauge
    let triggersEmitted: Counter
    let emitLateness: Histogram
    let misfires: Counter
    let skipped: Counter
    let rebuildSeconds: Gauge
    let statesWritten: Counter
    let apiRequests: Counter

    init(registry: MetricsRegistry) {
        jobsOwned = registry.gauge("dify_producer_jobs_owned", help: "Jobs this producer owns and schedules.")
        triggersEmitted = registry.counter("dify_producer_triggers_emitted_total", help: "Triggers written, by source.")
        emitLateness = registry.histogram("dify_producer_emit_lateness_seconds", help: "Time from a fire's instant to its trigger being written.")
        misfires = registry.counter("dify_producer_misfires_total", help: "Instants reached later than the misfire threshold, by misfire policy.")
        skipped = registry.counter("dify_producer_skipped_total", help: "Instants not fired, by reason (overlap, buffer_full, misfire).")
        rebuildSeconds = registry.gauge("dify_producer_rebuild_seconds", help: "Duration of the last rebuild of owned job partitions.")
        statesWritten = registry.counter("dify_producer_states_written_total", help: "Job states written to scheduler.state.")
        apiRequests = registry.counter("dify_producer_api_changes_total", help: "Job changes made through the control API, by kind.")
    }
}
