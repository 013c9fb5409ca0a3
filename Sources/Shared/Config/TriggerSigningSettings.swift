import Foundation

/// Source of the shared key that signs trigger messages: `kafka.trigger_signing`.
///
/// Producers and workers read the same key. The configuration file names only the
/// environment variable or file that contains it, never the key itself.
public struct TriggerSigningSettings: Codable, Sendable, Hashable {
    /// Environment variable holding the key.
    public var keyEnv: String?
    /// File holding the key, such as a mounted secret.
    public var keyFile: String?

    /// Shortest key accepted, in bytes: the output size of SHA-256.
    public static let minimumKeyBytes = 32
    static let path = "kafka.trigger_signing"

    public init(keyEnv: String? = nil, keyFile: String? = nil) {
        self.keyEnv = keyEnv
        self.keyFile = keyFile
    }

    enum CodingKeys: String, CodingKey {
        case keyEnv = "key_env"
        case keyFile = "key_file"
    }

    /// Reads the key from the environment variable or file and registers it as a secret, so
    /// it never reaches a log line.
    ///
    /// - Throws: ``ConfigError`` naming the variable or file when it is missing, empty or
    ///   shorter than ``minimumKeyBytes``, or when neither or both sources are set.
    public func resolveKey(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TriggerSigner {
        let path = Self.path
        let fix = "generate one with `openssl rand -hex 32`"
        let value: String
        let source: (file: String, path: String)
        switch (keyEnv, keyFile) {
        case (.some, .some):
            throw ConfigError(file: "configuration", line: 0, path: path, message: "set key_env or key_file, not both")
        case (nil, nil):
            throw ConfigError(file: "configuration", line: 0, path: path, message: "no key source: set key_env (an environment variable) or key_file, and \(fix)")
        case (.some(let variable), nil):
            source = ("environment", "\(path).key_env")
            guard let text = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
                throw ConfigError(file: source.file, line: 0, path: source.path, message: "environment variable \(variable) is not set: export the trigger signing key in it, and \(fix)")
            }
            value = text
        case (nil, .some(let file)):
            source = (file, "\(path).key_file")
            guard let data = FileManager.default.contents(atPath: file),
                let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
            else {
                throw ConfigError(file: file, line: 0, path: source.path, message: "cannot read the trigger signing key file: check that it exists, is readable and is not empty")
            }
            value = text
        }
        SecretRedactor.shared.register(value)
        guard value.utf8.count >= Self.minimumKeyBytes else {
            throw ConfigError(file: source.file, line: 0, path: source.path, message: "the trigger signing key is \(value.utf8.count) bytes, below the minimum of \(Self.minimumKeyBytes): \(fix)")
        }
        return TriggerSigner(key: Array(value.utf8))
    }
}

extension KafkaSettings {
    /// Returns the signer of trigger messages from `kafka.trigger_signing`, or nil when it is not set.
    ///
    /// - Throws: ``ConfigError`` when the key is unusable (see ``TriggerSigningSettings/resolveKey(environment:)``).
    public func triggerSigner(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TriggerSigner? {
        try triggerSigning?.resolveKey(environment: environment)
    }
}
