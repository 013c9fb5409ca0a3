import Foundation
import Shared

/// Maps bearer tokens to callers by comparing SHA-256 hashes with the `auth.tokens` of the
/// configuration.
///
/// A presented token is hashed and compared with every configured hash in constant time, so
/// neither the comparison nor the number of tokens checked depends on where the first differing
/// byte is. Without an `Authorization` header the caller is the `loopback` admin only when
/// `auth.open_on_loopback` is set and the listen address is a loopback address.
///
/// The console can sign in with the same tokens: its login route calls ``identity(token:)``
/// and keeps the caller in a session (see docs/security.md).
struct Authenticator: Sendable {
    private struct Entry: Sendable {
        var hash: [UInt8]
        var identity: CallerIdentity
    }

    private let entries: [Entry]
    /// True when requests without a token are served as the `loopback` admin.
    let isOpen: Bool

    init(settings: AuthSettings, listenHost: String) {
        entries = settings.tokens.map { token in
            Entry(hash: Self.bytes(hex: token.sha256), identity: CallerIdentity(actor: token.name, role: token.role))
        }
        isOpen = settings.openOnLoopback && AuthSettings.isLoopback(host: listenHost)
    }

    /// Returns the caller of `request`, or nil when the request carries no credentials and the
    /// API is not open.
    ///
    /// - Throws: ``HTTPError`` 401 for an `Authorization` header that is not a bearer token or
    ///   whose token matches no configured hash.
    func authenticate(_ request: HTTPRequest) throws -> CallerIdentity? {
        guard let header = request.header("Authorization") else {
            return isOpen ? CallerIdentity(actor: CallerIdentity.loopbackActor, role: .admin) : nil
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw AccessGate.unauthorized("the Authorization header must be \"Bearer TOKEN\"")
        }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        guard let identity = identity(token: token) else {
            throw AccessGate.unauthorized("the API token is not valid: check it, or ask an admin for one")
        }
        return identity
    }

    /// Returns the caller a token belongs to, or nil when no configured hash matches.
    func identity(token: String) -> CallerIdentity? {
        guard !token.isEmpty, token.utf8.count <= 4096 else { return nil }
        let hash = StableHash.sha256(token)
        var found: CallerIdentity?
        for entry in entries where Self.constantTimeEqual(entry.hash, hash) {
            found = entry.identity
        }
        return found
    }

    /// Compares two byte arrays in time that depends only on their lengths.
    static func constantTimeEqual(_ first: [UInt8], _ second: [UInt8]) -> Bool {
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
            UInt8(Self.nibble(digits[index]) << 4 | Self.nibble(digits[index + 1]))
        }
    }

    private static func nibble(_ digit: UInt8) -> UInt8 {
        digit <= 57 ? digit - 48 : digit - 87
    }
}
