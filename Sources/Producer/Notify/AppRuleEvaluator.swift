import Foundation
import Shared

/// App-level rules over every run of an app: success rate below a value or dropped against the
/// previous window, and run count dropped (a job that stopped firing).
///
/// Runs are counted in one-minute buckets by finish time. A rule is judged only once the
/// evaluator has seen two whole windows, so a producer that just started raises nothing it
/// cannot know. A rule raises when it starts to hold and then again every silence window
/// (default: the rule's window) while it still holds.
struct AppRuleEvaluator: Sendable {
    struct Bucket: Sendable, Hashable {
        var successes = 0
        var failures = 0
        /// Runs per job, to name the jobs that stopped.
        var jobs: [String: Int] = [:]
    }

    let rules: [AppAlertRule]
    /// Buckets per app, keyed by minute since the epoch.
    private(set) var buckets: [String: [Int64: Bucket]] = [:]
    /// The earliest instant the counts are complete from.
    var coveredSince: Date
    /// When each rule last raised, per rule index and app.
    private var raised: [String: Date] = [:]
    private var seen = RecentIDs(capacity: 200_000)

    init(rules: [AppAlertRule], coveredSince: Date) {
        self.rules = rules
        self.coveredSince = coveredSince
    }

    /// Counts one result.
    mutating func record(_ result: RunResult) {
        guard result.status.outcome != .neither, seen.insert(result.triggerID) else { return }
        let finished = result.finishedAt ?? Date()
        let minute = Int64(finished.timeIntervalSince1970 / 60)
        var bucket = buckets[result.app, default: [:]][minute] ?? Bucket()
        if result.status.outcome == .success { bucket.successes += 1 } else { bucket.failures += 1 }
        if let job = result.jobID { bucket.jobs[job, default: 0] += 1 }
        buckets[result.app, default: [:]][minute] = bucket
    }

    /// The totals of `app` in the window `[start, end)`.
    func totals(app: String, from start: Date, to end: Date) -> Bucket {
        var total = Bucket()
        let first = Int64(start.timeIntervalSince1970 / 60)
        let last = Int64(end.timeIntervalSince1970 / 60)
        for (minute, bucket) in buckets[app] ?? [:] where minute >= first && minute < last {
            total.successes += bucket.successes
            total.failures += bucket.failures
            total.jobs.merge(bucket.jobs, uniquingKeysWith: +)
        }
        return total
    }

    /// Judges every rule at `now` and returns the alerts to publish.
    mutating func evaluate(now: Date) -> [Alert] {
        var alerts: [Alert] = []
        let apps = Set(buckets.keys)
        for (index, rule) in rules.enumerated() {
            let window = Double(rule.windowMilliseconds) / 1000
            guard now.timeIntervalSince(coveredSince) >= 2 * window else { continue }
            let targets = rule.app == "*" ? apps.sorted() : [rule.app]
            for app in targets {
                let current = totals(app: app, from: now - window, to: now)
                let previous = totals(app: app, from: now - 2 * window, to: now - window)
                for (check, kind, message, detail) in judge(rule, current: current, previous: previous) {
                    let key = "\(index)/\(app)/\(check)"
                    let silence = rule.silence.flatMap { try? DurationText.milliseconds($0) }.map { Double($0) / 1000 } ?? window
                    if let last = raised[key], now.timeIntervalSince(last) < silence { continue }
                    raised[key] = now
                    var alert = Alert(kind: kind, severity: rule.severity ?? .warning, jobID: nil, app: app, triggerID: nil, status: nil,
                        message: message, channels: rule.channels, time: now,
                        id: "a-" + StableHash.hex(Array(StableHash.sha256("\(key)\u{0}\(Int64(now.timeIntervalSince1970))").prefix(12))))
                    alert.detail = detail.merging(["rule": .int(Int64(index)), "check": .string(check), "window": .string(rule.window ?? "1h")]) { first, _ in first }
                    alerts.append(alert)
                }
            }
            // A rule that stopped holding may raise again at once when it holds again.
            for key in raised.keys where key.hasPrefix("\(index)/") {
                let parts = key.split(separator: "/")
                guard parts.count == 3 else { continue }
                let app = String(parts[1])
                let current = totals(app: app, from: now - window, to: now)
                let previous = totals(app: app, from: now - 2 * window, to: now - window)
                if !judge(rule, current: current, previous: previous).contains(where: { $0.0 == parts[2] }) {
                    raised[key] = nil
                }
            }
        }
        prune(before: now.addingTimeInterval(-2 * maxWindow - 120))
        return alerts
    }

    private var maxWindow: Double { rules.map { Double($0.windowMilliseconds) / 1000 }.max() ?? 3600 }

    private mutating func prune(before instant: Date) {
        let first = Int64(instant.timeIntervalSince1970 / 60)
        for app in buckets.keys {
            buckets[app] = buckets[app]?.filter { $0.key >= first }
        }
    }

    /// The alerts one rule raises for one app's two windows.
    func judge(_ rule: AppAlertRule, current: Bucket, previous: Bucket) -> [(check: String, kind: AlertKind, message: String, detail: [String: JSONValue])] {
        var raised: [(check: String, kind: AlertKind, message: String, detail: [String: JSONValue])] = []
        let runs = current.successes + current.failures
        let previousRuns = previous.successes + previous.failures
        let rate = runs > 0 ? Double(current.successes) / Double(runs) : 1
        let previousRate = previousRuns > 0 ? Double(previous.successes) / Double(previousRuns) : 1
        let window = rule.window ?? "1h"
        let base: [String: JSONValue] = [
            "runs": .int(Int64(runs)), "previous_runs": .int(Int64(previousRuns)),
            "success_rate": .double(rate), "previous_success_rate": .double(previousRate),
        ]
        if let threshold = rule.successRateBelow, runs >= rule.effectiveMinRuns, rate < threshold {
            raised.append(("success_rate_below", .appThreshold, "success rate \(Self.percent(rate)) over the last \(window) is below \(Self.percent(threshold)) (\(current.successes) of \(runs) runs)", base))
        }
        if let drop = rule.successRateDrop, runs >= rule.effectiveMinRuns, previousRuns >= rule.effectiveMinRuns, previousRate > 0,
            (previousRate - rate) / previousRate * 100 >= drop
        {
            raised.append(("success_rate_drop", .appThreshold, "success rate fell from \(Self.percent(previousRate)) to \(Self.percent(rate)) against the previous \(window)", base))
        }
        if let drop = rule.runCountDrop, previousRuns >= rule.effectiveMinRuns, Double(previousRuns - runs) / Double(previousRuns) * 100 >= drop {
            let stopped = previous.jobs.keys.filter { current.jobs[$0] == nil }.sorted()
            var detail = base
            detail["stopped_jobs"] = .array(stopped.map(JSONValue.string))
            let names = stopped.isEmpty ? "" : "; no runs from \(stopped.prefix(10).joined(separator: ", "))"
            raised.append(("run_count_drop", .stoppedFiring, "\(runs) runs in the last \(window) against \(previousRuns) in the one before\(names)", detail))
        }
        return raised
    }

    static func percent(_ value: Double) -> String {
        String(format: "%.1f%%", value * 100)
    }
}
