/// A message header: a name and an optional byte value, as Kafka stores it.
public struct KafkaHeader: Sendable, Hashable {
    public var name: String
    /// The value bytes; nil is a header without a value, which Kafka keeps apart from an empty one.
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    /// Creates a header whose value is the UTF-8 bytes of `value`.
    public init(name: String, value: String) {
        self.name = name
        self.value = Array(value.utf8)
    }

    /// The value decoded as UTF-8, or nil when it is absent or not valid UTF-8.
    public var stringValue: String? {
        value.flatMap { String(validating: $0, as: UTF8.self) }
    }
}
