import Foundation
import Shared

/// The console's sign-in routes: `POST /v1/session` signs in with an API token, `GET
/// /v1/session` returns the caller's identity, and `DELETE /v1/session` signs out.
///
/// Signing in checks the token like a bearer token, starts a session in ``SessionStore`` and
/// sets the session cookie (see ``Authenticator/sessionCookie(id:maxAge:for:)``). The body
/// must be JSON, which a cross-site HTML form cannot send, so another site cannot sign a
/// browser in with its own token. Failed sign-ins count per client address in
/// ``SignInLimiter``; an address over the limit gets 429 with `Retry-After`.
struct SessionRoutes: Sendable {
    let authenticator: Authenticator
    let denials: AccessDenials
    let logger: Logger

    func register(into router: inout Router) {
        let routes = self
        router.post("/v1/session") { request, _ in try routes.signIn(request) }
        router.get("/v1/session") { request, _ in try routes.current(request) }
        router.delete("/v1/session") { request, _ in try routes.signOut(request) }
    }

    func signIn(_ request: HTTPRequest) throws -> HTTPResponse {
        let address = authenticator.clientAddress(request)
        if let wait = authenticator.signIns.retryAfter(address) {
            denials.record(request, address: address, status: 429, reason: "sign_in_limited", actor: nil)
            throw HTTPError(status: 429, code: "too_many_sign_ins",
                message: "too many failed sign-ins from \(address): try again in \(wait) s", headers: ["Retry-After": "\(wait)"])
        }
        guard request.header("Content-Type")?.lowercased().hasPrefix("application/json") == true else {
            throw HTTPError(status: 415, code: "unsupported_media_type", message: "send the token as JSON: Content-Type: application/json and {\"token\": \"…\"}")
        }
        guard case .object(let body) = try request.jsonBody(), case .string(let token)? = body["token"] else {
            throw HTTPError.badRequest("the body must be {\"token\": \"…\"}, the API token to sign in with", field: "token")
        }
        if let unknown = body.keys.sorted().first(where: { $0 != "token" }) {
            throw HTTPError.badRequest("unknown field \"\(unknown)\": a sign-in takes token", field: unknown)
        }
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let identity = authenticator.identity(token: trimmed) else {
            authenticator.signIns.recordFailure(address)
            denials.record(request, address: address, status: 401, reason: "sign_in_failed", actor: nil)
            throw HTTPError(status: 401, code: "unauthorized", message: "the API token is not valid: check it, or ask an admin for one")
        }
        if let previous = Authenticator.cookie(Authenticator.cookieName, in: request) {
            authenticator.sessions.remove(key: SessionStore.key(previous))
        }
        let (id, session): (String, SessionStore.Session)
        do {
            (id, session) = try authenticator.sessions.create(identity: identity, tokenHash: StableHash.sha256Hex(trimmed))
        } catch {
            logger.error("session not created", [LogKey.error: "\(error)"])
            throw HTTPError.internalError
        }
        logger.info("console signed in", ["actor": identity.actor, "role": identity.role.rawValue, "remote": address])
        var response = HTTPResponse.json(201, Self.json(session.identity, via: "session", session: session, idleTimeout: authenticator.sessions.idleTimeout))
        response.headers.append(("Set-Cookie", authenticator.sessionCookie(id: id, maxAge: authenticator.sessions.maxAge, for: request)))
        response.headers.append(("Cache-Control", "no-store"))
        return response
    }

    func current(_ request: HTTPRequest) throws -> HTTPResponse {
        let caller = try CallerIdentity.of(request)
        let session = caller.sessionKey.flatMap { authenticator.sessions.session(key: $0) }
        let via = session != nil ? "session" : caller.actor == CallerIdentity.loopbackActor && request.header("Authorization") == nil ? "open" : "token"
        var response = HTTPResponse.json(200, Self.json(caller, via: via, session: session, idleTimeout: authenticator.sessions.idleTimeout))
        response.headers.append(("Cache-Control", "no-store"))
        return response
    }

    func signOut(_ request: HTTPRequest) throws -> HTTPResponse {
        let caller = try CallerIdentity.of(request)
        var ended = false
        if let key = caller.sessionKey {
            ended = authenticator.sessions.remove(key: key)
            logger.info("console signed out", ["actor": caller.actor, "remote": authenticator.clientAddress(request)])
        }
        var response = HTTPResponse.json(200, ["signed_out": .bool(ended)])
        response.headers.append(("Set-Cookie", authenticator.clearingCookie(for: request)))
        response.headers.append(("Cache-Control", "no-store"))
        return response
    }

    /// The body of `GET /v1/session` and of a sign-in.
    static func json(_ caller: CallerIdentity, via: String, session: SessionStore.Session?, idleTimeout: TimeInterval) -> JSONValue {
        var members: [String: JSONValue] = [
            "actor": .string(caller.actor),
            "role": .string(caller.role.rawValue),
            "permissions": .array(AccessPermission.allCases.filter { caller.role.allows($0) }.map { .string($0.rawValue) }),
            "via": .string(via),
        ]
        if let session {
            members["csrf_token"] = .string(session.csrfToken)
            members["signed_in_at"] = .string(Timestamp.rfc3339(session.createdAt))
            members["expires_at"] = .string(Timestamp.rfc3339(session.expiresAt))
            members["idle_timeout_seconds"] = .int(Int64(idleTimeout))
        }
        return .object(members)
    }
}
