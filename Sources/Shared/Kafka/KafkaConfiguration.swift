/// Connection settings shared by every Kafka client of a process.
///
/// `settings` passes librdkafka properties through unchanged (`security.protocol`, `sasl.*`,
/// `ssl.*`, tuning such as `linger.ms` or `session.timeout.ms`). librdkafka checks each key and
/// value when a client is created, and a rejected one becomes a ``KafkaError`` naming the key.
/// The clients add the properties they depend on; see ``KafkaProducer`` and ``KafkaConsumer``.
public struct KafkaConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// Comma-separated `host:port` list of brokers used for the first connection.
    public var bootstrapServers: String
    /// Sent to brokers as `client.id`; shows in broker logs and quotas.
    public var clientID: String
    /// librdkafka properties applied after the client's defaults.
    public var settings: [String: String]

    public init(bootstrapServers: String, clientID: String = "dify-scheduler", settings: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.settings = settings
    }

    /// Returns the librdkafka properties for one client: `defaults`, then `settings`, then
    /// `required`.
    ///
    /// - Throws: ``KafkaError`` with code `invalidConfiguration` when `settings` sets a
    ///   required property to another value, because the client's guarantees rest on it.
    func properties(defaults: [String: String], required: [String: String], role: String) throws -> [(String, String)] {
        var merged = defaults
        merged["bootstrap.servers"] = bootstrapServers
        merged["client.id"] = clientID
        for (key, value) in settings {
            if let requiredValue = required[key], requiredValue != value {
                throw KafkaError(
                    code: .invalidConfiguration,
                    reason: "Kafka setting \(key)=\(value) conflicts with the \(role), which requires \(key)=\(requiredValue); remove \(key) from the Kafka settings"
                )
            }
            merged[key] = value
        }
        merged.merge(required) { _, new in new }
        return merged.sorted { $0.key < $1.key }
    }

    /// The configuration with the values of secret settings (passwords, keys, tokens) hidden.
    public var description: String {
        let shown = settings.keys.sorted().map { "\($0)=\(Self.redactedValue(key: $0, value: settings[$0]!))" }
        return "KafkaConfiguration(bootstrapServers: \(bootstrapServers), clientID: \(clientID), settings: [\(shown.joined(separator: ", "))])"
    }

    /// Returns `value`, or `[REDACTED]` when `key` names a setting that carries a secret.
    static func redactedValue(key: String, value: String) -> String {
        let lowered = key.lowercased()
        let secretMarkers = ["password", "secret", "key", "token", "jaas"]
        // `ssl.key.location` and similar name a file, not a secret.
        if secretMarkers.contains(where: { lowered.contains($0) }) && !lowered.hasSuffix(".location") {
            return "[REDACTED]"
        }
        return value
    }
}
