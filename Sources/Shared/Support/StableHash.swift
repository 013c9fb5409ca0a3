import CCrypto
import Foundation

/// Hashes that are the same in every process and on every machine, for ids and jitter.
///
/// Swift's `Hasher` is seeded per process, so it must never decide a trigger id.
public enum StableHash {
    /// SHA-256 of `data` (OpenSSL's libcrypto).
    public static func sha256(_ data: Data) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        data.withUnsafeBytes { buffer in
            _ = digest.withUnsafeMutableBufferPointer { output in
                SHA256(buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count, output.baseAddress)
            }
        }
        return digest
    }

    public static func sha256(_ text: String) -> [UInt8] {
        sha256(Data(text.utf8))
    }

    public static func sha256Hex(_ text: String) -> String {
        hex(sha256(text))
    }

    /// HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256(key: Data, message: Data) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        key.withUnsafeBytes { keyBuffer in
            message.withUnsafeBytes { messageBuffer in
                _ = HMAC(
                    EVP_sha256(),
                    keyBuffer.baseAddress, Int32(keyBuffer.count),
                    messageBuffer.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBuffer.count,
                    &digest, &length
                )
            }
        }
        return Array(digest.prefix(Int(length)))
    }

    /// 64-bit FNV-1a of `text`: cheap and stable, for spreading values such as jitter offsets.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output = [UInt8]()
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
