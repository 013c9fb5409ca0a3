/// An invalid value in a configuration or job file, with the place it was found.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based line, or 0 when the problem concerns the whole file.
    public var line: Int
    /// Dotted path of the value (`jobs[2].schedule.cron`), when known.
    public var path: String?
    public var message: String

    public init(file: String, line: Int, path: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        if let path, !path.isEmpty {
            return "\(place): \(path): \(message)"
        }
        return "\(place): \(message)"
    }
}

/// Every problem found in one file, reported together.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
