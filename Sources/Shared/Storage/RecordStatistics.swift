import Foundation

/// The range, bucket size and filters of the dashboard's series.
public struct SeriesQuery: Sendable, Hashable {
    public var from: Date
    public var to: Date
    public var bucketSeconds: Int64
    /// Minutes east of UTC the buckets are aligned to, so that days start at local midnight.
    public var utcOffsetMinutes: Int64 = 0
    public var apps: [String] = []
    public var jobIDs: [String] = []

    public init(from: Date, to: Date, bucketSeconds: Int64) {
        self.from = from
        self.to = to
        self.bucketSeconds = bucketSeconds
    }

    /// Upper bound on buckets in one series, against a range that would build millions.
    public static let maxBuckets: Int64 = 2000
}

/// Counts, durations, tokens and cost of runs per time bucket, and over the whole range.
public struct SeriesReport: Sendable, Encodable {
    public var bucketSeconds: Int64
    public var buckets: [SeriesBucket]
    public var totals: SeriesBucket
    /// Currencies of the summed prices; more than one means the cost sums mix currencies.
    public var currencies: [String]

    enum CodingKeys: String, CodingKey {
        case buckets, totals, currencies
        case bucketSeconds = "bucket_seconds"
    }
}

/// Runs of one bucket: counts by status, triggers emitted, duration percentiles, tokens, cost.
public struct SeriesBucket: Sendable, Encodable, Hashable {
    public var start: Date
    /// Triggers written by producers for fires in the bucket (`emitted` events).
    public var emitted: Int = 0
    public var total: Int = 0
    public var byStatus: [String: Int] = [:]
    /// Median and 95th percentile of run time, nearest rank, over runs that report one.
    public var p50Milliseconds: Int64?
    public var p95Milliseconds: Int64?
    public var totalTokens: Int64 = 0
    public var totalPrice: Double = 0

    public init(start: Date) {
        self.start = start
    }

    enum CodingKeys: String, CodingKey {
        case start, emitted, total
        case byStatus = "by_status"
        case p50Milliseconds = "p50_ms"
        case p95Milliseconds = "p95_ms"
        case totalTokens = "total_tokens"
        case totalPrice = "total_price"
    }
}

/// A job's run times over a range, for the slowest-jobs table.
public struct SlowJob: Sendable, Encodable, Hashable {
    public var jobID: String
    public var app: String
    public var runs: Int
    public var averageMilliseconds: Int64
    public var maxMilliseconds: Int64
    public var lastRunAt: Date?

    enum CodingKeys: String, CodingKey {
        case app, runs
        case jobID = "job_id"
        case averageMilliseconds = "avg_ms"
        case maxMilliseconds = "max_ms"
        case lastRunAt = "last_run_at"
    }
}
