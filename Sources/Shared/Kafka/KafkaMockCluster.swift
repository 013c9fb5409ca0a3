import CRdKafka

/// An in-process Kafka cluster from librdkafka's mock broker, for fast unit tests of the
/// Kafka layer.
///
/// The cluster lives inside a client instance created with `test.mock.num.brokers`; other
/// clients reach it through ``bootstrapServers``. It supports producing, consumer groups and
/// offset commits, but not every broker feature (no topic configs, no compaction).
/// - Important: for tests only; the cluster stops when this object is released.
public final class KafkaMockCluster: Sendable {
    private let client: RDKafkaClient
    /// The `host:port` list of the mock brokers, for ``KafkaConfiguration/bootstrapServers``.
    public let bootstrapServers: String

    /// Starts a mock cluster with `brokers` brokers on 127.0.0.1.
    ///
    /// `initialRebalanceDelay` is the broker's `group.initial.rebalance.delay.ms`: how long a
    /// new group waits for more members before the first assignment.
    public init(brokers: Int = 1, initialRebalanceDelay: Duration = .milliseconds(100), logger: Logger = Logger(label: "kafka.mock")) throws {
        let client = try RDKafkaClient(
            kind: .producer,
            properties: [("test.mock.num.brokers", String(brokers)), ("client.id", "mock-cluster")],
            events: RDKafkaEvents(logger: logger)
        )
        guard let cluster = rd_kafka_handle_mock_cluster(client.handle) else {
            throw KafkaError(code: .clientCreationFailed, reason: "librdkafka did not start a mock cluster")
        }
        rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, initialRebalanceDelay.kafkaMilliseconds)
        self.client = client
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// Creates `topic` with `partitions` partitions; without it, the first use of a topic
    /// creates it with the mock's default partition count.
    public func createTopic(_ topic: String, partitions: Int) throws {
        let result = rd_kafka_mock_topic_create(rd_kafka_handle_mock_cluster(client.handle), topic, Int32(partitions), 1)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.librdkafka(result, code: .adminFailed, reason: "creating mock topic \(topic) failed")
        }
    }
}
