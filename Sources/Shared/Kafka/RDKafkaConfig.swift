import CRdKafka

/// Owns an `rd_kafka_conf_t` until `rd_kafka_new` takes it.
final class RDKafkaConfig {
    private(set) var pointer: OpaquePointer?

    /// Creates a configuration and sets each property in order.
    ///
    /// - Throws: ``KafkaError`` with code `invalidConfiguration` naming the first key that
    ///   librdkafka rejects, with librdkafka's explanation.
    init(properties: [(String, String)]) throws {
        pointer = rd_kafka_conf_new()
        for (key, value) in properties {
            try set(key, value)
        }
    }

    func set(_ key: String, _ value: String) throws {
        var message = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(pointer, key, value, &message, message.count)
        guard result != RD_KAFKA_CONF_OK else { return }

        let detail = errorText(message)
        let fix = result == RD_KAFKA_CONF_UNKNOWN
            ? "check the spelling against librdkafka's CONFIGURATION.md"
            : "use a value that librdkafka accepts for \(key)"
        throw KafkaError(
            code: .invalidConfiguration,
            reason: "invalid Kafka setting \(key)=\(KafkaConfiguration.redactedValue(key: key, value: value)): \(detail); \(fix)"
        )
    }

    /// Hands the configuration to `rd_kafka_new`, which frees it on success.
    func release() -> OpaquePointer? {
        defer { pointer = nil }
        return pointer
    }

    deinit {
        if let pointer {
            rd_kafka_conf_destroy(pointer)
        }
    }

}

/// Reads the NUL-terminated text librdkafka wrote into an error buffer.
func errorText(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
