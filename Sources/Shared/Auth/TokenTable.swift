import Foundation

/// The configured API tokens, matched by the SHA-256 of a presented token.
///
/// A presented token is hashed and compared with every configured hash in constant time, so
/// neither the comparison nor the number of hashes checked depends on where the first
/// differing byte is.
public struct TokenTable: Sendable {
    private let entries: [(hash: [UInt8], token: AuthToken)]

    public init(_ tokens: [AuthToken]) {
        entries = tokens.map { (Self.bytes(hex: $0.sha256), $0) }
    }

    /// Returns the configured token whose hash is the SHA-256 of `token`, or nil.
    public func match(_ token: String) -> AuthToken? {
        guard !token.isEmpty, token.utf8.count <= 4096 else { return nil }
        let hash = StableHash.sha256(token)
        var found: AuthToken?
        for entry in entries where Self.constantTimeEqual(entry.hash, hash) {
            found = entry.token
        }
        return found
    }

    /// Returns the token of an `Authorization: Bearer TOKEN` header value, or nil for any other
    /// scheme or an empty token.
    public static func bearerToken(authorization header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// Compares two byte arrays in time that depends only on their lengths.
    public static func constantTimeEqual(_ first: [UInt8], _ second: [UInt8]) -> Bool {
        guard first.count == second.count else { return false }
        var difference: UInt8 = 0
        for index in first.indices {
            difference |= first[index] ^ second[index]
        }
        return difference == 0
    }

    private static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count - 1, by: 2).map { index in
            nibble(digits[index]) << 4 | nibble(digits[index + 1])
        }
    }

    private static func nibble(_ digit: UInt8) -> UInt8 {
        digit <= 57 ? digit - 48 : digit - 87
    }
}
