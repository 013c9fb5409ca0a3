import Foundation
import Shared
import Synchronization

/// Requests the double received, for tests and the lateness benchmark.
///
/// Bodies are kept as received and parsed only when listed, so logging costs little on the
/// hot path. Keeps at least the latest `capacity` entries.
final class RequestLog: Sendable {
    struct Entry: Sendable {
        let sequence: Int
        let receivedAt: Date
        let method: String
        let path: String
        let query: [(name: String, value: String)]
        let body: Data
        let traceHeader: String?
        /// SHA-256 of the Bearer token, so a test can tell which key a request used without
        /// the key itself being served.
        let keySHA256: String?
    }

    private struct State {
        var entries: [Entry] = []
        var next = 1
        var statuses: [Int: Int] = [:]
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    /// Records a request and returns its sequence number.
    func append(_ request: HTTPRequest, at time: Date) -> Int {
        state.withLock { state in
            let sequence = state.next
            state.next += 1
            state.entries.append(Entry(
                sequence: sequence, receivedAt: time, method: request.method, path: request.path,
                query: request.queryItems, body: request.body, traceHeader: request.header("X-Trace-Id"),
                keySHA256: Self.bearerToken(request).map(StableHash.sha256Hex)
            ))
            // Drop the oldest tenth at once, so eviction costs O(1) per request on average.
            if state.entries.count > capacity + capacity / 10 {
                let dropped = state.entries.count - capacity
                for entry in state.entries.prefix(dropped) { state.statuses[entry.sequence] = nil }
                state.entries.removeFirst(dropped)
            }
            return sequence
        }
    }

    private static func bearerToken(_ request: HTTPRequest) -> String? {
        guard let header = request.header("Authorization"), header.lowercased().hasPrefix("bearer ") else { return nil }
        return String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
    }

    func setStatus(_ status: Int, for sequence: Int) {
        state.withLock { $0.statuses[sequence] = status }
    }

    func clear() {
        state.withLock { $0 = State() }
    }

    /// Renders the entries as JSON, oldest first, skipping those numbered below `since`.
    func json(since: Int) -> JSONValue {
        let (entries, statuses) = state.withLock { state in (state.entries.filter { $0.sequence >= since }, state.statuses) }
        return .array(entries.map { entry in
            let body = (try? JSONValue.parse(entry.body)) ?? .string(String(decoding: entry.body, as: UTF8.self))
            let milliseconds = Int64((entry.receivedAt.timeIntervalSince1970 * 1000).rounded())
            var object: [String: JSONValue] = [
                "seq": .int(Int64(entry.sequence)),
                "received_at": .string(Timestamp.rfc3339(entry.receivedAt, fractionalDigits: 3)),
                "received_at_ms": .int(milliseconds),
                "method": .string(entry.method),
                "path": .string(entry.path),
                "query": .object(Dictionary(entry.query.map { ($0.name, JSONValue.string($0.value)) }, uniquingKeysWith: { first, _ in first })),
                "body": body,
                "user": body["user"] ?? .null,
                "trace_id": entry.traceHeader.map(JSONValue.string) ?? body["trace_id"] ?? .null,
            ]
            object["key_sha256"] = entry.keySHA256.map(JSONValue.string) ?? .null
            object["status"] = statuses[entry.sequence].map { .int(Int64($0)) } ?? .null
            return .object(object)
        })
    }
}
