import Foundation
import Synchronization

/// Counters, gauges and histograms with labels, rendered in Prometheus text format.
///
/// Thread-safe: every update takes one lock around a dictionary write, which is cheap next to
/// the Kafka and HTTP work each update accompanies.
public final class MetricsRegistry: Sendable {
    public static let shared = MetricsRegistry()

    struct Family {
        var help: String
        var type: String
        var buckets: [Double]
        var samples: [[String: String]: Sample] = [:]
    }

    struct Sample {
        var value: Double = 0
        var bucketCounts: [UInt64] = []
        var count: UInt64 = 0
        var sum: Double = 0
    }

    private let families = Mutex<[String: Family]>([:])

    public init() {}

    /// Default histogram buckets in seconds, from 1 ms to 10 minutes.
    public static let durationBuckets: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]

    public func counter(_ name: String, help: String) -> Counter {
        declare(name, help: help, type: "counter", buckets: [])
        return Counter(name: name, registry: self)
    }

    public func gauge(_ name: String, help: String) -> Gauge {
        declare(name, help: help, type: "gauge", buckets: [])
        return Gauge(name: name, registry: self)
    }

    public func histogram(_ name: String, help: String, buckets: [Double] = MetricsRegistry.durationBuckets) -> Histogram {
        declare(name, help: help, type: "histogram", buckets: buckets.sorted())
        return Histogram(name: name, registry: self)
    }

    private func declare(_ name: String, help: String, type: String, buckets: [Double]) {
        families.withLock { families in
            if families[name] == nil {
                families[name] = Family(help: help, type: type, buckets: buckets)
            }
        }
    }

    func add(_ name: String, labels: [String: String], value: Double) {
        families.withLock { $0[name]?.samples[labels, default: Sample()].value += value }
    }

    func set(_ name: String, labels: [String: String], value: Double) {
        families.withLock { $0[name]?.samples[labels, default: Sample()].value = value }
    }

    func remove(_ name: String, labels: [String: String]) {
        _ = families.withLock { $0[name]?.samples.removeValue(forKey: labels) }
    }

    func observe(_ name: String, labels: [String: String], value: Double) {
        families.withLock { families in
            guard let buckets = families[name]?.buckets else { return }
            var sample = families[name]!.samples[labels] ?? Sample(bucketCounts: Array(repeating: 0, count: buckets.count))
            for (index, bound) in buckets.enumerated() where value <= bound {
                sample.bucketCounts[index] += 1
            }
            sample.count += 1
            sample.sum += value
            families[name]!.samples[labels] = sample
        }
    }

    /// Current value of a counter or gauge sample, for tests and the console.
    public func value(_ name: String, labels: [String: String] = [:]) -> Double? {
        families.withLock { $0[name]?.samples[labels]?.value }
    }

    /// All samples in Prometheus text exposition format 0.0.4.
    public func render() -> String {
        let snapshot = families.withLock { $0 }
        var output = ""
        for name in snapshot.keys.sorted() {
            let family = snapshot[name]!
            output += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.type)\n"
            let ordered = family.samples.sorted { labelText($0.key) < labelText($1.key) }
            for (labels, sample) in ordered {
                if family.type == "histogram" {
                    for (index, bound) in family.buckets.enumerated() {
                        output += "\(name)_bucket\(labelText(labels, extra: ("le", format(bound)))) \(sample.bucketCounts[index])\n"
                    }
                    output += "\(name)_bucket\(labelText(labels, extra: ("le", "+Inf"))) \(sample.count)\n"
                    output += "\(name)_sum\(labelText(labels)) \(format(sample.sum))\n"
                    output += "\(name)_count\(labelText(labels)) \(sample.count)\n"
                } else {
                    output += "\(name)\(labelText(labels)) \(format(sample.value))\n"
                }
            }
        }
        return output
    }

    private func labelText(_ labels: [String: String], extra: (String, String)? = nil) -> String {
        var pairs = labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let extra { pairs.append(extra) }
        guard !pairs.isEmpty else { return "" }
        let body = pairs.map { key, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
            return "\(key)=\"\(escaped)\""
        }
        return "{" + body.joined(separator: ",") + "}"
    }

    private func format(_ value: Double) -> String {
        if value.rounded() == value && abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// A monotonically increasing count.
public struct Counter: Sendable {
    let name: String
    let registry: MetricsRegistry

    public func increment(by amount: Double = 1, _ labels: [String: String] = [:]) {
        registry.add(name, labels: labels, value: amount)
    }
}

/// A value that goes up and down.
public struct Gauge: Sendable {
    let name: String
    let registry: MetricsRegistry

    public func set(_ value: Double, _ labels: [String: String] = [:]) {
        registry.set(name, labels: labels, value: value)
    }

    public func add(_ amount: Double, _ labels: [String: String] = [:]) {
        registry.add(name, labels: labels, value: amount)
    }

    public func remove(_ labels: [String: String]) {
        registry.remove(name, labels: labels)
    }
}

/// A distribution of observed values, such as durations in seconds.
public struct Histogram: Sendable {
    let name: String
    let registry: MetricsRegistry

    public func observe(_ value: Double, _ labels: [String: String] = [:]) {
        registry.observe(name, labels: labels, value: value)
    }
}
