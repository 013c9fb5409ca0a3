import Foundation
import Shared
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Every route of a running producer's HTTP interface called by every role, with a bearer token
/// and with a console session, without a token, with a wrong token and with a forged session:
/// 401 without a valid token or session, 403 for a role that may not, 403 for a session request
/// that changes state without its CSRF token, and the route's own status for a role that may.
/// Changes record the token's name as the actor.
@Suite(.serialized) struct PermissionMatrixTests {
    /// One endpoint call; `{id}` in the path and body is replaced by a job id of the caller.
    struct Endpoint: Sendable {
        var method: String
        var path: String
        var body: JSONValue?
        var permission: AccessPermission?
        /// Status when the role may make the request.
        var allowedStatus: Int
    }

    /// In the order they are called for each role: the job's delete and the session routes come
    /// last. `{run}` is unique to each test run, because the records store in the working
    /// directory outlives a run and a stop request makes its trigger known there.
    static let endpoints: [Endpoint] = [
        Endpoint(method: "GET", path: "/healthz", permission: nil, allowedStatus: 200),
        Endpoint(method: "GET", path: "/readyz", permission: nil, allowedStatus: 200),
        Endpoint(method: "GET", path: "/metrics", permission: .read, allowedStatus: 200),
        Endpoint(method: "GET", path: "/v1/jobs", permission: .read, allowedStatus: 200),
        Endpoint(method: "POST", path: "/v1/jobs", body: ["id": "{id}-new", "app": "demo", "schedule": ["every": "1h"], "inputs": ["topic": "matrix"]], permission: .editJobs, allowedStatus: 201),
        Endpoint(method: "POST", path: "/v1/jobs/preview", body: ["id": "{id}-preview", "app": "demo", "schedule": ["every": "1h"], "inputs": ["topic": "matrix"]], permission: .editJobs, allowedStatus: 200),
        Endpoint(method: "GET", path: "/v1/jobs/{id}", permission: .read, allowedStatus: 200),
        Endpoint(method: "PUT", path: "/v1/jobs/{id}", body: ["app": "demo", "schedule": ["every": "2h"], "inputs": ["topic": "matrix"]], permission: .editJobs, allowedStatus: 200),
        Endpoint(method: "GET", path: "/v1/jobs/{id}/next", permission: .read, allowedStatus: 200),
        Endpoint(method: "POST", path: "/v1/jobs/{id}/pause", body: ["note": "matrix"], permission: .pauseResume, allowedStatus: 202),
        Endpoint(method: "POST", path: "/v1/jobs/{id}/resume", permission: .pauseResume, allowedStatus: 202),
        Endpoint(method: "POST", path: "/v1/jobs/{id}/trigger", body: ["inputs": ["topic": "matrix"]], permission: .trigger, allowedStatus: 202),
        Endpoint(method: "POST", path: "/v1/jobs/{id}/backfill",
                 body: ["from": "2026-01-01T00:00:00Z", "to": "2026-01-01T02:00:00Z"], permission: .backfill, allowedStatus: 202),
        Endpoint(method: "POST", path: "/v1/jobs/{id}/cancel-queued", body: ["note": "matrix"], permission: .controlRuns, allowedStatus: 202),
        Endpoint(method: "GET", path: "/v1/runs/m-{id}-{run}/control", permission: .read, allowedStatus: 404),
        Endpoint(method: "POST", path: "/v1/runs/m-{id}-{run}/stop", body: ["app": "demo"], permission: .controlRuns, allowedStatus: 202),
        Endpoint(method: "POST", path: "/v1/runs/m-{id}-{run}/rerun", body: ["inputs": ["topic": "matrix"]], permission: .trigger, allowedStatus: 404),
        Endpoint(method: "POST", path: "/v1/settings", permission: .administer, allowedStatus: 404),
        Endpoint(method: "DELETE", path: "/v1/jobs/{id}", permission: .editJobs, allowedStatus: 200),
        Endpoint(method: "GET", path: "/v1/session", permission: .read, allowedStatus: 200),
        Endpoint(method: "GET", path: "/console/", permission: nil, allowedStatus: 200),
        // Signing out, or in again, ends a session caller's session, so these come last.
        Endpoint(method: "DELETE", path: "/v1/session", permission: .read, allowedStatus: 200),
        Endpoint(method: "POST", path: "/v1/session", body: ["token": .string(TestTokens.token(for: "alice"))], permission: nil, allowedStatus: 201),
    ]

    /// What each role may do, written out here rather than read from ``AccessRole``, so that a
    /// change of the role table fails this test.
    static let allowed: [AccessRole: Set<AccessPermission>] = [
        .admin: [.read, .editJobs, .pauseResume, .trigger, .backfill, .controlRuns, .administer],
        .developer: [.read, .editJobs, .pauseResume, .trigger, .backfill, .controlRuns],
        .operator: [.read, .pauseResume, .trigger, .controlRuns],
        .viewer: [.read],
    ]

    @Test func everyEndpointEveryRole() async throws {
        let cluster = try await SchedulerCluster.start(name: "permission-matrix")
        defer { cluster.stop() }
        let config = try cluster.writeConfig(workerSettings: "listen: 127.0.0.1:0")
        try await cluster.createTopics(config: config)
        let producer = try cluster.startProducer(config: config)
        let worker = try cluster.startWorker(config: config, id: "matrix-worker")
        let api = ControlClient(port: try await producer.controlPort())
        try await api.waitUntilReady()

        let client = SessionClient(port: api.port)

        // Each role calls with a bearer token, and again signed in to the console with the
        // session cookie and the CSRF header, as the console sends them.
        var callers: [(label: String, headers: [String: String], role: AccessRole?, session: SessionClient.Session?)] =
            AccessRole.allCases.map { ($0.rawValue, ["Authorization": "Bearer \(TestTokens.token(for: TestTokens.name(of: $0)))"], $0, nil) }
        for role in AccessRole.allCases {
            let session = try #require(try await client.signIn(token: TestTokens.token(for: TestTokens.name(of: role))).session)
            callers.append(("session \(role.rawValue)", session.headers(), role, session))
        }
        callers += [
            ("no token", [:], nil, nil), ("wrong token", ["Authorization": "Bearer not-a-configured-token-123456"], nil, nil),
            ("basic scheme", ["Authorization": "Basic YWRtaW46YWRtaW4="], nil, nil),
            ("forged session", ["Cookie": "dify_scheduler_session=\(String(repeating: "ab", count: 32))", "X-CSRF-Token": "x"], nil, nil),
        ]

        let runTag = UUID().uuidString.prefix(8).lowercased()
        var failures: [String] = []
        for caller in callers {
            let id = "matrix-\(caller.label.replacingOccurrences(of: " ", with: "-"))"
            let setup = try await api.send("POST", "/v1/jobs", body: ["id": .string(id), "app": "demo", "schedule": ["every": "1h"], "inputs": ["topic": "matrix"]], actor: "alice")
            #expect(setup.status == 201, "setting up \(id): \(setup.body)")

            for endpoint in Self.endpoints {
                let path = endpoint.path.replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: "{run}", with: runTag)
                let body = endpoint.body.map { Self.substitute($0, id: id) }
                let reply = try await client.send(endpoint.method, path, body: body, headers: caller.headers)
                let expected: Int
                if endpoint.permission == nil {
                    expected = endpoint.allowedStatus
                } else if let role = caller.role {
                    expected = Self.allowed[role]!.contains(endpoint.permission!) ? endpoint.allowedStatus : 403
                } else {
                    expected = 401
                }
                if reply.status != expected {
                    failures.append("\(caller.label) \(endpoint.method) \(path): expected \(expected), got \(reply.status) \(reply.body.compactText())")
                }
                if expected == 401 {
                    #expect(reply.body["error"]?["code"] == .string("unauthorized"))
                }
                if expected == 403 {
                    #expect(reply.body["error"]?["code"] == .string("forbidden"))
                }
                // With the cookie but without the CSRF token, or with a wrong one, no state changes.
                if let session = caller.session, endpoint.method != "GET", endpoint.path != "/v1/session" {
                    for headers in [session.headers(csrf: false), session.headers(csrf: false).merging(["X-CSRF-Token": String(repeating: "0", count: 64)]) { a, _ in a }] {
                        let refused = try await client.send(endpoint.method, path, body: body, headers: headers)
                        if refused.status != 403 || refused.body["error"]?["code"] != .string("csrf_failed") {
                            failures.append("\(caller.label) \(endpoint.method) \(path) without its CSRF token: expected 403 csrf_failed, got \(refused.status) \(refused.body.compactText())")
                        }
                    }
                }
            }
        }
        // A session ended by sign-out is refused.
        for caller in callers {
            guard let session = caller.session else { continue }
            #expect(try await client.send("GET", "/v1/jobs", headers: session.headers()).status == 401, "\(caller.label) after sign-out")
        }
        #expect(failures.isEmpty, "\(failures.count) wrong statuses:\n\(failures.joined(separator: "\n"))")

        // The token's name is the actor of each change, including those the job's owner applies.
        let developer = TestTokens.name(of: .developer)
        let events = try await cluster.events().filter { $0.jobID?.hasPrefix("matrix-developer") == true }
        for type in [EventType.jobCreated, .jobUpdated, .jobPaused, .jobResumed, .jobTriggered, .jobBackfilled, .runStopRequested, .jobDeleted] {
            _ = try await cluster.waitForEvent("\(type.rawValue) by \(developer)") { $0.type == type && $0.actor == developer }
        }
        #expect(!events.contains { $0.actor == "loopback" })
        // A change made in a console session names the token the session signed in with.
        _ = try await cluster.waitForEvent("job_created in a session by \(developer)") {
            $0.type == .jobCreated && $0.jobID == "matrix-session-developer-new" && $0.actor == developer
        }

        // The worker's /metrics needs a token of any role; its probes are open.
        let workerAPI = ControlClient(port: try await worker.controlPort())
        for role in AccessRole.allCases {
            let reply = try await workerAPI.send("GET", "/metrics", body: nil, authorization: "Bearer \(TestTokens.token(for: TestTokens.name(of: role)))")
            #expect(reply.status == 200, "worker /metrics as \(role.rawValue)")
        }
        #expect(try await workerAPI.send("GET", "/metrics", body: nil, authorization: nil).status == 401)
        #expect(try await workerAPI.send("GET", "/metrics", body: nil, authorization: "Bearer not-a-configured-token-123456").status == 401)
        #expect(try await workerAPI.send("GET", "/healthz", body: nil, authorization: nil).status == 200)
        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }

    private static func substitute(_ value: JSONValue, id: String) -> JSONValue {
        switch value {
        case .string(let text): .string(text.replacingOccurrences(of: "{id}", with: id))
        case .object(let members): .object(members.mapValues { substitute($0, id: id) })
        case .array(let items): .array(items.map { substitute($0, id: id) })
        default: value
        }
    }
}

extension ControlClient {
    /// Sends a request with `authorization` as the Authorization header, or none when nil.
    func send(_ method: String, _ path: String, body: JSONValue?, authorization: String?) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let authorization {
            request.setValue(authorization, forHTTPHeaderField: "Authorization")
        }
        if let body {
            request.httpBody = Data(body.compactText().utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let json = (try? JSONValue.parse(data)) ?? .string(String(decoding: data, as: UTF8.self))
        return Reply(status: status, body: json)
    }
}
