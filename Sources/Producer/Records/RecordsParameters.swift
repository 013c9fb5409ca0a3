import Foundation
import Shared

/// The query parameters of a records request, read into store queries with 400 errors that
/// name the parameter and what it accepts.
struct RecordsParameters {
    let request: HTTPRequest

    init(_ request: HTTPRequest) {
        self.request = request
    }

    /// Returns every value of `name`, from repeated parameters and comma-separated lists, without blanks.
    func list(_ name: String) -> [String] {
        request.queryItems.filter { $0.name == name }
            .flatMap { $0.value.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    func text(_ name: String) -> String? {
        guard let value = request.query(name)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func required(_ name: String) throws -> String {
        guard let value = text(name) else { throw HTTPError.badRequest("missing query parameter \(name)", field: name) }
        return value
    }

    func integer(_ name: String, default value: Int?, range: ClosedRange<Int>) throws -> Int? {
        guard let text = text(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw HTTPError.badRequest("\(name)=\(text) is not a whole number from \(range.lowerBound) to \(range.upperBound)", field: name)
        }
        return number
    }

    /// Values of `name`, each one of `allowed`.
    func values(_ name: String, allowed: [String]) throws -> [String] {
        let values = list(name)
        if let unknown = values.first(where: { !allowed.contains($0) }) {
            throw HTTPError.badRequest("\(name)=\(unknown) is not known; use one of \(allowed.joined(separator: ", "))", field: name)
        }
        return values
    }

    func instant(_ name: String) throws -> Date? {
        guard let text = text(name) else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw HTTPError.badRequest("\(name)=\(text) is not an RFC 3339 instant such as 2026-03-29T01:00:00Z", field: name)
        }
        return date
    }

    /// `from` and `to`, or `range` (a duration such as `24h`) ending now; `defaultRange` when none is given.
    func timeRange(defaultRange: Duration) throws -> (from: Date, to: Date) {
        let (from, to) = try optionalTimeRange()
        let end = to ?? Date()
        return (from ?? end.addingTimeInterval(-defaultRange.seconds), end)
    }

    /// `from` and `to` as given, or `range` ending now; nil where neither bounds the list.
    func optionalTimeRange() throws -> (from: Date?, to: Date?) {
        var from = try instant("from")
        var to = try instant("to")
        if let range = text("range") {
            guard from == nil else {
                throw HTTPError.badRequest("give either range or from, not both", field: "range")
            }
            let milliseconds: Int64
            do {
                milliseconds = try DurationText.milliseconds(range)
            } catch {
                throw HTTPError.badRequest("range=\(range) is not a duration; write for example 1h, 24h or 7d", field: "range")
            }
            to = to ?? Date()
            from = to!.addingTimeInterval(-Double(milliseconds) / 1000)
        }
        if let from, let to, to <= from {
            throw HTTPError.badRequest("to (\(Timestamp.rfc3339(to))) must be after from (\(Timestamp.rfc3339(from)))", field: "to")
        }
        return (from, to)
    }

    func cursor() throws -> RecordCursor? {
        guard let token = text("cursor") else { return nil }
        guard let cursor = RecordCursor(token: token) else {
            throw HTTPError.badRequest("cursor is not one this API returned; pass next_cursor unchanged", field: "cursor")
        }
        return cursor
    }

    func ascending() throws -> Bool {
        switch text("order") ?? "desc" {
        case "desc": return false
        case "asc": return true
        case let other: throw HTTPError.badRequest("order=\(other) is not known; use asc or desc", field: "order")
        }
    }

    /// Query parameters of each list route, for ``HTTPRequest/requireKnownQueryNames(_:)``.
    static let timeRangeNames = ["from", "to", "range"]
    static let runNames = ["app", "job", "status", "source", "trigger_id", "workflow_run_id", "rerun_of", "q", "limit", "cursor", "order"] + timeRangeNames
    static func eventNames(types name: String) -> [String] {
        ["app", "job", name, "trigger_id", "limit", "cursor", "order"] + timeRangeNames
    }
    static let seriesNames = ["bucket", "utc_offset_minutes", "app", "job"] + timeRangeNames

    func runQuery() throws -> RunQuery {
        try request.requireKnownQueryNames(Self.runNames)
        var query = RunQuery()
        query.apps = list("app")
        query.jobIDs = list("job")
        query.statuses = try values("status", allowed: RunStatus.allCases.map(\.rawValue))
        query.sources = try values("source", allowed: TriggerSource.allCases.map(\.rawValue))
        (query.from, query.to) = try optionalTimeRange()
        query.triggerID = text("trigger_id")
        query.workflowRunID = text("workflow_run_id")
        query.rerunOf = text("rerun_of")
        query.jobSearch = text("q")
        query.limit = try integer("limit", default: 50, range: 1...RunQuery.maxLimit) ?? 50
        query.cursor = try cursor()
        query.ascending = try ascending()
        return query
    }

    func eventQuery(types name: String, allowed: [String]) throws -> EventQuery {
        try request.requireKnownQueryNames(Self.eventNames(types: name))
        var query = EventQuery()
        query.apps = list("app")
        query.jobIDs = list("job")
        query.types = try values(name, allowed: allowed)
        query.triggerID = text("trigger_id")
        (query.from, query.to) = try optionalTimeRange()
        query.limit = try integer("limit", default: 50, range: 1...RunQuery.maxLimit) ?? 50
        query.cursor = try cursor()
        query.ascending = try ascending()
        return query
    }

    /// Reads the series range and bucket. Without `bucket`, the range gets about 60 buckets of a round size.
    func seriesQuery() throws -> SeriesQuery {
        try request.requireKnownQueryNames(Self.seriesNames)
        let (from, to) = try timeRange(defaultRange: .seconds(86_400))
        let span = Int64(to.timeIntervalSince(from))
        var bucket: Int64
        if let text = text("bucket") {
            do {
                bucket = try DurationText.milliseconds(text) / 1000
            } catch {
                throw HTTPError.badRequest("bucket=\(text) is not a duration; write for example 1m, 1h or 1d", field: "bucket")
            }
            guard bucket >= 1 else { throw HTTPError.badRequest("bucket=\(text) is shorter than 1s", field: "bucket") }
        } else {
            let sizes: [Int64] = [60, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 604_800]
            bucket = sizes.first { span / $0 <= 60 } ?? 604_800
        }
        var query = SeriesQuery(from: from, to: to, bucketSeconds: bucket)
        query.utcOffsetMinutes = Int64(try integer("utc_offset_minutes", default: 0, range: -14 * 60...14 * 60) ?? 0)
        query.apps = list("app")
        query.jobIDs = list("job")
        return query
    }
}
