import Foundation
import Shared
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP on a running producer: a changed token file takes effect without a restart, and the
/// sessions of a removed token end. A changed calendar moves the next fires of its jobs, and
/// an invalid file is rejected with the old one kept.
@Suite(.serialized) struct ProducerReloadTests {
    @Test func sighupSwapsTokensAndKeepsOldOnError() async throws {
        let cluster = try await SchedulerCluster.start(name: "producer-reload")
        defer { cluster.stop() }
        let config = try cluster.writeConfig()
        try await cluster.createTopics(config: config)
        // The tokens live in their own file, merged after the main one, as a secret store would mount them.
        let viewer = TestTokens.name(of: .viewer)
        let rotated = "rotated-operator-token-7f3a9c"
        let tokens = cluster.directory.appendingPathComponent("tokens.yaml").path
        try Self.tokenFile([(viewer, "viewer", TestTokens.token(for: viewer))], extra: Self.calendar(holidays: [])).write(toFile: tokens, atomically: true, encoding: .utf8)
        let producer = try ManagedProcess(
            binary: "dify-producer", arguments: ["run", "--config", config, "--config", tokens], environment: cluster.environment,
            logName: "producer-reload")
        defer { producer.kill9() }
        let client = SessionClient(port: try await producer.controlPort())

        let viewerBearer = ["Authorization": "Bearer \(TestTokens.token(for: viewer))"]
        let rotatedBearer = ["Authorization": "Bearer \(rotated)"]
        #expect(try await client.send("GET", "/v1/jobs", headers: viewerBearer).status == 200)
        #expect(try await client.send("GET", "/v1/jobs", headers: rotatedBearer).status == 401)
        let session = try #require(try await client.signIn(token: TestTokens.token(for: viewer)).session)
        #expect(try await client.send("GET", "/v1/session", headers: session.headers()).status == 200)

        let before = try await Self.nextFires(client, headers: viewerBearer)
        #expect(before.count == 3)

        // The viewer token is removed, a new operator token added, and the first fire's day becomes a holiday.
        let holiday = String(try #require(before.first).prefix(10))
        try Self.tokenFile([("rotated", "operator", rotated)], extra: Self.calendar(holidays: [holiday])).write(toFile: tokens, atomically: true, encoding: .utf8)
        producer.signal(SIGHUP)
        try await producer.waitForLog("API tokens reloaded", timeout: .seconds(20))
        #expect(producer.log.contains("sessions_ended=1"))
        #expect(try await client.send("GET", "/v1/jobs", headers: viewerBearer).status == 401)
        #expect(try await client.send("GET", "/v1/session", headers: session.headers()).status == 401)
        let whoami = try await client.send("GET", "/v1/session", headers: rotatedBearer)
        #expect(whoami.status == 200)
        #expect(whoami.body["actor"] == "rotated")
        #expect(whoami.body["role"] == "operator")
        try await producer.waitForLog("calendars reloaded")
        let after = try await Self.nextFires(client, headers: rotatedBearer)
        #expect(after.first == before[1], "next fires after the reload: \(after)")
        #expect(!after.contains { $0.hasPrefix(holiday) })

        // A bad file is rejected: the tokens in force stay.
        try "auth:\n  tokens:\n    - {name: broken, role: superuser, sha256: 00}\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        producer.signal(SIGHUP)
        try await producer.waitForLog("configuration reload rejected", timeout: .seconds(20))
        #expect(producer.log.contains("unknown role"))
        #expect(try await client.send("GET", "/v1/jobs", headers: rotatedBearer).status == 200)

        // A change to a setting read only at start is rejected too, naming it.
        try Self.tokenFile([("rotated", "operator", rotated)], extra: Self.calendar(holidays: [holiday]) + "producer:\n  max_connections: 7\n").write(toFile: tokens, atomically: true, encoding: .utf8)
        producer.signal(SIGHUP)
        try await producer.waitForLog("restart the producer to apply them", timeout: .seconds(20))
        #expect(try await client.send("GET", "/v1/jobs", headers: rotatedBearer).status == 200)
        #expect(producer.isRunning)
        #expect(await producer.terminate() == 0)
    }

    static func calendar(holidays: [String]) -> String {
        """
        jobs:
          - id: office-report
            app: demo
            schedule: {cron: "0 9 * * *", timezone: UTC, calendar: office}
            inputs: {topic: daily}

        """ + "calendars:\n  office:\n    weekdays: [MON, TUE, WED, THU, FRI, SAT, SUN]\n    holidays: [\(holidays.joined(separator: ", "))]\n"
    }

    /// Returns the scheduled instants of the next three fires of `office-report`, once the job
    /// is owned here (its owner fills in the first fire).
    static func nextFires(_ client: SessionClient, headers: [String: String], timeout: Duration = .seconds(60)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let reply = try await client.send("GET", "/v1/jobs/office-report", headers: headers)
            if reply.body["owned_here"] == true {
                let next = try await client.send("GET", "/v1/jobs/office-report/next?count=3", headers: headers)
                return next.body["next"]?.arrayValue?.compactMap { $0["scheduled_at"]?.stringValue } ?? []
            }
            guard ContinuousClock.now < deadline else { throw TestTimeout(activity: "office-report owned by the producer", timeout: timeout) }
            try await Task.sleep(for: .milliseconds(300))
        }
    }

    static func tokenFile(_ tokens: [(name: String, role: String, token: String)], extra: String = "") -> String {
        "auth:\n  tokens:\n" + tokens.map { "    - {name: \($0.name), role: \($0.role), sha256: \(StableHash.sha256Hex($0.token))}\n" }.joined() + extra
    }
}
