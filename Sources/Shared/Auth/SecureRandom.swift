import CCrypto

/// Random bytes from OpenSSL's CSPRNG (`RAND_bytes`), for session ids and CSRF tokens.
public enum SecureRandom {
    /// An error from `RAND_bytes`, which OpenSSL documents as failing when the generator is not seeded.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The return value of `RAND_bytes`.
        public var code: Int32
        public var description: String {
            "RAND_bytes returned \(code): the system random source is not available; check /dev/urandom"
        }
    }

    /// Returns `count` random bytes.
    ///
    /// - Throws: ``Failure`` when the generator is not seeded.
    public static func bytes(_ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let status = buffer.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard status == 1 else { throw Failure(code: status) }
        return buffer
    }

    /// Returns `count` random bytes as lower-case hex (twice as many characters).
    public static func hex(_ count: Int) throws -> String {
        StableHash.hex(try bytes(count))
    }
}
