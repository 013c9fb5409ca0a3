import Foundation
import Shared

/// Maps bearer tokens to callers through the `auth.tokens` of the configuration
/// (``TokenTable`` compares hashes in constant time).
///
/// Without an `Authorization` header the caller is the `loopback` admin only when
/// `auth.open_on_loopback` is set and the listen address is a loopback address.
///
/// The console can sign in with the same tokens: its login route calls ``identity(token:)``
/// and keeps the caller in a session (see docs/security.md).
struct Authenticator: Sendable {
    private let table: TokenTable
    /// True when requests without a token are served as the `loopback` admin.
    let isOpen: Bool

    init(settings: AuthSettings, listenHost: String) {
        table = TokenTable(settings.tokens)
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
        guard let token = TokenTable.bearerToken(authorization: header) else {
            throw AccessGate.unauthorized("the Authorization header must be \"Bearer TOKEN\"")
        }
        guard let identity = identity(token: token) else {
            throw AccessGate.unauthorized("the API token is not valid: check it, or ask an admin for one")
        }
        return identity
    }

    /// Returns the caller a token belongs to, or nil when no configured hash matches.
    func identity(token: String) -> CallerIdentity? {
        table.match(token).map { CallerIdentity(actor: $0.name, role: $0.role) }
    }
}
