import Foundation
import Synchronization

/// Severity of a log line, ordered from the most verbose to the most severe.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical

    public var name: String {
        switch self {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }

    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.name == name.lowercased() }) else {
            return nil
        }
        self = level
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Output format of log lines: `key=value` text for people, one JSON object per line for machines.
public enum LogFormat: String, Sendable {
    case text
    case json
}

/// Process-wide logging settings, set once in `main` from configuration.
public enum LogSettings {
    struct State {
        var level: LogLevel = .info
        var format: LogFormat = .text
        var sink: (@Sendable (String) -> Void)?
    }

    static let state = Mutex(State())

    public static func configure(level: LogLevel, format: LogFormat) {
        state.withLock {
            $0.level = level
            $0.format = format
        }
    }

    /// Sends every line to `sink` instead of standard error; tests use it to capture logs.
    public static func redirect(to sink: (@Sendable (String) -> Void)?) {
        state.withLock { $0.sink = sink }
    }
}

/// A structured logger: a constant message per event, with ids and values as metadata.
///
/// One line per event, written to standard error. Metadata keys are the dotted names in
/// ``LogKey``. Values pass through ``SecretRedactor`` so that a key that slipped into an error
/// text never reaches a log line.
public struct Logger: Sendable {
    public let label: String
    public var metadata: [String: String]

    public init(label: String, metadata: [String: String] = [:]) {
        self.label = label
        self.metadata = metadata
    }

    /// Returns a logger that adds `metadata` to every line.
    public func with(_ metadata: [String: String]) -> Logger {
        var copy = self
        copy.metadata.merge(metadata) { _, new in new }
        return copy
    }

    public func trace(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        log(.trace, message(), metadata)
    }

    public func debug(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        log(.debug, message(), metadata)
    }

    public func info(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        log(.info, message(), metadata)
    }

    public func notice(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        log(.notice, message(), metadata)
    }

    public func warning(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        log(.warning, message(), metadata)
    }

    public func error(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        log(.error, message(), metadata)
    }

    public func critical(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        log(.critical, message(), metadata)
    }

    public func isEnabled(_ level: LogLevel) -> Bool {
        LogSettings.state.withLock { level >= $0.level }
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ extra: [String: String] = [:]) {
        let (minimum, format, sink) = LogSettings.state.withLock { ($0.level, $0.format, $0.sink) }
        guard level >= minimum else { return }

        var fields = metadata
        fields.merge(extra) { _, new in new }
        let line = LogLine(
            time: Date(),
            level: level,
            label: label,
            message: SecretRedactor.shared.redact(message()),
            fields: fields.mapValues { SecretRedactor.shared.redact($0) }
        )
        let text = format == .json ? line.json() : line.text()

        if let sink {
            sink(text)
        } else {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }
}

struct LogLine {
    let time: Date
    let level: LogLevel
    let label: String
    let message: String
    let fields: [String: String]

    func text() -> String {
        var parts = [Timestamp.rfc3339(time, fractionalDigits: 3), level.name, label, quoteIfNeeded(message)]
        for key in fields.keys.sorted() {
            parts.append("\(key)=\(quoteIfNeeded(fields[key]!))")
        }
        return parts.joined(separator: " ")
    }

    func json() -> String {
        var object: [String: JSONValue] = [
            "time": .string(Timestamp.rfc3339(time, fractionalDigits: 3)),
            "level": .string(level.name),
            "logger": .string(label),
            "message": .string(message),
        ]
        for (key, value) in fields where object[key] == nil {
            object[key] = .string(value)
        }
        return JSONValue.object(object).compactText(sortedKeys: true)
    }

    private func quoteIfNeeded(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
        guard needsQuotes else { return value }
        return JSONValue.string(value).compactText()
    }
}
