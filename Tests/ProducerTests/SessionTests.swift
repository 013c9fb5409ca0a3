import Foundation
import Shared
import Testing

@testable import Producer

/// Console sign-in in process: the session routes and a state-changing route behind the access
/// gate, called the way a browser calls them, with the cookie and the CSRF header.
@Suite struct SessionTests {
    static let developerToken = "developer-token-123"
    static let viewerToken = "viewer-token-12345"

    static func settings(tokens: [(String, AccessRole, String)] = [("ci", .developer, developerToken), ("grafana", .viewer, viewerToken)]) -> AuthSettings {
        var settings = AuthSettings(tokens: tokens.map { AuthToken(name: $0.0, role: $0.1, sha256: StableHash.sha256Hex($0.2)) })
        settings.trustedProxies = ["10.0.0.5"]
        settings.sessions.maxFailedSignIns = 3
        settings.sessions.maxCount = 3
        return settings
    }

    /// The session routes and `POST /v1/jobs/{id}/trigger` behind a gate, as the producer wires them.
    struct Server {
        let authenticator: Authenticator
        let handler: @Sendable (HTTPRequest) async -> HTTPResponse

        init(settings: AuthSettings = SessionTests.settings(), publicURL: String? = nil) {
            authenticator = Authenticator(settings: settings, listenHost: "0.0.0.0", publicURL: publicURL)
            let logger = Logger(label: "test")
            let denials = AccessDenials(registry: MetricsRegistry(), logger: logger)
            var router = Router(logger: logger)
            SessionRoutes(authenticator: authenticator, denials: denials, logger: logger).register(into: &router)
            router.post("/v1/jobs/{id}/trigger") { request, _ in
                .json(202, ["actor": .string(try CallerIdentity.of(request).actor)])
            }
            handler = AccessGate(authenticator: authenticator, logger: logger, denials: denials).guarding(router.handler)
        }

        func send(_ method: String, _ path: String, headers: [String: String] = [:], body: String = "", from address: String = "192.0.2.7:50000") async -> HTTPResponse {
            var lowered: [String: String] = [:]
            for (name, value) in headers { lowered[name.lowercased()] = value }
            return await handler(HTTPRequest(method: method, path: path, headers: lowered, body: Data(body.utf8), remoteAddress: address))
        }

        /// Signs in with `token`; returns the response, the cookie value and the CSRF token.
        func signIn(_ token: String, headers: [String: String] = [:], from address: String = "192.0.2.7:50000") async -> (HTTPResponse, String?, String?) {
            let response = await send("POST", "/v1/session", headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a },
                body: #"{"token": "\#(token)"}"#, from: address)
            let cookie = response.header("Set-Cookie")?.split(separator: ";").first.map { String($0.split(separator: "=", maxSplits: 1).last ?? "") }
            let csrf = SessionTests.json(response)["csrf_token"]?.stringValue
            return (response, cookie, csrf)
        }
    }

    static func json(_ response: HTTPResponse) -> JSONValue {
        guard case .bytes(let bytes) = response.body else { return .null }
        return (try? JSONValue.parse(Data(bytes))) ?? .null
    }

    static func cookieHeader(_ id: String) -> [String: String] { ["Cookie": "theme=dark; \(Authenticator.cookieName)=\(id)"] }

    @Test func signInSetsStrictHttpOnlyCookie() async throws {
        let server = Server()
        let (response, cookie, csrf) = await server.signIn(Self.developerToken)
        #expect(response.status == 201)
        let header = try #require(response.header("Set-Cookie"))
        #expect(header.hasPrefix("\(Authenticator.cookieName)="))
        #expect(header.contains("; HttpOnly"))
        #expect(header.contains("; SameSite=Strict"))
        #expect(header.contains("; Path=/"))
        #expect(!header.contains("Secure"), "plain HTTP without a trusted proxy: \(header)")
        #expect(cookie?.count == 64)
        #expect(csrf?.count == 64)
        #expect(cookie != csrf)
        let body = Self.json(response)
        #expect(body["actor"] == "ci")
        #expect(body["role"] == "developer")
        #expect(body["via"] == "session")
        // The cookie alone reads; GET /v1/session returns the same CSRF token.
        let whoami = await server.send("GET", "/v1/session", headers: Self.cookieHeader(cookie!))
        #expect(whoami.status == 200)
        #expect(Self.json(whoami)["csrf_token"]?.stringValue == csrf)
        #expect(Self.json(whoami)["permissions"] == ["read", "edit_jobs", "pause_resume", "trigger", "control_runs", "backfill"])
    }

    @Test func secureBehindTLS() async throws {
        let https = Server(publicURL: "https://scheduler.example.com")
        #expect(await https.signIn(Self.developerToken).0.header("Set-Cookie")?.hasSuffix("; Secure") == true)

        let proxied = Server()
        let forwarded = ["X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9"]
        #expect(await proxied.signIn(Self.developerToken, headers: forwarded, from: "10.0.0.5:4431").0.header("Set-Cookie")?.hasSuffix("; Secure") == true)
        // The same header from an address that is not a trusted proxy is ignored.
        #expect(await proxied.signIn(Self.developerToken, headers: forwarded, from: "192.0.2.8:4431").0.header("Set-Cookie")?.contains("Secure") == false)
    }

    @Test func stateChangeWithCookieNeedsCSRFToken() async throws {
        let server = Server()
        let (_, cookie, csrf) = await server.signIn(Self.developerToken)
        let id = try #require(cookie)

        let missing = await server.send("POST", "/v1/jobs/a/trigger", headers: Self.cookieHeader(id))
        #expect(missing.status == 403)
        #expect(Self.json(missing)["error"]?["code"] == "csrf_failed")
        let wrong = await server.send("POST", "/v1/jobs/a/trigger", headers: Self.cookieHeader(id).merging(["X-CSRF-Token": String(repeating: "0", count: 64)]) { a, _ in a })
        #expect(wrong.status == 403)
        let allowed = await server.send("POST", "/v1/jobs/a/trigger", headers: Self.cookieHeader(id).merging(["X-CSRF-Token": csrf!]) { a, _ in a })
        #expect(allowed.status == 202)
        #expect(Self.json(allowed)["actor"] == "ci")
        // A bearer token needs no CSRF token.
        #expect(await server.send("POST", "/v1/jobs/a/trigger", headers: ["Authorization": "Bearer \(Self.developerToken)"]).status == 202)
        // The role still applies to a session.
        let (_, viewerCookie, viewerCSRF) = await server.signIn(Self.viewerToken)
        let forbidden = await server.send("POST", "/v1/jobs/a/trigger", headers: Self.cookieHeader(viewerCookie!).merging(["X-CSRF-Token": viewerCSRF!]) { a, _ in a })
        #expect(forbidden.status == 403)
        #expect(Self.json(forbidden)["error"]?["code"] == "forbidden")
    }

    @Test func forgedExpiredAndSignedOutSessionsGet401() async throws {
        var settings = Self.settings()
        settings.sessions.idleTimeout = "1s"
        let server = Server(settings: settings)
        let forged = await server.send("GET", "/v1/session", headers: Self.cookieHeader(try SecureRandom.hex(32)))
        #expect(forged.status == 401)
        #expect(forged.header("Set-Cookie")?.contains("Max-Age=0") == true)

        let (_, cookie, csrf) = await server.signIn(Self.developerToken)
        let id = try #require(cookie)
        let signOut = await server.send("DELETE", "/v1/session", headers: Self.cookieHeader(id).merging(["X-CSRF-Token": csrf!]) { a, _ in a })
        #expect(signOut.status == 200)
        #expect(Self.json(signOut)["signed_out"] == true)
        #expect(signOut.header("Set-Cookie")?.contains("Max-Age=0") == true)
        #expect(await server.send("GET", "/v1/session", headers: Self.cookieHeader(id)).status == 401)

        let (_, idle, _) = await server.signIn(Self.developerToken)
        #expect(server.authenticator.sessions.session(id: idle!, now: Date().addingTimeInterval(2)) == nil)
        #expect(await server.send("GET", "/v1/session", headers: Self.cookieHeader(idle!)).status == 401)
    }

    @Test func storeKeepsAtMostMaxCount() async throws {
        let server = Server()
        var cookies: [String] = []
        for _ in 0..<5 {
            cookies.append(try #require(await server.signIn(Self.viewerToken).1))
        }
        #expect(server.authenticator.sessions.count == 3)
        #expect(await server.send("GET", "/v1/session", headers: Self.cookieHeader(cookies[0])).status == 401)
        #expect(await server.send("GET", "/v1/session", headers: Self.cookieHeader(cookies[4])).status == 200)
    }

    @Test func failedSignInsAreLimitedPerAddress() async throws {
        let server = Server()
        for _ in 0..<3 {
            #expect(await server.signIn("not-a-token-1234567").0.status == 401)
        }
        let limited = await server.signIn(Self.developerToken).0
        #expect(limited.status == 429)
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 > 0)
        // Another address may still sign in.
        #expect(await server.signIn(Self.developerToken, from: "192.0.2.99:1").0.status == 201)
        // A form post (not JSON) is refused before the token is looked at.
        let form = await server.send("POST", "/v1/session", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: "token=x", from: "192.0.2.50:1")
        #expect(form.status == 415)
    }

    @Test func reloadEndsSessionsOfRemovedTokens() async throws {
        let server = Server()
        let developer = try #require(await server.signIn(Self.developerToken).1)
        let viewer = try #require(await server.signIn(Self.viewerToken).1)
        // ci is removed, grafana becomes an operator.
        let ended = server.authenticator.reload(settings: Self.settings(tokens: [("grafana", .operator, Self.viewerToken)]), publicURL: nil)
        #expect(ended == 1)
        #expect(await server.send("GET", "/v1/session", headers: Self.cookieHeader(developer)).status == 401)
        #expect(await server.send("POST", "/v1/jobs/a/trigger", headers: ["Authorization": "Bearer \(Self.developerToken)"]).status == 401)
        let whoami = await server.send("GET", "/v1/session", headers: Self.cookieHeader(viewer))
        #expect(Self.json(whoami)["role"] == "operator")
    }
}

/// Denied requests: counted by reason, logged once per address per interval.
@Suite struct AccessDenialsTests {
    @Test func countsEveryDenialAndLogsOncePerInterval() {
        let registry = MetricsRegistry()
        let denials = AccessDenials(registry: registry, logger: Logger(label: "test"))
        let request = HTTPRequest(method: "GET", path: "/v1/jobs", remoteAddress: "192.0.2.1:1")
        let start = Date()
        for offset in 0..<5 {
            denials.record(request, address: "192.0.2.1", status: 401, reason: "invalid_token", actor: nil, now: start.addingTimeInterval(Double(offset)))
        }
        denials.record(request, address: "192.0.2.1", status: 403, reason: "forbidden", actor: "grafana", now: start.addingTimeInterval(11))
        let text = registry.render()
        #expect(text.contains("dify_producer_requests_denied_total{reason=\"invalid_token\"} 5"))
        #expect(text.contains("dify_producer_requests_denied_total{reason=\"forbidden\"} 1"))
        #expect(denials.loggedLines == 2)
    }
}

extension SessionTests {
    @Test func reloadTrimsToNewMaxCount() async throws {
        let server = Server()
        var cookies: [String] = []
        for _ in 0..<3 {
            cookies.append(try #require(await server.signIn(Self.viewerToken).1))
        }
        // The last session is the one used most recently.
        #expect(server.authenticator.sessions.session(id: cookies[2], now: Date().addingTimeInterval(1)) != nil)
        var settings = Self.settings()
        settings.sessions.maxCount = 1
        #expect(server.authenticator.reload(settings: settings, publicURL: nil) == 2)
        #expect(server.authenticator.sessions.count == 1)
        #expect(await server.send("GET", "/v1/session", headers: Self.cookieHeader(cookies[2])).status == 200)
    }
}
