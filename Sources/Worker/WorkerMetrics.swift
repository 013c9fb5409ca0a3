import Shared

/// The worker's metrics, served on its `/metrics` listener.
struct WorkerMetrics: Sendable {
    let runs: Counter
    let runDuration: Histogram
    let queueDelay: Histogram
    let throttled: Counter
    let retries: Counter
    let duplicates: Counter
    let deadLetters: Counter
    let effectiveRate: Gauge
    let inFlight: Gauge
    let queued: Gauge
    let consumerLag: Gauge
    let budgetUsed: Gauge
    let budgetTokens: Gauge
    let budgetCost: Gauge
    let budgetHolding: Gauge

    init(registry: MetricsRegistry) {
        runs = registry.counter("dify_worker_runs_total", help: "Runs finished, by app and status.")
        runDuration = registry.histogram("dify_worker_run_duration_seconds", help: "Time from the Dify request to the result, by app.")
        queueDelay = registry.histogram("dify_worker_queue_delay_seconds", help: "Time from the scheduled instant to the Dify request, by app.")
        throttled = registry.counter("dify_worker_throttled_total", help: "Times an app's trigger waited for a limit or Dify throttled it, by reason.")
        retries = registry.counter("dify_worker_retries_total", help: "Attempts scheduled again after a retryable failure, by app.")
        duplicates = registry.counter("dify_worker_duplicates_total", help: "Triggers dropped as duplicates, by app.")
        deadLetters = registry.counter("dify_worker_dead_letters_total", help: "Messages sent to the dead-letter topic, by reason.")
        effectiveRate = registry.gauge("dify_worker_effective_rate", help: "Request rate in force per app after throttle back-off, in requests per second.")
        inFlight = registry.gauge("dify_worker_runs_in_flight", help: "Runs waiting for Dify, by app.")
        queued = registry.gauge("dify_worker_queued_triggers", help: "Triggers waiting for a limit, by app.")
        budgetUsed = registry.gauge("dify_worker_budget_used_ratio", help: "Share of an app's daily budget used today, by app and limit (tokens, cost); 1 means reached.")
        budgetTokens = registry.gauge("dify_worker_budget_tokens_used", help: "Tokens an app with a daily budget used today in the budget's zone, by app.")
        budgetCost = registry.gauge("dify_worker_budget_cost_used", help: "Cost an app with a daily cost budget used today, in the budget's currency, by app and currency.")
        budgetHolding = registry.gauge("dify_worker_budget_holding", help: "1 while an app's daily budget holds its new runs back until the next day, else 0, by app.")
        consumerLag = registry.gauge("dify_worker_consumer_lag", help: "Messages of the trigger topic not yet read, by partition.")
    }
}
