import Foundation

/// The `auth.sessions` section: how long a console sign-in lasts and how many are kept.
///
/// A session ends after `idle_timeout` without a request, and `max_age` after sign-in however
/// busy it is. The producer keeps at most `max_count` sessions; signing in beyond that ends
/// the session that was used least recently. `max_failed_sign_ins` failed sign-ins from one
/// client address within `sign_in_window` block further attempts from it until the window
/// has passed.
///
/// ```yaml
/// auth:
///   sessions:
///     idle_timeout: 1h
///     max_age: 12h
///     max_count: 10000
/// ```
public struct SessionSettings: Decodable, Sendable, Hashable {
    public var idleTimeout: String = "1h"
    public var maxAge: String = "12h"
    public var maxCount: Int = 10_000
    public var maxFailedSignIns: Int = 10
    public var signInWindow: String = "15m"

    public init() {}

    enum CodingKeys: String, CodingKey {
        case idleTimeout = "idle_timeout"
        case maxAge = "max_age"
        case maxCount = "max_count"
        case maxFailedSignIns = "max_failed_sign_ins"
        case signInWindow = "sign_in_window"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Each key is checked on its own, so one run lists every problem of the section.
        idleTimeout = try decoder.collecting(nil) { try Self.duration(container, .idleTimeout) } ?? idleTimeout
        maxAge = try decoder.collecting(nil) { try Self.duration(container, .maxAge) } ?? maxAge
        signInWindow = try decoder.collecting(nil) { try Self.duration(container, .signInWindow) } ?? signInWindow
        let count = try decoder.collecting(nil) { try container.decodeIfPresent(Int.self, forKey: .maxCount) } ?? maxCount
        if (1...1_000_000).contains(count) {
            maxCount = count
        } else {
            try decoder.report(DecodingError.dataCorruptedError(forKey: .maxCount, in: container,
                debugDescription: "max_count \(count) is out of range: use 1 to 1000000 sessions"))
        }
        let failures = try decoder.collecting(nil) { try container.decodeIfPresent(Int.self, forKey: .maxFailedSignIns) } ?? maxFailedSignIns
        if (1...10_000).contains(failures) {
            maxFailedSignIns = failures
        } else {
            try decoder.report(DecodingError.dataCorruptedError(forKey: .maxFailedSignIns, in: container,
                debugDescription: "max_failed_sign_ins \(failures) is out of range: use 1 to 10000"))
        }
        if milliseconds(idleTimeout) > milliseconds(maxAge) {
            try decoder.report(DecodingError.dataCorruptedError(forKey: .idleTimeout, in: container,
                debugDescription: "idle_timeout \(idleTimeout) is longer than max_age \(maxAge): make it shorter or raise max_age"))
        }
    }

    /// The idle timeout in milliseconds.
    public var idleMilliseconds: Int64 { milliseconds(idleTimeout) }
    /// The maximum age of a session in milliseconds.
    public var maxAgeMilliseconds: Int64 { milliseconds(maxAge) }
    /// The window of the failed sign-in limit in milliseconds.
    public var signInWindowMilliseconds: Int64 { milliseconds(signInWindow) }

    private func milliseconds(_ text: String) -> Int64 {
        // Decoding has checked each value, so the fallback is never used.
        (try? DurationText.milliseconds(text)) ?? 3_600_000
    }

    private static func duration(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> String? {
        guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
        let value: Int64
        do {
            value = try DurationText.milliseconds(text)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(key.rawValue): \(error)")
        }
        guard value >= 1000, value <= 30 * 86_400_000 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container,
                debugDescription: "\(key.rawValue) \(text) is out of range: use 1s to 30d")
        }
        return text
    }
}
