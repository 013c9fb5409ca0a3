import Foundation
import Shared

/// Checks every request before the router sees it: authenticates the caller and decides, from
/// the method and path, which ``AccessPermission`` the request needs.
///
/// `GET /healthz` and `GET /readyz` are public so that probes work without a token, and so are
/// the console's static files under `/console/` and the sign-in route `POST /v1/session`. Every
/// other route, including `/metrics` and the query API the console reads, needs a caller. A route listed in
/// ``rules`` needs that permission; any other `GET` or `HEAD` needs `read`, and any other method
/// needs `administer`, so a new state-changing route is admin-only until it is listed here.
/// Returns 401 with `WWW-Authenticate: Bearer` for a missing or invalid token or an ended
/// console session, and 403 for a role that lacks the permission. A state-changing request
/// authenticated by the console's session cookie must also carry the session's CSRF token in
/// `X-CSRF-Token`, else it gets 403; a request with a bearer token needs none, since a browser
/// never adds one by itself. Every denial is counted and logged by ``AccessDenials``.
struct AccessGate: Sendable {
    /// A denied request: the error to return and the reason counted in the metric.
    struct Denial: Error, Sendable {
        var reason: String
        var error: HTTPError
    }

    struct Rule: Sendable {
        var method: String
        var segments: [Substring]
        var permission: AccessPermission?
    }

    /// Routes that need something other than the default: nil permission means public.
    static let rules: [Rule] = [
        rule("GET", "/healthz", nil),
        rule("GET", "/readyz", nil),
        rule("POST", "/v1/session", nil),
        rule("DELETE", "/v1/session", .read),
        rule("POST", "/v1/jobs", .editJobs),
        rule("POST", "/v1/jobs/preview", .editJobs),
        rule("PUT", "/v1/jobs/{id}", .editJobs),
        rule("DELETE", "/v1/jobs/{id}", .editJobs),
        rule("POST", "/v1/jobs/{id}/pause", .pauseResume),
        rule("POST", "/v1/jobs/{id}/resume", .pauseResume),
        rule("POST", "/v1/jobs/{id}/trigger", .trigger),
        rule("POST", "/v1/jobs/{id}/backfill", .backfill),
        rule("POST", "/v1/jobs/{id}/cancel-queued", .controlRuns),
        rule("POST", "/v1/runs/{trigger_id}/stop", .controlRuns),
        rule("POST", "/v1/runs/{trigger_id}/rerun", .trigger),
    ]

    let authenticator: Authenticator
    let denials: AccessDenials

    init(authenticator: Authenticator, logger: Logger, denials: AccessDenials? = nil) {
        self.authenticator = authenticator
        self.denials = denials ?? AccessDenials(logger: logger)
    }

    /// Returns the permission `method` on `path` needs, or nil for a public route.
    static func permission(method: String, path: String) -> AccessPermission? {
        let effective = method == "HEAD" ? "GET" : method
        // The console's page, scripts and styles hold no data: they must load before sign-in.
        if effective == "GET", path == "/" || path == "/console" || path.hasPrefix("/console/") {
            return nil
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for rule in rules where rule.method == effective && matches(rule.segments, Array(segments)) {
            return rule.permission
        }
        return effective == "GET" ? .read : .administer
    }

    /// Wraps `next` so that it only runs for callers allowed to make the request.
    func guarding(_ next: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) -> @Sendable (HTTPRequest) async -> HTTPResponse {
        let gate = self
        return { request in
            switch gate.check(request) {
            case .failure(let error):
                return error.response
            case .success(let identity):
                return await CallerIdentity.$current.withValue(identity) { await next(request) }
            }
        }
    }

    /// Returns the caller to bind (nil for a public route), or the error to answer.
    func check(_ request: HTTPRequest) -> Result<CallerIdentity?, HTTPError> {
        let method = request.method.uppercased()
        guard let permission = Self.permission(method: method, path: request.path) else {
            return .success(nil)
        }
        let identity: CallerIdentity
        do {
            guard let found = try authenticator.authenticate(request) else {
                return .failure(deny(request, Denial(reason: "no_credentials", error: Self.unauthorized(
                    "this request needs an API token: send Authorization: Bearer TOKEN, or sign in to the console"))))
            }
            identity = found
        } catch let denial as Denial {
            return .failure(deny(request, denial))
        } catch {
            return .failure(.internalError)
        }
        if let expected = identity.csrfToken, !["GET", "HEAD", "OPTIONS"].contains(method) {
            guard let sent = request.header("X-CSRF-Token"), !sent.isEmpty else {
                return .failure(deny(request, Denial(reason: "csrf_missing", error: Self.csrfError(
                    "this request comes with a console session and needs its CSRF token in the X-CSRF-Token header (GET /v1/session returns it)"))))
            }
            guard TokenTable.constantTimeEqual(Array(sent.utf8), Array(expected.utf8)) else {
                return .failure(deny(request, Denial(reason: "csrf_mismatch", error: Self.csrfError(
                    "the X-CSRF-Token header does not match this console session: reload the console to get the current token"))))
            }
        }
        guard identity.role.allows(permission) else {
            let roles = AccessRole.holding(permission).map(\.rawValue).joined(separator: " or ")
            return .failure(deny(request, Denial(reason: "forbidden", error: HTTPError(status: 403, code: "forbidden",
                message: "role \(identity.role.rawValue) of \"\(identity.actor)\" may not \(request.method) \(request.path): it needs \(roles)")),
                actor: identity.actor))
        }
        return .success(identity)
    }

    static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(status: 401, code: "unauthorized", message: message, headers: ["WWW-Authenticate": "Bearer realm=\"dify-scheduler\""])
    }

    static func csrfError(_ message: String) -> HTTPError {
        HTTPError(status: 403, code: "csrf_failed", message: message)
    }

    private func deny(_ request: HTTPRequest, _ denial: Denial, actor: String? = nil) -> HTTPError {
        denials.record(request, address: authenticator.clientAddress(request), status: denial.error.status, reason: denial.reason, actor: actor)
        return denial.error
    }

    private static func rule(_ method: String, _ pattern: String, _ permission: AccessPermission?) -> Rule {
        Rule(method: method, segments: Array(pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst()), permission: permission)
    }

    private static func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
        var path = path
        if path.count > 1, path.last == "" { path.removeLast() }
        guard pattern.count == path.count else { return false }
        for (expected, actual) in zip(pattern, path) {
            if expected.hasPrefix("{") {
                guard !actual.isEmpty else { return false }
            } else if expected != actual {
                return false
            }
        }
        return true
    }
}
