import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The `auth` section: the API tokens of the producer's HTTP interface, and whether it is open
/// without a token on a loopback address.
///
/// Tokens are stored as SHA-256 hashes (`dify-producer hash-token` prints one), never in clear.
/// Decoding checks each entry, so a bad hash, role or duplicate name is reported with its line.
///
/// ```yaml
/// auth:
///   open_on_loopback: false
///   tokens:
///     - name: ci-deploy
///       role: developer
///       sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
/// ```
public struct AuthSettings: Decodable, Sendable, Hashable {
    public var tokens: [AuthToken] = []
    /// Serve every request without a token when `producer.listen` is a loopback address; a
    /// configuration that sets it with another listen address is rejected.
    public var openOnLoopback: Bool = false
    /// Console sign-in sessions: lifetimes, count and the failed sign-in limit.
    public var sessions: SessionSettings = SessionSettings()
    /// Addresses of reverse proxies whose `X-Forwarded-Proto` and `X-Forwarded-For` the
    /// producer trusts: the session cookie gets `Secure` when such a proxy sends `https`, and
    /// failed sign-ins count against the client address it forwards.
    public var trustedProxies: [String] = []

    public init(tokens: [AuthToken] = [], openOnLoopback: Bool = false) {
        self.tokens = tokens
        self.openOnLoopback = openOnLoopback
    }

    enum CodingKeys: String, CodingKey {
        case tokens, sessions
        case openOnLoopback = "open_on_loopback"
        case trustedProxies = "trusted_proxies"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        openOnLoopback = try container.decodeIfPresent(Bool.self, forKey: .openOnLoopback) ?? false
        tokens = try decoder.collecting([]) { try container.decodeIfPresent([AuthToken].self, forKey: .tokens) ?? [] }
        sessions = try decoder.collecting(SessionSettings()) { try container.decodeIfPresent(SessionSettings.self, forKey: .sessions) ?? SessionSettings() }
        trustedProxies = try decoder.collecting([]) { try container.decodeIfPresent([String].self, forKey: .trustedProxies) ?? [] }
        for (index, proxy) in trustedProxies.enumerated() where !Self.isAddress(proxy) {
            let path: [CodingKey] = container.codingPath + [CodingKeys.trustedProxies, AuthIndexKey(index)]
            try decoder.report(DecodingError.dataCorrupted(DecodingError.Context(codingPath: path,
                debugDescription: "\"\(proxy)\" is not an IP address: list each proxy's address, such as 10.0.0.5 or ::1, without a port")))
        }

        var names: [String: Int] = [:]
        var hashes: [String: Int] = [:]
        for (index, token) in tokens.enumerated() {
            if let first = names[token.name] {
                try decoder.report(Self.invalid(container, index, "name", "duplicate token name \"\(token.name)\": also tokens[\(first)]; give each token its own name"))
            }
            if let first = hashes[token.sha256] {
                try decoder.report(Self.invalid(container, index, "sha256", "the same hash as tokens[\(first)]: generate a new token for \"\(token.name)\""))
            }
            names[token.name] = index
            hashes[token.sha256] = index
        }
    }

    private static func invalid(_ container: KeyedDecodingContainer<CodingKeys>, _ index: Int, _ field: String, _ message: String) -> DecodingError {
        let path: [CodingKey] = container.codingPath + [CodingKeys.tokens, AuthIndexKey(index), AuthIndexKey(field)]
        return DecodingError.dataCorrupted(DecodingError.Context(codingPath: path, debugDescription: message))
    }

    /// True when `text` is an IPv4 or IPv6 address (no host names, ports or ranges).
    public static func isAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// True when `host` (from `producer.listen`) only accepts connections from this machine.
    public static func isLoopback(host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// One API token: a name written as the actor of every change made with it, a role, and the
/// SHA-256 of the token in lower-case hex.
public struct AuthToken: Decodable, Sendable, Hashable {
    public var name: String
    public var role: AccessRole
    public var sha256: String

    public init(name: String, role: AccessRole, sha256: String) {
        self.name = name
        self.role = role
        self.sha256 = sha256
    }

    enum CodingKeys: String, CodingKey {
        case name, role, sha256
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Every field is checked, so one run lists all of an entry's problems.
        name = try decoder.collecting("") { try container.decode(String.self, forKey: .name) }
        if !Self.isValidName(name) {
            try decoder.report(DecodingError.dataCorruptedError(forKey: .name, in: container,
                debugDescription: "invalid token name \"\(MessageText.clipped(name))\": use 1-64 ASCII letters, digits, '.', '_', '-' or '@'"))
        }
        let roleText = try decoder.collecting("") { try container.decode(String.self, forKey: .role) }
        if let role = AccessRole(rawValue: roleText) {
            self.role = role
        } else {
            try decoder.report(DecodingError.dataCorruptedError(forKey: .role, in: container,
                debugDescription: "unknown role \"\(MessageText.clipped(roleText))\": use admin, developer, operator or viewer"))
            self.role = .viewer
        }
        let hash = try decoder.collecting("") { try container.decode(String.self, forKey: .sha256).lowercased() }
        if !(hash.utf8.count == 64 && hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })) {
            try decoder.report(DecodingError.dataCorruptedError(forKey: .sha256, in: container,
                debugDescription: "not a SHA-256 hash: write the 64 hex digits that `dify-producer hash-token` prints, never the token itself"))
        }
        sha256 = hash
    }

    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || [46, 95, 45, 64].contains(byte)
        }
    }
}

/// A coding key built from an index or a field name, for errors about one token entry.
struct AuthIndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(_ index: Int) {
        stringValue = "\(index)"
        intValue = index
    }

    init(_ name: String) {
        stringValue = name
        intValue = nil
    }

    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(intValue) }
}
