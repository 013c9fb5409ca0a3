import Foundation

/// A configuration section a process reads only at start, which a SIGHUP reload must not
/// pretend to change.
public struct StartOnlySetting<Value: Encodable>: Sendable where Value: Sendable {
    /// The section's key in the file, such as `kafka`.
    public var path: String
    public var value: Value

    public init(_ path: String, _ value: Value) {
        self.path = path
        self.value = value
    }

    /// Returns an error naming the section when `new` differs from this value, telling the
    /// operator to restart `process` (`the worker`, `the producer`); nil when nothing changed.
    public func change(to new: Value, file: String, process: String, detail: String = "") -> ConfigError? {
        guard Self.encoded(value) != Self.encoded(new) else { return nil }
        let what = detail.isEmpty ? "these settings" : detail
        return ConfigError(file: file, line: 0, path: path, message: "changed, but \(process) reads \(what) only at start: restart \(process) to apply them")
    }

    private static func encoded(_ value: Value) -> Data? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try? encoder.encode(value)
    }
}
