import Foundation
import Shared
import Synchronization
import TestSupport
import Testing

@Suite("HTTPServer")
struct HTTPServerTests {
    private let logger = Logger(label: "http-server-test")

    private func withServer(
        _ configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
        handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse,
        _ body: (HTTPServer, Int) async throws -> Void
    ) async throws {
        let server = HTTPServer(configuration: configuration, logger: logger, handler: handler)
        try server.start()
        let port = try #require(server.boundPort)
        do {
            try await body(server, port)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test("binds a free port and decodes the request")
    func requestDecoding() async throws {
        try await withServer(handler: { request in
            let summary: JSONValue = .object([
                "method": .string(request.method),
                "path": .string(request.path),
                "q": .string(request.query("q") ?? "-"),
                "header": .string(request.header("X-Custom") ?? "-"),
                "body": .string(String(decoding: request.body, as: UTF8.self)),
                "remote": .string(request.remoteAddress),
            ])
            return .json(200, summary)
        }) { _, port in
            #expect(port > 0)
            let response = try await HTTPTestClient.fetch(
                port: port, method: "POST", path: "/a%20b/c?q=x%26y&other=1",
                headers: ["X-Custom": "Value"], body: Array("hello".utf8)
            )
            #expect(response.status == 200)
            let value = try JSONValue.parse(Data(response.body))
            #expect(value["method"] == .string("POST"))
            #expect(value["path"] == .string("/a b/c"))
            #expect(value["q"] == .string("x&y"))
            #expect(value["header"] == .string("Value"))
            #expect(value["body"] == .string("hello"))
            #expect(value["remote"]?.stringValue?.hasPrefix("127.0.0.1:") == true)
        }
    }

    @Test("rejects control characters in the path")
    func controlCharactersInPath() async throws {
        var router = Router(logger: logger)
        router.get("/v1/jobs") { _, _ in .json(200, ["route": "list"]) }
        router.get("/v1/jobs/{id}") { _, parameters in .json(200, ["route": .string(parameters["id"] ?? "")]) }
        try await withServer(handler: router.handler) { _, port in
            for path in ["/v1/jobs/%00", "/v1/jobs/a%00b", "/v1/jobs/%0A", "/v1/jobs/%1F", "/v1/jobs/%7F"] {
                let response = try await HTTPTestClient.fetch(port: port, method: "GET", path: path)
                #expect(response.status == 400, "\(path)")
                let body = String(decoding: response.body, as: UTF8.self)
                #expect(body.contains("control character"), "\(path): \(body)")
            }
            let plain = try await HTTPTestClient.fetch(port: port, method: "GET", path: "/v1/jobs/a%20b")
            #expect(plain.status == 200)
            #expect(try JSONValue.parse(Data(plain.body))["route"] == .string("a b"))
            let query = try await HTTPTestClient.fetch(port: port, method: "GET", path: "/v1/jobs?q=%41%62")
            #expect(query.status == 200)
        }
    }

    @Test("rejects unknown query parameter names")
    func unknownQueryNames() throws {
        let request = HTTPRequest(method: "GET", path: "/v1/runs", queryItems: [("job", "a"), ("app", "b")])
        #expect(throws: Never.self) { try request.requireKnownQueryNames(["job", "app"]) }
        do {
            try HTTPRequest(method: "GET", path: "/v1/runs", queryItems: [("job_id", "slow")]).requireKnownQueryNames(["job", "app"])
            Issue.record("job_id was accepted")
        } catch let error as HTTPError {
            #expect(error.status == 400)
            #expect(error.field == "job_id")
            #expect(error.message.contains("\"job_id\""))
            #expect(error.message.contains("job, app"))
        }
    }

    @Test("serves concurrent requests")
    func concurrentRequests() async throws {
        try await withServer(handler: { request in
            try? await Task.sleep(for: .milliseconds(20))
            return .text(200, "echo \(request.query("n") ?? "")")
        }) { _, port in
            try await withThrowingTaskGroup(of: (Int, HTTPTestClient.Response).self) { group in
                for number in 0..<64 {
                    group.addTask { (number, try await HTTPTestClient.fetch(port: port, path: "/echo?n=\(number)")) }
                }
                var seen = 0
                for try await (number, response) in group {
                    #expect(response.status == 200)
                    #expect(response.text == "echo \(number)")
                    seen += 1
                }
                #expect(seen == 64)
            }
        }
    }

    @Test("rejects a large body with 413")
    func largeBodyRejected() async throws {
        let configuration = HTTPServerConfiguration(maxBodyBytes: 1000)
        let handled = Atomic<Int>(0)
        try await withServer(configuration, handler: { _ in
            handled.add(1, ordering: .relaxed)
            return .text(200, "ok")
        }) { _, port in
            let declared = try await HTTPTestClient.fetch(
                port: port, method: "POST", path: "/upload", body: [UInt8](repeating: 65, count: 5000)
            )
            #expect(declared.status == 413)
            let error = try JSONValue.parse(Data(declared.body))
            #expect(error["error"]?["code"] == .string("payload_too_large"))

            // A chunked upload declares no length, so the limit applies while reading.
            let chunked = try await HTTPTestClient.blocking {
                let client = try HTTPTestClient(port: port)
                var request = Array("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                for _ in 0..<3 {
                    request += Array("258\r\n".utf8) + [UInt8](repeating: 66, count: 600) + Array("\r\n".utf8)
                }
                request += Array("0\r\n\r\n".utf8)
                try client.sendAll(request)
                return try client.readResponse()
            }
            #expect(chunked.status == 413)

            let small = try await HTTPTestClient.fetch(port: port, method: "POST", path: "/upload", body: [1, 2, 3])
            #expect(small.status == 200)
            let handledCount = handled.load(ordering: .relaxed)
            #expect(handledCount == 1)
        }
    }

    @Test("streams chunks as they are written")
    func streamingChunks() async throws {
        let (gate, gateContinuation) = AsyncStream<Void>.makeStream()
        let gateBox = Mutex<AsyncStream<Void>?>(gate)
        try await withServer(handler: { _ in
            .stream(headers: [("Content-Type", "text/event-stream")]) { writer in
                try await writer.write("data: one\n\n")
                let gate = gateBox.withLock { $0.take() }
                for await _ in gate ?? AsyncStream { $0.finish() } { break }
                try await writer.write("data: two\n\n")
            }
        }) { _, port in
            let client = try HTTPTestClient(port: port)
            let (status, headers, first) = try await HTTPTestClient.blocking {
                try client.send(method: "GET", path: "/events")
                let head = try client.readHead()
                return (head.status, head.headers, try client.readChunk())
            }
            #expect(status == 200)
            #expect(headers["content-type"] == "text/event-stream")
            #expect(headers["transfer-encoding"] == "chunked")
            #expect(String(decoding: first, as: UTF8.self) == "data: one\n\n")

            gateContinuation.yield()
            let (second, last) = try await HTTPTestClient.blocking { (try client.readChunk(), try client.readChunk()) }
            #expect(String(decoding: second, as: UTF8.self) == "data: two\n\n")
            #expect(last.isEmpty)
        }
    }

    @Test("client disconnect stops a stream")
    func disconnectStopsStream() async throws {
        let (stopped, stoppedContinuation) = AsyncStream<String>.makeStream()
        try await withServer(handler: { request in
            let kind = request.path
            return .stream(headers: [("Content-Type", "text/event-stream")]) { writer in
                defer { stoppedContinuation.yield(kind) }
                try await writer.write("data: first\n\n")
                if kind == "/quiet" {
                    // Writes nothing more: only the disconnect watcher can notice the client leaving.
                    try await Task.sleep(for: .seconds(3600))
                }
                while true {
                    try await Task.sleep(for: .milliseconds(20))
                    try await writer.write("event: ping\n\n")
                }
            }
        }) { _, port in
            for path in ["/busy", "/quiet"] {
                let client = try HTTPTestClient(port: port)
                let first = try await HTTPTestClient.blocking {
                    try client.send(method: "GET", path: path)
                    _ = try client.readHead()
                    return try client.readChunk()
                }
                #expect(String(decoding: first, as: UTF8.self) == "data: first\n\n")
                client.close()

                let reported = await firstValue(of: stopped, within: .seconds(30))
                #expect(reported == path)
            }
        }
    }

    @Test("slow handler does not block other requests")
    func slowHandlerDoesNotBlock() async throws {
        let configuration = HTTPServerConfiguration(threads: 1, shutdownGracePeriod: .milliseconds(200))
        let cancelled = Atomic<Bool>(false)
        try await withServer(configuration, handler: { request in
            if request.path == "/never" {
                do {
                    try await Task.sleep(for: .seconds(3600))
                } catch {
                    cancelled.store(true, ordering: .relaxed)
                }
                return .text(200, "late")
            }
            return .text(200, "fast")
        }) { _, port in
            let hanging = try HTTPTestClient(port: port)
            try await HTTPTestClient.blocking { try hanging.send(method: "GET", path: "/never") }

            for _ in 0..<20 {
                let response = try await HTTPTestClient.fetch(port: port, path: "/fast")
                #expect(response.text == "fast")
            }

            // The client leaving cancels the handler's task.
            hanging.close()
            let deadline = ContinuousClock.now + .seconds(30)
            while !cancelled.load(ordering: .relaxed), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let wasCancelled = cancelled.load(ordering: .relaxed)
            #expect(wasCancelled)
        }
    }

    @Test("shutdown ends a hanging request")
    func shutdownEndsHangingRequest() async throws {
        let configuration = HTTPServerConfiguration(shutdownGracePeriod: .milliseconds(100))
        let parked = Mutex<[UnsafeContinuation<Void, Never>]>([])
        let server = HTTPServer(configuration: configuration, logger: logger) { _ in
            // Ignores cancellation: the handler never returns until the test resumes it.
            await withUnsafeContinuation { continuation in parked.withLock { $0.append(continuation) } }
            return .text(200, "late")
        }
        let runTask = Task { try await server.run() }
        var port: Int?
        while port == nil {
            try await Task.sleep(for: .milliseconds(10))
            port = server.boundPort
        }
        let client = try HTTPTestClient(port: port!)
        try await HTTPTestClient.blocking { try client.send(method: "GET", path: "/hang") }
        try await Task.sleep(for: .milliseconds(100))

        let started = ContinuousClock.now
        await server.shutdown()
        try await runTask.value
        // The grace period is 100 ms; the bound only shows that shutdown does not wait for the
        // handler, with room for a machine busy with other tests.
        #expect(ContinuousClock.now - started < .seconds(20))
        let response = try await HTTPTestClient.blocking { try client.readResponse() }
        #expect(response.status == 503)
        for continuation in parked.withLock({ $0 }) { continuation.resume() }
    }

    @Test("rejects an invalid address")
    func invalidAddress() throws {
        #expect(throws: HTTPServerError.self) {
            _ = try HTTPServerConfiguration.parseListenAddress("localhost")
        }
        let parsed = try HTTPServerConfiguration.parseListenAddress("[::1]:8080")
        #expect(parsed.host == "::1")
        #expect(parsed.port == 8080)
        let server = HTTPServer(configuration: .init(host: "not-an-ip"), logger: logger) { _ in .text(200, "") }
        #expect(throws: HTTPServerError.self) { try server.start() }
    }

    private func firstValue(of stream: AsyncStream<String>, within timeout: Duration) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await value in stream { return value }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
