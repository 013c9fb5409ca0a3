import Shared

/// The caller of the producer's HTTP interface: the token's name and role, and the console
/// session when the caller signed in.
///
/// ``AccessGate`` determines it once per request, before any route runs, and binds it to the
/// request's task; handlers read it with ``of(_:)``. The name is the actor written in every
/// `job_*` event, trigger and control request the call causes.
struct CallerIdentity: Sendable, Hashable {
    /// Actor of requests served without a token on an API open on loopback.
    static let loopbackActor = "loopback"

    var actor: String
    var role: AccessRole
    /// For a caller signed in through the console: the key of its session in ``SessionStore``.
    var sessionKey: [UInt8]?
    /// For a caller signed in through the console: the CSRF token its state-changing requests carry.
    var csrfToken: String?

    init(actor: String, role: AccessRole, sessionKey: [UInt8]? = nil, csrfToken: String? = nil) {
        self.actor = actor
        self.role = role
        self.sessionKey = sessionKey
        self.csrfToken = csrfToken
    }

    /// The caller bound by ``AccessGate`` to the task serving the request.
    @TaskLocal static var current: CallerIdentity?

    /// Returns the caller of the request being served.
    ///
    /// - Throws: ``HTTPError`` 401 when no caller is bound, which happens only when a route is
    ///   served without ``AccessGate`` in front of it or is public; such a route cannot change state.
    static func of(_ request: HTTPRequest) throws -> CallerIdentity {
        guard let current else {
            throw AccessGate.unauthorized("this request needs an API token: send Authorization: Bearer TOKEN")
        }
        return current
    }
}
