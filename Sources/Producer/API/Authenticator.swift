import Foundation
import Shared
import Synchronization

/// Maps a request to its caller: a bearer token through the `auth.tokens` of the configuration
/// (``TokenTable`` compares hashes in constant time), or the console's session cookie through
/// ``SessionStore``.
///
/// Without credentials the caller is the `loopback` admin only when `auth.open_on_loopback` is
/// set and the listen address is a loopback address. ``reload(settings:publicURL:)`` swaps the
/// tokens in place after SIGHUP and ends the sessions of removed tokens; requests being served
/// keep the caller they were authenticated as.
final class Authenticator: Sendable {
    /// Name of the console's session cookie.
    static let cookieName = "dify_scheduler_session"

    let sessions: SessionStore
    let signIns: SignInLimiter

    private struct State {
        var table: TokenTable
        var isOpen: Bool
        var trustedProxies: Set<String>
        var publicURLIsHTTPS: Bool
    }

    private let listenHost: String
    private let state: Mutex<State>

    init(settings: AuthSettings, listenHost: String, publicURL: String? = nil) {
        self.listenHost = listenHost
        state = Mutex(Self.state(settings, listenHost: listenHost, publicURL: publicURL))
        sessions = SessionStore(settings: settings.sessions)
        signIns = SignInLimiter(settings: settings.sessions)
    }

    /// True when requests without credentials are served as the `loopback` admin.
    var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Replaces the tokens and session settings with those of a reloaded configuration; returns
    /// how many sessions ended because their token was removed (or renamed).
    @discardableResult
    func reload(settings: AuthSettings, publicURL: String?) -> Int {
        let next = Self.state(settings, listenHost: listenHost, publicURL: publicURL)
        state.withLock { $0 = next }
        signIns.update(settings: settings.sessions)
        return sessions.retain(tokens: settings.tokens, settings: settings.sessions)
    }

    /// Returns the caller of `request`, or nil when the request carries no credentials and the
    /// API is not open.
    ///
    /// - Throws: ``AccessGate/Denial`` with a 401 for an `Authorization` header that is not a
    ///   bearer token or whose token matches no configured hash. A session cookie of no live
    ///   session also gets a 401 that clears the cookie, unless the API is open, which ignores it.
    func authenticate(_ request: HTTPRequest) throws -> CallerIdentity? {
        if let header = request.header("Authorization") {
            guard let token = TokenTable.bearerToken(authorization: header) else {
                throw AccessGate.Denial(reason: "bad_scheme", error: AccessGate.unauthorized("the Authorization header must be \"Bearer TOKEN\""))
            }
            guard let identity = identity(token: token) else {
                throw AccessGate.Denial(reason: "invalid_token", error: AccessGate.unauthorized("the API token is not valid: check it, or ask an admin for one"))
            }
            return identity
        }
        if let id = Self.cookie(Self.cookieName, in: request) {
            if let session = sessions.session(id: id) { return session.identity }
            if !isOpen {
                var error = AccessGate.unauthorized("the console session has ended (signed out, expired, or the producer restarted): sign in again")
                error.headers["Set-Cookie"] = clearingCookie(for: request)
                throw AccessGate.Denial(reason: "session_ended", error: error)
            }
        }
        return isOpen ? CallerIdentity(actor: CallerIdentity.loopbackActor, role: .admin) : nil
    }

    /// Returns the caller a token belongs to, or nil when no configured hash matches.
    func identity(token: String) -> CallerIdentity? {
        state.withLock { $0.table }.match(token).map { CallerIdentity(actor: $0.name, role: $0.role) }
    }

    // MARK: - Client and cookies

    /// Returns the client's address without port: the socket's peer, or for a request from a
    /// trusted proxy the last address that proxy added to `X-Forwarded-For`.
    func clientAddress(_ request: HTTPRequest) -> String {
        let peer = Self.host(ofRemoteAddress: request.remoteAddress)
        guard state.withLock({ $0.trustedProxies.contains(peer) }),
            let forwarded = request.header("X-Forwarded-For")?.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
            !forwarded.isEmpty
        else { return peer }
        return forwarded
    }

    /// Returns true when the browser reached the producer over TLS: `producer.public_url` is
    /// `https`, or a trusted proxy sent `X-Forwarded-Proto: https`.
    func isSecure(_ request: HTTPRequest) -> Bool {
        let (https, trusted) = state.withLock { ($0.publicURLIsHTTPS, $0.trustedProxies.contains(Self.host(ofRemoteAddress: request.remoteAddress))) }
        if https { return true }
        guard trusted, let proto = request.header("X-Forwarded-Proto")?.split(separator: ",").last else { return false }
        return proto.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }

    /// Returns the `Set-Cookie` value that starts a session: HttpOnly, SameSite=Strict, Path=/,
    /// Secure behind TLS, and Max-Age the session's maximum age.
    func sessionCookie(id: String, maxAge: TimeInterval, for request: HTTPRequest) -> String {
        "\(Self.cookieName)=\(id); Path=/; Max-Age=\(Int(maxAge)); HttpOnly; SameSite=Strict" + (isSecure(request) ? "; Secure" : "")
    }

    /// Returns the `Set-Cookie` value that removes the session cookie from the browser.
    func clearingCookie(for request: HTTPRequest) -> String {
        "\(Self.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (isSecure(request) ? "; Secure" : "")
    }

    /// Returns the value of cookie `name` from the `Cookie` header, or nil.
    static func cookie(_ name: String, in request: HTTPRequest) -> String? {
        guard let header = request.header("Cookie") else { return nil }
        for pair in header.split(whereSeparator: { $0 == ";" || $0 == "," }) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    /// Returns the host part of `host:port` or `[v6]:port`.
    static func host(ofRemoteAddress address: String) -> String {
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<end])
        }
        if address.filter({ $0 == ":" }).count == 1, let colon = address.lastIndex(of: ":") {
            return String(address[..<colon])
        }
        return address
    }

    private static func state(_ settings: AuthSettings, listenHost: String, publicURL: String?) -> State {
        State(
            table: TokenTable(settings.tokens),
            isOpen: settings.openOnLoopback && AuthSettings.isLoopback(host: listenHost),
            trustedProxies: Set(settings.trustedProxies),
            publicURLIsHTTPS: publicURL?.lowercased().hasPrefix("https://") ?? false)
    }
}
