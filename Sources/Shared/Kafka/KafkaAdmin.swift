/// Creates, lists and deletes topics.
public final class KafkaAdmin: Sendable {
    private let client: RDKafkaClient

    /// - Throws: ``KafkaError`` with code `invalidConfiguration`, `unsupportedLibraryVersion` or
    ///   `clientCreationFailed`.
    public init(configuration: KafkaConfiguration, logger: Logger = Logger(label: "kafka.admin")) throws {
        let properties = try configuration.properties(defaults: [:], required: [:], role: "admin client")
        client = try RDKafkaClient(kind: .producer, properties: properties, events: RDKafkaEvents(logger: logger))
    }

    /// Creates topics; a topic that already exists counts as success and keeps its settings.
    ///
    /// Returns the names of the topics this call created.
    /// - Throws: ``KafkaError`` with code `adminFailed` listing every topic that could not be
    ///   created and why.
    @discardableResult
    public func createTopics(_ topics: [KafkaTopicSpecification], timeout: Duration = .seconds(30)) async throws -> [String] {
        guard !topics.isEmpty else { return [] }
        for topic in topics where topic.partitions < 1 || topic.replicationFactor < 1 || topic.name.isEmpty {
            throw KafkaError(
                code: .invalidArgument,
                reason: "topic \"\(topic.name)\" with \(topic.partitions) partitions and replication factor \(topic.replicationFactor) is invalid; give a name and counts of at least 1"
            )
        }

        let results = try await KafkaBlocking.run { [client] in
            try client.createTopics(topics, timeoutMilliseconds: timeout.kafkaMilliseconds)
        }
        return try Self.check(results, names: topics.map(\.name), tolerated: "TOPIC_ALREADY_EXISTS", action: "creating")
    }

    /// Deletes topics; a topic that does not exist counts as success.
    public func deleteTopics(_ names: [String], timeout: Duration = .seconds(30)) async throws {
        guard !names.isEmpty else { return }
        let results = try await KafkaBlocking.run { [client] in
            try client.deleteTopics(names, timeoutMilliseconds: timeout.kafkaMilliseconds)
        }
        _ = try Self.check(results, names: names, tolerated: "UNKNOWN_TOPIC_OR_PART", action: "deleting")
    }

    /// Returns the partition count of every topic in the cluster, by name.
    public func topics(timeout: Duration = .seconds(10)) async throws -> [String: Int] {
        try await KafkaBlocking.run { [client] in
            try client.partitionCounts(topic: nil, timeoutMilliseconds: timeout.kafkaMilliseconds)
        }
    }

    /// Returns the partition count of `topic`, or nil when it does not exist.
    public func partitionCount(topic: String, timeout: Duration = .seconds(10)) async throws -> Int? {
        try await topics(timeout: timeout)[topic]
    }

    /// Returns the names that succeeded, throwing one error that lists every other failure.
    private static func check(_ results: RDKafkaClient.TopicResults, names: [String], tolerated: String, action: String) throws -> [String] {
        var succeeded: [String] = []
        var failures: [String] = []
        var firstFailure: KafkaError?
        for name in names {
            guard let outcome = results[name] else {
                failures.append("\(name): no result from the broker")
                continue
            }
            guard let failure = outcome else {
                succeeded.append(name)
                continue
            }
            let error = KafkaError.adminResult(failure, topic: name, action: action)
            if error.librdkafkaName == tolerated { continue }
            failures.append("\(name): \(failure.1)")
            firstFailure = firstFailure ?? error
        }
        guard failures.isEmpty else {
            throw KafkaError(
                code: .adminFailed,
                reason: "\(action) topics failed: \(failures.joined(separator: "; "))",
                librdkafkaCode: firstFailure?.librdkafkaCode,
                librdkafkaText: firstFailure?.librdkafkaText,
                isRetriable: firstFailure?.isRetriable ?? false
            )
        }
        return succeeded
    }
}
