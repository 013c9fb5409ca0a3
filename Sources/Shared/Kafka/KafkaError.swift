/// An error from the Kafka client: a failed librdkafka call, an invalid setting or a closed
/// client.
///
/// `code` is the kind of operation that failed. When librdkafka reported the failure,
/// `librdkafkaCode` and `librdkafkaText` carry its `rd_kafka_resp_err_t` and the text of
/// `rd_kafka_err2str`. `isRetriable` means the same call may succeed later without any
/// change, for example after a broker restarted or a leader moved. `isFatal` means the client
/// instance can no longer be used and must be closed and created again.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// The kind of operation that failed; new kinds can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String

        public init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        public var description: String { rawValue }

        /// A setting was rejected by librdkafka or conflicts with what this client requires.
        public static let invalidConfiguration = Code("invalid_configuration")
        /// The loaded librdkafka is older than this client supports.
        public static let unsupportedLibraryVersion = Code("unsupported_library_version")
        /// librdkafka could not create a client instance.
        public static let clientCreationFailed = Code("client_creation_failed")
        /// A message could not be enqueued or was not delivered.
        public static let deliveryFailed = Code("delivery_failed")
        /// Flushing the producer did not finish before its timeout.
        public static let flushTimedOut = Code("flush_timed_out")
        /// A consumer poll returned an error.
        public static let consumeFailed = Code("consume_failed")
        /// Subscribing, assigning, pausing or resuming partitions failed.
        public static let assignmentFailed = Code("assignment_failed")
        /// Storing or committing offsets failed.
        public static let commitFailed = Code("commit_failed")
        /// A metadata, watermark or committed-offset query failed.
        public static let queryFailed = Code("query_failed")
        /// Creating or deleting a topic failed.
        public static let adminFailed = Code("admin_failed")
        /// An operation did not finish before its deadline.
        public static let timedOut = Code("timed_out")
        /// An argument was outside what Kafka accepts.
        public static let invalidArgument = Code("invalid_argument")
        /// The client was closed before or while the operation ran.
        public static let closed = Code("closed")
    }

    public let code: Code
    /// A sentence naming what failed, on which value, and what to do next.
    public let reason: String
    /// librdkafka's `rd_kafka_resp_err_t` value, when librdkafka reported the failure.
    public let librdkafkaCode: Int32?
    /// The text of `rd_kafka_err2str` for `librdkafkaCode`.
    public let librdkafkaText: String?
    public let isRetriable: Bool
    public let isFatal: Bool

    public init(
        code: Code,
        reason: String,
        librdkafkaCode: Int32? = nil,
        librdkafkaText: String? = nil,
        isRetriable: Bool = false,
        isFatal: Bool = false
    ) {
        self.code = code
        self.reason = reason
        self.librdkafkaCode = librdkafkaCode
        self.librdkafkaText = librdkafkaText
        self.isRetriable = isRetriable
        self.isFatal = isFatal
    }

    public var description: String {
        var text = "Kafka error [\(code)]: \(reason)"
        if let librdkafkaCode, let librdkafkaText {
            text += " (librdkafka \(librdkafkaCode): \(librdkafkaText))"
        }
        return text
    }

    static func closed(_ operation: String) -> KafkaError {
        KafkaError(code: .closed, reason: "cannot \(operation): the Kafka client is closed; create a new one")
    }
}
