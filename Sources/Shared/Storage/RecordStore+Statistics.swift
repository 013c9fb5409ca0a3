import Foundation

extension RecordStore {
    /// Runs per time bucket over a range: counts by status, triggers emitted, run-time
    /// percentiles, tokens and cost, with the same figures over the whole range.
    ///
    /// - Throws: ``StoreError`` `invalidQuery` when the range is empty or needs more than
    ///   ``SeriesQuery/maxBuckets`` buckets.
    public func series(_ query: SeriesQuery) async throws -> SeriesReport {
        let size = query.bucketSeconds * 1000
        let offset = query.utcOffsetMinutes * 60_000
        guard query.bucketSeconds > 0, query.to > query.from else {
            throw StoreError(code: .invalidQuery, reason: "the series needs a range whose end is after its start and a bucket of at least 1 s")
        }
        let from = SQLValue.milliseconds(query.from)
        let to = SQLValue.milliseconds(query.to)
        let bucketCount = (to - from + size - 1) / size
        guard bucketCount <= SeriesQuery.maxBuckets else {
            throw StoreError(
                code: .invalidQuery,
                reason: "a range of \(DurationText.format(milliseconds: to - from)) in buckets of \(DurationText.format(milliseconds: size)) makes \(bucketCount) buckets, more than \(SeriesQuery.maxBuckets); choose a larger bucket")
        }

        var filter = SQLFilter()
        filter.range("sort_at", from: query.from, to: query.to)
        filter.any("app", query.apps)
        filter.any("job_id", query.jobIDs)
        var eventFilter = SQLFilter()
        eventFilter.equal("type", EventType.emitted.rawValue)
        eventFilter.range("time", from: query.from, to: query.to)
        eventFilter.any("app", query.apps)
        eventFilter.any("job_id", query.jobIDs)

        // Bucket numbers count whole buckets from the epoch, shifted to the caller's zone offset.
        let bucket = "((sort_at + \(offset)) / \(size))"
        let countsSQL = """
            SELECT \(bucket) AS b, status, COUNT(*) AS n, SUM(total_tokens) AS tokens, SUM(total_price) AS price
            FROM runs\(filter.whereClause) GROUP BY \(bucket), status
            """
        let emittedSQL = """
            SELECT ((time + \(offset)) / \(size)) AS b, COUNT(*) AS n FROM events\(eventFilter.whereClause)
            GROUP BY ((time + \(offset)) / \(size))
            """
        let percentilesSQL = Self.percentileSQL(partition: bucket, filter: filter)
        let totalPercentilesSQL = Self.percentileSQL(partition: "0", filter: filter)
        let currencySQL = "SELECT DISTINCT currency FROM runs\(filter.whereClause)\(filter.conditions.isEmpty ? " WHERE" : " AND") currency IS NOT NULL"
        let parameters = filter.parameters
        let eventParameters = eventFilter.parameters

        let (counts, emitted, percentiles, totalPercentiles, currencies) = try await read { connection in
            (
                try connection.query(countsSQL, parameters), try connection.query(emittedSQL, eventParameters),
                try connection.query(percentilesSQL, parameters), try connection.query(totalPercentilesSQL, parameters),
                try connection.query(currencySQL, parameters)
            )
        }

        func start(_ number: Int64) -> Date {
            Date(timeIntervalSince1970: Double(number * size - offset) / 1000)
        }
        let first = (from + offset) / size
        let last = (to - 1 + offset) / size
        var buckets: [Int64: SeriesBucket] = [:]
        for number in first...max(first, last) {
            buckets[number] = SeriesBucket(start: start(number))
        }
        var totals = SeriesBucket(start: query.from)

        for row in counts {
            guard let number = row["b"].int64, let status = row["status"].string else { continue }
            let count = Int(row["n"].int64 ?? 0)
            let tokens = row["tokens"].int64 ?? 0
            let price = row["price"].double ?? 0
            buckets[number, default: SeriesBucket(start: start(number))].add(status: status, count: count, tokens: tokens, price: price)
            totals.add(status: status, count: count, tokens: tokens, price: price)
        }
        for row in emitted {
            guard let number = row["b"].int64 else { continue }
            let count = Int(row["n"].int64 ?? 0)
            buckets[number, default: SeriesBucket(start: start(number))].emitted += count
            totals.emitted += count
        }
        for row in percentiles {
            guard let number = row["b"].int64 else { continue }
            buckets[number]?.setPercentile(rank: row["which"].int64, value: row["v"].int64)
        }
        for row in totalPercentiles {
            totals.setPercentile(rank: row["which"].int64, value: row["v"].int64)
        }

        return SeriesReport(
            bucketSeconds: query.bucketSeconds, buckets: buckets.keys.sorted().compactMap { buckets[$0] }, totals: totals,
            currencies: currencies.compactMap { $0["currency"].string }.sorted())
    }

    /// Nearest-rank 50th and 95th percentiles of run time per partition, with window functions
    /// that SQLite (3.25 and later) and PostgreSQL both have; `which` is 50 or 95.
    ///
    /// TODO: this sorts every run of the range. On SQLite with 1,000,000 runs, 30 days in day
    /// buckets took 8 s (scripts/bench/records.sh); large ranges need binned percentiles.
    private static func percentileSQL(partition: String, filter: SQLFilter) -> String {
        let condition = filter.conditions.isEmpty ? " WHERE run_time_ms IS NOT NULL" : filter.whereClause + " AND run_time_ms IS NOT NULL"
        return """
            SELECT b, v, CASE WHEN rn = (n - 1) * 50 / 100 + 1 THEN 50 ELSE 95 END AS which FROM (
                SELECT \(partition) AS b, run_time_ms AS v,
                    ROW_NUMBER() OVER (PARTITION BY \(partition) ORDER BY run_time_ms) AS rn,
                    COUNT(*) OVER (PARTITION BY \(partition)) AS n
                FROM runs\(condition)
            ) ranked
            WHERE rn = (n - 1) * 50 / 100 + 1 OR rn = (n - 1) * 95 / 100 + 1
            """
    }

    /// Jobs by average run time over a range, slowest first.
    public func slowestJobs(from: Date, to: Date, apps: [String] = [], limit: Int = 10) async throws -> [SlowJob] {
        var filter = SQLFilter()
        filter.range("sort_at", from: from, to: to)
        filter.any("app", apps)
        let sql = """
            SELECT job_id, app, COUNT(*) AS runs, AVG(run_time_ms) AS avg_ms, MAX(run_time_ms) AS max_ms, MAX(sort_at) AS last_at
            FROM runs\(filter.whereClause) AND job_id IS NOT NULL AND run_time_ms IS NOT NULL
            GROUP BY job_id, app ORDER BY AVG(run_time_ms) DESC, job_id LIMIT ?
            """
        let parameters = filter.parameters + [.integer(Int64(min(max(limit, 1), 100)))]
        let rows = try await read { connection in try connection.query(sql, parameters) }
        return rows.map { row in
            SlowJob(
                jobID: row["job_id"].string ?? "", app: row["app"].string ?? "", runs: Int(row["runs"].int64 ?? 0),
                averageMilliseconds: Int64((row["avg_ms"].double ?? 0).rounded()), maxMilliseconds: row["max_ms"].int64 ?? 0,
                lastRunAt: row["last_at"].date)
        }
    }

    /// Apps and job ids with runs in a range, for the console's filter lists.
    public func facets(from: Date?, to: Date?) async throws -> (apps: [String], jobs: [String]) {
        var filter = SQLFilter()
        filter.range("sort_at", from: from, to: to)
        let appsSQL = "SELECT DISTINCT app FROM runs\(filter.whereClause) ORDER BY app LIMIT 1000"
        let jobsSQL = "SELECT DISTINCT job_id FROM runs\(filter.whereClause)\(filter.conditions.isEmpty ? " WHERE" : " AND") job_id IS NOT NULL ORDER BY job_id LIMIT 5000"
        let parameters = filter.parameters
        let (apps, jobs) = try await read { connection in
            (try connection.query(appsSQL, parameters), try connection.query(jobsSQL, parameters))
        }
        return (apps.compactMap { $0["app"].string }, jobs.compactMap { $0["job_id"].string })
    }
}

extension SeriesBucket {
    mutating func add(status: String, count: Int, tokens: Int64, price: Double) {
        byStatus[status, default: 0] += count
        total += count
        totalTokens += tokens
        totalPrice += price
    }

    mutating func setPercentile(rank: Int64?, value: Int64?) {
        // When a bucket has one run, both ranks are the same row and the query returns it once.
        if rank == 50 {
            p50Milliseconds = value
            if p95Milliseconds == nil { p95Milliseconds = value }
        } else {
            p95Milliseconds = value
        }
    }
}
