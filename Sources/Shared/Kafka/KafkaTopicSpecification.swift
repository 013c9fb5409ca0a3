/// A topic to create: its name, partition count, replication factor and topic configs.
public struct KafkaTopicSpecification: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    /// Topic-level configs such as `cleanup.policy=compact` or `retention.ms`.
    public var configs: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int = 1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }

    /// Returns a compacted topic (`cleanup.policy=compact`), which keeps the latest value per key.
    public static func compacted(_ name: String, partitions: Int, replicationFactor: Int = 1, configs: [String: String] = [:]) -> KafkaTopicSpecification {
        var merged = configs
        merged["cleanup.policy"] = "compact"
        return KafkaTopicSpecification(name: name, partitions: partitions, replicationFactor: replicationFactor, configs: merged)
    }
}
