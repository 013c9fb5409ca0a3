import Foundation

/// Signs trigger messages and checks their signatures: the `dify.signature` header
/// contains the hex HMAC-SHA256 of the exact value bytes under the key shared by producers and workers.
///
/// A valid signature shows the message was written by a producer or worker of this
/// deployment, not by another system with write access to the trigger topic.
public struct TriggerSigner: Sendable {
    /// Name of the Kafka header holding the signature.
    public static let headerName = "dify.signature"

    /// Outcome of checking a message's signature.
    public enum Verdict: Sendable, Hashable {
        case valid
        /// The message has no `dify.signature` header.
        case missing
        /// The header is there but does not match the value.
        case mismatch
    }

    private let key: Data

    public init(key: [UInt8]) {
        self.key = Data(key)
    }

    /// Lower-case hex HMAC-SHA256 of `value` under the key.
    public func signature(for value: [UInt8]) -> String {
        StableHash.hmacSHA256(key: key, message: Data(value)).map { String(format: "%02x", $0) }.joined()
    }

    /// Returns the `dify.signature` header for `value`.
    public func header(for value: [UInt8]) -> KafkaHeader {
        KafkaHeader(name: Self.headerName, value: signature(for: value))
    }

    /// Checks the `dify.signature` header of `headers` against `value`, comparing in constant time.
    public func verify(value: [UInt8], headers: [KafkaHeader]) -> Verdict {
        guard let header = headers.first(where: { $0.name == Self.headerName }), let given = header.value else {
            return .missing
        }
        let expected = Array(signature(for: value).utf8)
        return Self.constantTimeEquals(expected, given) ? .valid : .mismatch
    }

    /// Returns whether `a` and `b` contain the same bytes, in time that depends only on their
    /// lengths, so a sender cannot learn a signature byte by byte from timing.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices {
            difference |= a[index] ^ b[index]
        }
        return difference == 0
    }
}
