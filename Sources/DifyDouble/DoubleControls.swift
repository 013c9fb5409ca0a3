import Foundation
import Shared
import Synchronization

/// Behaviour a test requests of the double for run requests: forced errors, delays, cut streams.
struct Behaviour: Sendable {
    /// HTTP status to return instead of running (400, 401, 403, 404, 429, 500, 502, 503, 504).
    var status: Int?
    /// `Retry-After` seconds sent with a forced 429 or 503.
    var retryAfter: Int?
    /// Delay before the response starts.
    var latency: Duration?
    /// Number of events after which a stream is cut without a final event (0 cuts before any).
    var cutAfter: Int?
    /// The run never ends by itself; only a stop ends it.
    var hang = false
    /// `total_tokens` reported for the run.
    var tokens: Int?
    /// `total_price` a chat or completion app reports in `message_end` usage, as Dify's
    /// decimal text such as `"0.0125"`.
    var price: String?

    static let allowedStatuses: Set<Int> = [400, 401, 403, 404, 429, 500, 502, 503, 504]

    /// Overlays the fields `other` sets.
    func merged(with other: Behaviour) -> Behaviour {
        var result = self
        if let status = other.status { result.status = status }
        if let retryAfter = other.retryAfter { result.retryAfter = retryAfter }
        if let latency = other.latency { result.latency = latency }
        if let cutAfter = other.cutAfter { result.cutAfter = cutAfter }
        if other.hang { result.hang = true }
        if let tokens = other.tokens { result.tokens = tokens }
        if let price = other.price { result.price = price }
        return result
    }

    var json: JSONValue {
        var object: [String: JSONValue] = ["hang": .bool(hang)]
        object["status"] = status.map { .int(Int64($0)) } ?? .null
        object["retry_after"] = retryAfter.map { .int(Int64($0)) } ?? .null
        object["latency_ms"] = latency.map { .int(Int64($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000)) } ?? .null
        object["cut_after"] = cutAfter.map { .int(Int64($0)) } ?? .null
        object["tokens"] = tokens.map { .int(Int64($0)) } ?? .null
        object["price"] = price.map(JSONValue.string) ?? .null
        return .object(object)
    }

    /// Reads the fields of an admin request body or of `_double_*` inputs.
    ///
    /// - Parameter prefix: `""` for the admin body, `"_double_"` for run inputs.
    /// - Throws: a message naming the bad field and what it takes.
    static func parse(_ fields: [String: JSONValue], prefix: String) throws(ControlError) -> Behaviour {
        var behaviour = Behaviour()
        func integer(_ name: String, range: ClosedRange<Int>) throws(ControlError) -> Int? {
            guard let value = fields[prefix + name], !value.isNull else { return nil }
            let number = value.intValue.map { Int($0) } ?? value.stringValue.flatMap { Int($0) }
            guard let number, range.contains(number) else {
                throw ControlError("\(prefix)\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }

        if let status = try integer("status", range: 100...599) {
            guard allowedStatuses.contains(status) else {
                let choices = allowedStatuses.sorted().map(String.init).joined(separator: ", ")
                throw ControlError("\(prefix)status must be one of \(choices)")
            }
            behaviour.status = status
        }
        behaviour.retryAfter = try integer("retry_after", range: 0...86_400)
        behaviour.cutAfter = try integer("cut_after", range: 0...100_000)
        behaviour.tokens = try integer("tokens", range: 0...Int(Int32.max))
        if let value = fields[prefix + "price"], !value.isNull {
            let number = value.doubleValue ?? value.stringValue.flatMap { Double($0) }
            guard let number, number >= 0, number.isFinite else {
                throw ControlError("\(prefix)price must be an amount of at least 0, such as 0.0125 or \"0.0125\"")
            }
            behaviour.price = value.stringValue ?? "\(number)"
        }
        if let value = fields[prefix + "latency"], !value.isNull {
            if let seconds = value.doubleValue, seconds >= 0 {
                behaviour.latency = .milliseconds(Int64(seconds * 1000))
            } else if let text = value.stringValue, let milliseconds = try? DurationText.milliseconds(text) {
                behaviour.latency = .milliseconds(milliseconds)
            } else {
                throw ControlError("\(prefix)latency must be seconds (0.25) or a duration (250ms)")
            }
        }
        if let value = fields[prefix + "hang"], !value.isNull {
            switch value {
            case .bool(let flag): behaviour.hang = flag
            case .string(let text) where ["true", "yes", "1"].contains(text.lowercased()): behaviour.hang = true
            case .string(let text) where ["false", "no", "0", ""].contains(text.lowercased()): behaviour.hang = false
            case .int(let number): behaviour.hang = number != 0
            default: throw ControlError("\(prefix)hang must be true or false")
            }
        }
        return behaviour
    }
}

struct ControlError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Settings made through `POST /_double/config`, for all next run requests or the next N.
final class DoubleControls: Sendable {
    private struct State {
        var behaviour = Behaviour()
        var remaining: Int?
        var maxConcurrency: Int
    }

    private let state: Mutex<State>

    init(maxConcurrency: Int) {
        state = Mutex(State(maxConcurrency: maxConcurrency))
    }

    var maxConcurrency: Int { state.withLock { $0.maxConcurrency } }

    /// Returns the behaviour for the next run request, counting it against `count`.
    func takeBehaviour() -> Behaviour {
        state.withLock { state in
            let behaviour = state.behaviour
            if let remaining = state.remaining {
                if remaining <= 1 {
                    state.behaviour = Behaviour()
                    state.remaining = nil
                } else {
                    state.remaining = remaining - 1
                }
            }
            return behaviour
        }
    }

    func configure(_ behaviour: Behaviour, count: Int?, maxConcurrency: Int?) {
        state.withLock { state in
            state.behaviour = behaviour
            state.remaining = count
            if let maxConcurrency { state.maxConcurrency = maxConcurrency }
        }
    }

    func reset(maxConcurrency: Int) {
        state.withLock { $0 = State(maxConcurrency: maxConcurrency) }
    }

    var json: JSONValue {
        state.withLock { state in
            .object([
                "behaviour": state.behaviour.json,
                "count": state.remaining.map { .int(Int64($0)) } ?? .null,
                "max_concurrency": .int(Int64(state.maxConcurrency)),
            ])
        }
    }
}
