import Foundation
import Shared

/// Checks every request before the router sees it: authenticates the caller and decides, from
/// the method and path, which ``AccessPermission`` the request needs.
///
/// `GET /healthz` and `GET /readyz` are public so that probes work without a token. Every other
/// route, including `/metrics`, the query API and the console, needs a caller. A route listed in
/// ``rules`` needs that permission; any other `GET` or `HEAD` needs `read`, and any other method
/// needs `administer`, so a new state-changing route is admin-only until it is listed here.
/// Answers 401 with `WWW-Authenticate: Bearer` for a missing or invalid token and 403 for a
/// role that lacks the permission.
struct AccessGate: Sendable {
    struct Rule: Sendable {
        var method: String
        var segments: [Substring]
        var permission: AccessPermission?
    }

    /// Routes that need something other than the default: nil permission means public.
    static let rules: [Rule] = [
        rule("GET", "/healthz", nil),
        rule("GET", "/readyz", nil),
        rule("POST", "/v1/jobs", .editJobs),
        rule("POST", "/v1/jobs/preview", .editJobs),
        rule("PUT", "/v1/jobs/{id}", .editJobs),
        rule("DELETE", "/v1/jobs/{id}", .editJobs),
        rule("POST", "/v1/jobs/{id}/pause", .pauseResume),
        rule("POST", "/v1/jobs/{id}/resume", .pauseResume),
        rule("POST", "/v1/jobs/{id}/trigger", .trigger),
        rule("POST", "/v1/jobs/{id}/backfill", .backfill),
    ]

    let authenticator: Authenticator
    let logger: Logger

    /// Returns the permission `method` on `path` needs, or nil for a public route.
    static func permission(method: String, path: String) -> AccessPermission? {
        let effective = method == "HEAD" ? "GET" : method
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
        guard let permission = Self.permission(method: request.method.uppercased(), path: request.path) else {
            return .success(nil)
        }
        let identity: CallerIdentity
        do {
            guard let found = try authenticator.authenticate(request) else {
                deny(request, status: 401, actor: nil)
                return .failure(Self.unauthorized("this request needs an API token: send Authorization: Bearer TOKEN"))
            }
            identity = found
        } catch let error as HTTPError {
            deny(request, status: 401, actor: nil)
            return .failure(error)
        } catch {
            return .failure(.internalError)
        }
        guard identity.role.allows(permission) else {
            deny(request, status: 403, actor: identity.actor)
            let roles = AccessRole.holding(permission).map(\.rawValue).joined(separator: " or ")
            return .failure(HTTPError(status: 403, code: "forbidden",
                message: "role \(identity.role.rawValue) of \"\(identity.actor)\" may not \(request.method) \(request.path): it needs \(roles)"))
        }
        return .success(identity)
    }

    static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(status: 401, code: "unauthorized", message: message, headers: ["WWW-Authenticate": "Bearer realm=\"dify-scheduler\""])
    }

    // TODO: count denials in a metric and rate-limit this log line per remote address.
    private func deny(_ request: HTTPRequest, status: Int, actor: String?) {
        logger.info("request denied", [
            LogKey.method: request.method, LogKey.path: request.path, LogKey.httpStatus: "\(status)",
            "remote": request.remoteAddress, "actor": actor ?? "-",
        ])
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
