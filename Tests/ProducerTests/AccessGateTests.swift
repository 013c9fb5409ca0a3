import Foundation
import Shared
import Testing

@testable import Producer

/// The access gate in process: which permission each route needs, bearer parsing, constant-time
/// hash comparison, and the open-on-loopback caller.
@Suite struct AccessGateTests {
    let settings = AuthSettings(tokens: [
        AuthToken(name: "ci", role: .developer, sha256: StableHash.sha256Hex("developer-token-123")),
        AuthToken(name: "grafana", role: .viewer, sha256: StableHash.sha256Hex("viewer-token-12345")),
    ])

    func gate(open: Bool = false, host: String = "127.0.0.1") -> AccessGate {
        var settings = settings
        settings.openOnLoopback = open
        return AccessGate(authenticator: Authenticator(settings: settings, listenHost: host), logger: Logger(label: "test"))
    }

    func request(_ method: String, _ path: String, authorization: String? = nil) -> HTTPRequest {
        HTTPRequest(method: method, path: path, headers: authorization.map { ["authorization": $0] } ?? [:])
    }

    @Test(arguments: [
        ("GET", "/healthz", nil), ("HEAD", "/healthz", nil), ("GET", "/readyz", nil),
        ("GET", "/metrics", AccessPermission.read), ("GET", "/v1/jobs", .read), ("GET", "/v1/jobs/a/next", .read),
        ("POST", "/v1/jobs", .editJobs), ("PUT", "/v1/jobs/a", .editJobs), ("DELETE", "/v1/jobs/a/", .editJobs),
        ("POST", "/v1/jobs/preview", .editJobs),
        ("POST", "/v1/jobs/a/pause", .pauseResume), ("POST", "/v1/jobs/a/resume", .pauseResume),
        ("POST", "/v1/jobs/a/trigger", .trigger), ("POST", "/v1/jobs/a/backfill", .backfill),
        ("POST", "/v1/jobs/a/cancel-queued", .controlRuns), ("POST", "/v1/runs/t-1/stop", .controlRuns),
        ("POST", "/v1/runs/t-1/rerun", .trigger), ("GET", "/v1/runs/t-1/control", .read),
        ("POST", "/v1/settings", .administer), ("PATCH", "/v1/jobs/a", .administer), ("POST", "/healthz", .administer),
        ("GET", "/console/runs", nil), ("GET", "/console/app.js", nil), ("POST", "/console", .administer),
        ("POST", "/v1/session", nil), ("GET", "/v1/session", .read), ("DELETE", "/v1/session", .read), ("GET", "/consoles", .read), ("POST", "/v1/jobs//trigger", .administer),
    ] as [(String, String, AccessPermission?)])
    func routePermission(method: String, path: String, permission: AccessPermission?) {
        #expect(AccessGate.permission(method: method, path: path) == permission)
    }

    @Test func bearerTokens() throws {
        let gate = gate()
        #expect(try gate.check(request("POST", "/v1/jobs", authorization: "Bearer developer-token-123")).get() == CallerIdentity(actor: "ci", role: .developer))
        #expect(try gate.check(request("POST", "/v1/jobs", authorization: "bearer  developer-token-123 ")).get()?.actor == "ci")
        for header in [nil, "Bearer", "Bearer ", "Bearer wrong", "Basic ZGV2ZWxvcGVyLXRva2VuLTEyMw==", "developer-token-123"] {
            guard case .failure(let error) = gate.check(request("GET", "/v1/jobs", authorization: header)) else {
                Issue.record("\(header ?? "no header") was accepted")
                continue
            }
            #expect(error.status == 401)
            #expect(error.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
        }
        guard case .failure(let forbidden) = gate.check(request("POST", "/v1/jobs/a/trigger", authorization: "Bearer viewer-token-12345")) else {
            Issue.record("a viewer triggered a job")
            return
        }
        #expect(forbidden.status == 403)
        #expect(forbidden.message.contains("admin or developer or operator"))
    }

    @Test func openOnLoopbackOnlyOnLoopback() throws {
        #expect(try gate(open: true).check(request("DELETE", "/v1/jobs/a")).get() == CallerIdentity(actor: "loopback", role: .admin))
        // A token sent to an open API is still checked.
        #expect(try gate(open: true).check(request("GET", "/v1/jobs", authorization: "Bearer viewer-token-12345")).get()?.actor == "grafana")
        guard case .failure(let bad) = gate(open: true).check(request("GET", "/v1/jobs", authorization: "Bearer wrong")) else {
            Issue.record("a wrong token was accepted")
            return
        }
        #expect(bad.status == 401)
        guard case .failure(let closed) = gate(open: true, host: "0.0.0.0").check(request("GET", "/v1/jobs")) else {
            Issue.record("open_on_loopback was honoured on 0.0.0.0")
            return
        }
        #expect(closed.status == 401)
    }

    @Test func constantTimeEqual() {
        #expect(TokenTable.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!TokenTable.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!TokenTable.constantTimeEqual([1, 2, 3], [1, 2]))
    }

    @Test func handlersSeeTheCaller() async throws {
        var router = Router(logger: Logger(label: "test"))
        router.post("/v1/jobs/{id}/trigger") { request, _ in
            .json(202, ["actor": .string(try CallerIdentity.of(request).actor)])
        }
        let handler = gate().guarding(router.handler)
        let response = await handler(request("POST", "/v1/jobs/a/trigger", authorization: "Bearer developer-token-123"))
        #expect(response.status == 202)
        #expect(String(decoding: response.bodyBytes ?? [], as: UTF8.self).contains("\"ci\""))
    }
}
