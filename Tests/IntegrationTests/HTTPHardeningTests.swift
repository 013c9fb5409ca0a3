import Foundation
import Shared
import TestSupport
import Testing

/// Limits of the producer's HTTP interface against hostile clients: a body above
/// `producer.max_body_bytes` gets 413, JSON nested too deep gets 400, and a client that stalls
/// mid-request is cut off after `producer.connection_timeout`.
@Suite(.serialized) struct HTTPHardeningTests {
    @Test func limitsHoldForControlAPI() async throws {
        let cluster = try await SchedulerCluster.start(name: "http-hardening")
        defer { cluster.stop() }
        let config = try cluster.writeConfig(producerSettings: "max_body_bytes: 4096\n  connection_timeout: 2s")
        try await cluster.createTopics(config: config)
        let producer = try cluster.startProducer(config: config)
        let port = try await producer.controlPort()
        let api = ControlClient(port: port)
        try await api.waitUntilReady()

        // A body over the limit is answered 413 before any handler runs.
        let blob = String(repeating: "x", count: 10_000)
        let large = try await api.send("POST", "/v1/jobs", body: ["id": "big", "app": "demo", "schedule": ["every": "1h"], "description": .string(blob)])
        #expect(large.status == 413)
        let largeTrigger = try await api.send("POST", "/v1/jobs/big/trigger", body: ["inputs": ["blob": .string(blob)]])
        #expect(largeTrigger.status == 413)

        // JSON nested deeper than the parser's limit is a 400, not a stack overflow.
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        let nested = try await Self.rawRequest(port: port, "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestTokens.token(for: "alice"))\r\nContent-Type: application/json\r\nContent-Length: \(deep.utf8.count)\r\nConnection: close\r\n\r\n\(deep)")
        #expect(nested.response.hasPrefix("HTTP/1.1 400"), "\(nested.response.prefix(200))")
        #expect(nested.response.contains("nesting"))

        // A client that stops in the middle of its headers, or of its body, is disconnected.
        let stalledHeaders = try await Self.rawRequest(port: port, "GET /v1/jobs HTTP/1.1\r\nHost: x\r\n")
        #expect(stalledHeaders.response.isEmpty)
        #expect(stalledHeaders.seconds >= 1.5 && stalledHeaders.seconds < 8, "closed after \(stalledHeaders.seconds) s")
        let stalledBody = try await Self.rawRequest(port: port, "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestTokens.token(for: "alice"))\r\nContent-Length: 1000\r\n\r\n{\"id\":")
        #expect(stalledBody.seconds >= 1.5 && stalledBody.seconds < 8, "closed after \(stalledBody.seconds) s")

        // The server still serves others.
        #expect(try await api.send("GET", "/v1/jobs").status == 200)
        #expect(await producer.terminate() == 0)
    }

    /// Sends `text` on a new connection and reads until the server closes it (at most 15 s
    /// between reads), off Swift's cooperative pool because the socket calls block.
    static func rawRequest(port: Int, _ text: String) async throws -> (response: String, seconds: Double) {
        try await HTTPTestClient.blocking {
            let client = try HTTPTestClient(port: port, readTimeout: .seconds(15))
            let start = ContinuousClock.now
            try client.sendAll(Array(text.utf8))
            let received = client.readToEnd()
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return (String(decoding: received, as: UTF8.self), seconds)
        }
    }
}
