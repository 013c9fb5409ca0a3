import Foundation
import Shared

/// The records query API: runs, one run with its node trace, events, alerts and the
/// dashboard's series, as JSON under `/v1/`.
///
/// Lists take filters as query parameters (a filter given twice, or as a comma-separated
/// list, matches any of its values), return `{"items": [...], "next_cursor": ...}` newest
/// first, and continue from `cursor`. Instants are RFC 3339 in UTC. Bad parameters get a 400
/// naming the parameter and the accepted values. docs/openapi-records.yaml describes every
/// route.
enum RecordsAPI {
    static func register(into router: inout Router, store: RecordStore) {
        router.get("/v1/runs") { request, _ in
            let parameters = RecordsParameters(request)
            return try await respond { try await store.runs(try parameters.runQuery()) }
        }
        router.get("/v1/runs/{trigger_id}") { request, route in
            try request.requireKnownQueryNames([])
            let triggerID = route["trigger_id"] ?? ""
            guard let run = try await storeCall({ try await store.run(triggerID: triggerID) }) else {
                throw HTTPError.notFound("no run with trigger id \"\(triggerID)\" in the records store; it may not have finished yet, or retention deleted it")
            }
            return encoded(run)
        }
        router.get("/v1/runs/{trigger_id}/nodes") { request, route in
            try request.requireKnownQueryNames(["parent_node_id", "parent_index"])
            let parameters = RecordsParameters(request)
            let parent = try parameters.required("parent_node_id")
            let index = try parameters.integer("parent_index", default: nil, range: 0...Int(Int32.max)) ?? 0
            return try await respond {
                NodeList(items: try await store.nodes(triggerID: route["trigger_id"] ?? "", parentNodeID: parent, parentIndex: index))
            }
        }
        router.get("/v1/events") { request, _ in
            let parameters = RecordsParameters(request)
            return try await respond { try await store.events(try parameters.eventQuery(types: "type", allowed: EventType.allCases.map(\.rawValue))) }
        }
        router.get("/v1/alerts") { request, _ in
            let parameters = RecordsParameters(request)
            return try await respond { try await store.alerts(try parameters.eventQuery(types: "kind", allowed: AlertKind.allCases.map(\.rawValue))) }
        }
        router.get("/v1/stats/series") { request, _ in
            let parameters = RecordsParameters(request)
            return try await respond { try await store.series(try parameters.seriesQuery()) }
        }
        router.get("/v1/stats/slowest-jobs") { request, _ in
            try request.requireKnownQueryNames(["app", "limit"] + RecordsParameters.timeRangeNames)
            let parameters = RecordsParameters(request)
            let (from, to) = try parameters.timeRange(defaultRange: .seconds(86_400))
            let apps = parameters.list("app")
            let limit = try parameters.integer("limit", default: 10, range: 1...100) ?? 10
            return try await respond { SlowJobList(items: try await store.slowestJobs(from: from, to: to, apps: apps, limit: limit)) }
        }
        router.get("/v1/stats/facets") { request, _ in
            try request.requireKnownQueryNames(RecordsParameters.timeRangeNames)
            let (from, to) = try RecordsParameters(request).timeRange(defaultRange: .seconds(30 * 86_400))
            return try await respond {
                let facets = try await store.facets(from: from, to: to)
                return Facets(apps: facets.apps, jobs: facets.jobs)
            }
        }
    }

    /// Runs a store call and encodes its value.
    private static func respond<Value: Encodable>(_ body: () async throws -> Value) async throws -> HTTPResponse {
        encoded(try await storeCall(body))
    }

    /// Runs a store call, turning store errors into HTTP errors: a query the store rejects is
    /// a 400 with its reason, an unreachable database a 503; other failures stay internal.
    private static func storeCall<Value>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let error as StoreError where error.code == .invalidQuery {
            throw HTTPError.badRequest(error.reason)
        } catch let error as StoreError where error.isRetryable {
            throw HTTPError(status: 503, code: "store_unavailable", message: "the records store is not reachable; try again shortly", headers: ["Retry-After": "5"])
        }
    }

    static func encoded<Value: Encodable>(_ value: Value) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")], bytes: Array(MessageCodec.encode(value)))
    }

    private struct NodeList: Encodable {
        let items: [NodeRecord]
    }

    private struct SlowJobList: Encodable {
        let items: [SlowJob]
    }

    private struct Facets: Encodable {
        let apps: [String]
        let jobs: [String]
    }
}
