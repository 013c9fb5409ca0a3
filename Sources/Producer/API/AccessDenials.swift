import Foundation
import Shared
import Synchronization

/// Counts denied requests by reason in `dify_producer_requests_denied_total` and logs them,
/// at most one line per client address per ``logInterval``.
///
/// A client that is rejected many times (a scanner, a script with a revoked token) would
/// otherwise fill the log. The first denial of an address in an interval is logged at once.
/// Later ones in the same interval are only counted, and the next line logged for that
/// address contains how many were left out. At most ``maxAddresses`` addresses are remembered.
final class AccessDenials: Sendable {
    static let logInterval: TimeInterval = 10
    static let maxAddresses = 10_000

    /// Reasons a request is denied, the label values of the metric.
    static let reasons = [
        "no_credentials", "bad_scheme", "invalid_token", "session_ended", "csrf_missing", "csrf_mismatch", "forbidden",
        "sign_in_failed", "sign_in_limited",
    ]

    private struct Entry {
        var loggedAt: Date
        var suppressed: Int
    }

    private let counter: Counter
    private let logger: Logger
    private let entries = Mutex<[String: Entry]>([:])
    private let lines = Atomic<Int>(0)

    /// How many `request denied` lines were logged, for tests.
    var loggedLines: Int { lines.load(ordering: .relaxed) }

    init(registry: MetricsRegistry = .shared, logger: Logger) {
        counter = registry.counter("dify_producer_requests_denied_total", help: "Requests rejected with 401, 403 or 429 by the access gate and the sign-in route, by reason.")
        self.logger = logger
    }

    /// Counts a denial of `request` and logs it unless this address was logged recently.
    func record(_ request: HTTPRequest, address: String, status: Int, reason: String, actor: String?, now: Date = Date()) {
        counter.increment(by: 1, ["reason": reason])
        let suppressed: Int? = entries.withLock { entries in
            if let entry = entries[address], now.timeIntervalSince(entry.loggedAt) < Self.logInterval {
                entries[address]?.suppressed += 1
                return nil
            }
            if entries.count >= Self.maxAddresses {
                entries = entries.filter { now.timeIntervalSince($0.value.loggedAt) < Self.logInterval }
                if entries.count >= Self.maxAddresses { entries.removeAll() }
            }
            let earlier = entries[address]?.suppressed ?? 0
            entries[address] = Entry(loggedAt: now, suppressed: 0)
            return earlier
        }
        guard let suppressed else { return }
        var metadata: [String: String] = [
            LogKey.method: request.method, LogKey.path: request.path, LogKey.httpStatus: "\(status)",
            "remote": address, "actor": actor ?? "-", "reason": reason,
        ]
        if suppressed > 0 { metadata["not_logged_before"] = "\(suppressed)" }
        lines.add(1, ordering: .relaxed)
        logger.info("request denied", metadata)
    }
}
