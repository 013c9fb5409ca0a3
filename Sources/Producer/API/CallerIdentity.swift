import Shared

/// Who is calling the producer's HTTP interface: the token's name and role.
///
/// ``AccessGate`` determines it once per request, before any route runs, and binds it to the
/// request's task; handlers read it with ``of(_:)``. The name is the actor written in every
/// `job_*` event, trigger and control request the call causes.
struct CallerIdentity: Sendable, Hashable {
    /// Actor of requests served without a token on an API open on loopback.
    static let loopbackActor = "loopback"

    var actor: String
    var role: AccessRole

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
