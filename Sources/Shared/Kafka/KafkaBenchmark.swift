import Dispatch
import Foundation

/// Measurements of the Kafka client for benchmark commands: raw produce rate, produce-to-
/// consume round-trip latency and partition-reader rate.
///
/// Each function writes to the topic it is given, which should be empty and used by nothing
/// else; the topic must exist (see ``KafkaAdmin/createTopics(_:timeout:)``).
public enum KafkaBenchmark {
    /// The outcome of ``produceRate(configuration:topic:messages:messageSize:concurrency:)``.
    public struct ProduceRate: Sendable, CustomStringConvertible {
        public var messages: Int
        public var messageSize: Int
        public var elapsed: Duration
        public var messagesPerSecond: Double { Double(messages) / elapsed.seconds }

        public var description: String {
            "\(messages) messages of \(messageSize) bytes in \(elapsed.formattedMilliseconds): \(Int(messagesPerSecond)) messages/s"
        }
    }

    /// Sends `messages` values of `messageSize` bytes with `concurrency` sends in flight and
    /// measures the time from the first send to the last delivery report.
    public static func produceRate(
        configuration: KafkaConfiguration,
        topic: String,
        messages: Int = 100_000,
        messageSize: Int = 100,
        concurrency: Int = 1000,
        logger: Logger = Logger(label: "kafka.benchmark")
    ) async throws -> ProduceRate {
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: messageSize)
        let senders = max(1, min(concurrency, messages))
        let clock = ContinuousClock()

        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<senders {
                group.addTask {
                    // Sender s sends messages s, s + senders, s + 2 * senders, ...
                    for index in stride(from: sender, to: messages, by: senders) {
                        _ = try await producer.send(topic: topic, key: "key-\(index % 1024)", value: value)
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = clock.now - start

        try await producer.close()
        return ProduceRate(messages: messages, messageSize: messageSize, elapsed: elapsed)
    }

    /// The outcome of ``roundTrip(configuration:topic:messages:interval:)``, in milliseconds.
    public struct RoundTrip: Sendable, CustomStringConvertible {
        /// Latency from the send call to the message leaving the consumer's iterator, sorted.
        public var latenciesMilliseconds: [Double]

        public func percentile(_ fraction: Double) -> Double {
            guard !latenciesMilliseconds.isEmpty else { return 0 }
            let index = min(latenciesMilliseconds.count - 1, Int((Double(latenciesMilliseconds.count) * fraction).rounded(.up)) - 1)
            return latenciesMilliseconds[max(index, 0)]
        }

        public var description: String {
            let format = { (value: Double) in String(format: "%.2f", value) }
            return "\(latenciesMilliseconds.count) messages: p50 \(format(percentile(0.5))) ms, p95 \(format(percentile(0.95))) ms, p99 \(format(percentile(0.99))) ms, max \(format(latenciesMilliseconds.last ?? 0)) ms"
        }
    }

    /// Sends `messages` messages, one every `interval`, and measures how long each takes to reach
    /// a group consumer of the same process.
    ///
    /// The consumer joins a fresh group and waits for its assignment before the first send, so
    /// the group join is not counted. Set `linger.ms` in the settings to trade throughput for
    /// latency.
    public static func roundTrip(
        configuration: KafkaConfiguration,
        topic: String,
        messages: Int = 1000,
        interval: Duration = .milliseconds(2),
        logger: Logger = Logger(label: "kafka.benchmark")
    ) async throws -> RoundTrip {
        let sentHeader = "benchmark-sent-ns"
        let consumer = try KafkaConsumer(
            configuration: configuration,
            groupID: "kafka-benchmark-\(DispatchTime.now().uptimeNanoseconds)",
            logger: logger
        )
        try consumer.subscribe(topics: [topic])
        let stream = consumer.messages()

        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        let deadline = ContinuousClock.now + .seconds(60)
        while try consumer.assignment().isEmpty {
            guard ContinuousClock.now < deadline else {
                throw KafkaError(code: .timedOut, reason: "the benchmark consumer got no partitions of \(topic) within 60 s; check that the topic exists")
            }
            try await Task.sleep(for: .milliseconds(20))
        }

        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            group.addTask {
                var latencies: [Double] = []
                latencies.reserveCapacity(messages)
                for try await message in stream {
                    guard let sent = message.header(sentHeader)?.stringValue.flatMap(UInt64.init) else { continue }
                    latencies.append(Double(DispatchTime.now().uptimeNanoseconds - sent) / 1_000_000)
                    if latencies.count == messages { break }
                }
                return latencies
            }
            group.addTask {
                try await withThrowingTaskGroup(of: Void.self) { sends in
                    for index in 0..<messages {
                        let sent = String(DispatchTime.now().uptimeNanoseconds)
                        sends.addTask {
                            _ = try await producer.send(
                                topic: topic,
                                key: "key-\(index % 64)",
                                value: Array("round-trip \(index)".utf8),
                                headers: [KafkaHeader(name: sentHeader, value: sent)]
                            )
                        }
                        try await Task.sleep(for: interval)
                    }
                    try await sends.waitForAll()
                }
                return []
            }
            var collected: [Double] = []
            for try await part in group {
                collected += part
            }
            return collected
        }

        try await producer.close()
        try await consumer.close()
        return RoundTrip(latenciesMilliseconds: latencies.sorted())
    }

    /// The outcome of ``readRate(configuration:topic:)``.
    public struct ReadRate: Sendable, CustomStringConvertible {
        public var messages: Int
        public var elapsed: Duration
        public var messagesPerSecond: Double { Double(messages) / elapsed.seconds }

        public var description: String {
            "\(messages) messages read to the end in \(elapsed.formattedMilliseconds): \(Int(messagesPerSecond)) messages/s"
        }
    }

    /// Reads every partition of `topic` to its end with ``KafkaPartitionReader`` and measures it.
    public static func readRate(configuration: KafkaConfiguration, topic: String, logger: Logger = Logger(label: "kafka.benchmark")) async throws -> ReadRate {
        let reader = KafkaPartitionReader(configuration: configuration, logger: logger)
        let clock = ContinuousClock()
        let start = clock.now
        let count = try await reader.readAll(topic: topic).count
        return ReadRate(messages: count, elapsed: clock.now - start)
    }
}

extension Duration {
    var formattedMilliseconds: String {
        "\(Int((seconds * 1000).rounded())) ms"
    }
}
