import Shared

/// Reads messages from `consumer` until `count` arrived, failing after `timeout`.
public func collectMessages(
    from consumer: KafkaConsumer,
    count: Int,
    timeout: Duration = .seconds(20)
) async throws -> [KafkaMessage] {
    try await withDeadline(timeout, activity: "waiting for \(count) messages") {
        var messages: [KafkaMessage] = []
        guard count > 0 else { return messages }
        for try await message in consumer.messages() {
            messages.append(message)
            if messages.count == count { break }
        }
        return messages
    }
}

/// Reads `count` messages from `consumer`, failing after `timeout`: ``collectMessages(from:count:timeout:)``
/// with the longer default the integration tests use against a whole cluster.
public func collect(from consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(30)) async throws -> [KafkaMessage] {
    try await collectMessages(from: consumer, count: count, timeout: timeout)
}

/// Returns the UTF-8 bytes of `text`, for message keys and values.
public func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
