import Foundation
import Synchronization

/// The state libmicrohttpd's callbacks reach through their closure pointer: settings, the
/// handler, and the requests whose handler or stream is still running.
final class HTTPServerCore: Sendable {
    let configuration: HTTPServerConfiguration
    let logger: Logger
    private let handler: @Sendable (HTTPRequest) async -> HTTPResponse
    private let requestCounter = Atomic<UInt64>(0)
    private let stopping = Atomic<Bool>(false)
    private let live = LiveRequests()
    let watcher: DisconnectWatcher

    init(
        configuration: HTTPServerConfiguration,
        logger: Logger,
        handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse
    ) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
        let live = self.live
        watcher = DisconnectWatcher { requestID in
            live.table.withLock { $0[requestID] }?.abort()
        }
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    func nextRequestID() -> UInt64 {
        requestCounter.add(1, ordering: .relaxed).newValue
    }

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        await handler(request)
    }

    func register(_ request: MHDRequest) {
        live.table.withLock { $0[request.id] = request }
    }

    func unregister(_ request: MHDRequest) {
        live.table.withLock { $0[request.id] = nil }
        watcher.unwatch(requestID: request.id)
    }

    var liveRequestCount: Int { live.table.withLock { $0.count } }

    /// Marks the server as stopping: new requests on open connections get 503.
    func beginStopping() {
        stopping.store(true, ordering: .releasing)
    }

    /// Waits until no request is live or `timeout` passes; returns whether all finished.
    func waitUntilDrained(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if liveRequestCount == 0 { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return liveRequestCount == 0
    }

    /// Ends every live request: cancels its task and resumes its connection.
    func abortAll() {
        let requests = live.table.withLock { Array($0.values) }
        for request in requests { request.abort() }
    }

    func payloadTooLarge() -> HTTPResponse {
        var response = HTTPError(
            status: 413,
            code: "payload_too_large",
            message: "request body is larger than \(configuration.maxBodyBytes) bytes"
        ).response
        response.headers.append(("Connection", "close"))
        return response
    }

    func serviceUnavailable() -> HTTPResponse {
        var response = HTTPError(status: 503, code: "shutting_down", message: "the server is stopping").response
        response.headers.append(("Connection", "close"))
        return response
    }
}

/// Requests whose handler or stream is still running, by request id.
private final class LiveRequests: Sendable {
    let table = Mutex<[UInt64: MHDRequest]>([:])
}
