import Foundation

/// Publishes the project's messages to their topics, each keyed as the topic table says:
/// triggers by app, results, events and alerts by job id, run state by trigger id.
///
/// Every call returns once the broker acknowledged the message, so callers can store a
/// consumer offset only after what they owe is written.
public struct TopicPublisher: Sendable {
    public let producer: KafkaProducer
    public let topics: TopicNames
    /// Signs every trigger and cancel message; nil when `kafka.trigger_signing` is not set.
    public let signer: TriggerSigner?

    public init(producer: KafkaProducer, topics: TopicNames, signer: TriggerSigner? = nil) {
        self.producer = producer
        self.topics = topics
        self.signer = signer
    }

    /// Writes a trigger or cancel message, with its `dify.signature` header when a signer is set.
    @discardableResult
    public func publish(trigger: Trigger) async throws -> KafkaDeliveryReport {
        let value = Array(MessageCodec.encode(trigger))
        let headers = signer.map { [$0.header(for: value)] } ?? []
        return try await producer.send(topic: topics.triggers, key: trigger.app, value: value, headers: headers)
    }

    @discardableResult
    public func publish(result: RunResult) async throws -> KafkaDeliveryReport {
        try await producer.send(topic: topics.results, key: result.jobID ?? result.triggerID, value: MessageCodec.encodeBytes(result))
    }

    @discardableResult
    public func publish(event: ScheduleEvent) async throws -> KafkaDeliveryReport {
        try await producer.send(topic: topics.events, key: event.jobID ?? event.triggerID ?? event.id, value: MessageCodec.encodeBytes(event))
    }

    @discardableResult
    public func publish(alert: Alert) async throws -> KafkaDeliveryReport {
        try await producer.send(topic: topics.alerts, key: alert.jobID ?? alert.app ?? alert.id, value: Array(MessageCodec.encode(alert)))
    }

    /// Writes run state to the `runs` topic on `partition`, the partition number of the trigger,
    /// so the worker that owns that trigger partition finds it when it rebuilds.
    @discardableResult
    public func publish(runState: RunState, partition: Int) async throws -> KafkaDeliveryReport {
        try await producer.send(
            topic: topics.runs, key: runState.triggerID, value: MessageCodec.encodeBytes(runState), partition: partition)
    }

    /// Largest value the dead-letter topic receives whole: below librdkafka's default
    /// `message.max.bytes` (1,000,000), so a dead letter is never itself too large to publish.
    public static let maxDeadLetterValueBytes = 900_000
    /// Bytes kept of a larger value, enough to see what sent it.
    public static let truncatedDeadLetterValueBytes = 64 * 1024

    /// Sends a rejected message to the dead-letter topic with its original key and headers,
    /// plus headers saying why (`dlq.reason`, and `dlq.code` when given) and where it came from.
    ///
    /// A value above ``maxDeadLetterValueBytes`` keeps only its first
    /// ``truncatedDeadLetterValueBytes`` bytes, with `dlq.truncated` giving the original size:
    /// a whole oversize message would be rejected by the broker on every retry.
    @discardableResult
    public func publishDeadLetter(_ message: KafkaMessage, reason: String, code: String? = nil, workerID: String) async throws -> KafkaDeliveryReport {
        var headers = message.headers
        headers.append(KafkaHeader(name: "dlq.reason", value: reason))
        if let code { headers.append(KafkaHeader(name: "dlq.code", value: code)) }
        headers.append(KafkaHeader(name: "dlq.source", value: "\(message.topic)[\(message.partition)]@\(message.offset)"))
        headers.append(KafkaHeader(name: "dlq.worker", value: workerID))
        headers.append(KafkaHeader(name: "dlq.time", value: Timestamp.rfc3339(Date(), fractionalDigits: 3)))
        var value = message.value
        if let whole = value, whole.count > Self.maxDeadLetterValueBytes {
            value = Array(whole.prefix(Self.truncatedDeadLetterValueBytes))
            headers.append(KafkaHeader(name: "dlq.truncated", value: "\(whole.count) bytes, first \(Self.truncatedDeadLetterValueBytes) kept"))
        }
        return try await producer.send(topic: topics.deadLetter, key: message.key, value: value, headers: headers)
    }
}
