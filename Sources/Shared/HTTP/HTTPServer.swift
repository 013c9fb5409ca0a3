import Foundation
import Synchronization

/// An HTTP/1.1 server over libmicrohttpd that runs an async Swift handler per request.
///
/// libmicrohttpd's epoll threads (a pool of `configuration.threads`) read requests and write
/// responses. When a request's body is complete its connection is suspended and the handler
/// runs as a Swift task; the connection is resumed when the response is ready, so a slow or
/// never-ending handler holds no thread and blocks no other connection. Streamed bodies are
/// written by a producer task through an ``HTTPBodyWriter``; a client that goes away cancels
/// the handler or producer task.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 8080), logger: logger) { request in
///     .text(200, "ok")
/// }
/// try server.start()          // listening now; server.boundPort tells the port
/// try await server.run()      // or run() alone, as a Service in a ServiceGroup
/// ```
///
/// - Important: `shutdown()` stops accepting connections, lets live requests finish for
///   `shutdownGracePeriod`, then cancels the rest (clients see 503 or a cut stream).
public final class HTTPServer: Service {
    private enum Phase {
        case idle
        case listening(MHDDaemon)
        case stopped
    }

    private struct State {
        var phase = Phase.idle
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        var shutdownStarted = false
    }

    public let name: String
    private let core: HTTPServerCore
    private let state = Mutex(State())

    public init(
        name: String = "http-server",
        configuration: HTTPServerConfiguration,
        logger: Logger,
        handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse
    ) {
        self.name = name
        self.core = HTTPServerCore(configuration: configuration, logger: logger, handler: handler)
    }

    /// The TCP port the server listens on, once started.
    public var boundPort: Int? {
        state.withLock { state in
            if case .listening(let daemon) = state.phase { return daemon.boundPort }
            return nil
        }
    }

    /// Binds the socket and starts serving; returns once the server accepts connections.
    ///
    /// - Throws: ``HTTPServerError`` when the address is invalid or cannot be bound, or when
    ///   the server was already started.
    public func start() throws {
        try validate(core.configuration)
        try state.withLock { state in
            guard case .idle = state.phase else {
                throw HTTPServerError(code: .alreadyStarted, reason: "server '\(name)' was already started", systemError: nil)
            }
            let daemon = try MHDDaemon(core: core)
            state.phase = .listening(daemon)
            core.logger.info(
                "http server listening",
                ["http.host": core.configuration.host, "http.port": String(daemon.boundPort), "service": name]
            )
        }
    }

    /// Serves until `shutdown()` is called or the task is cancelled; starts the server first
    /// unless `start()` was called already.
    public func run() async throws {
        let needsStart = state.withLock { state -> Bool in
            if case .idle = state.phase { return true }
            return false
        }
        if needsStart { try start() }

        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let stoppedAlready = state.withLock { state -> Bool in
                    if case .stopped = state.phase { return true }
                    state.stopWaiters.append(continuation)
                    return false
                }
                if stoppedAlready { continuation.resume() }
            }
        } onCancel: {
            Task { await self.shutdown() }
        }
    }

    /// Stops the server gracefully; returns when every connection is closed.
    public func shutdown() async {
        let daemon = state.withLock { state -> MHDDaemon? in
            guard !state.shutdownStarted else { return nil }
            state.shutdownStarted = true
            if case .listening(let daemon) = state.phase { return daemon }
            state.phase = .stopped
            return nil
        }
        guard let daemon else {
            finishStopping()
            return
        }

        core.beginStopping()
        daemon.quiesce()
        let drained = await core.waitUntilDrained(timeout: core.configuration.shutdownGracePeriod)
        if !drained {
            core.logger.warning(
                "http server cutting requests still running after the grace period",
                ["http.live_requests": String(core.liveRequestCount), "service": name]
            )
        }
        // Every suspended connection must be resumed before MHD_stop_daemon.
        core.abortAll()
        _ = await core.waitUntilDrained(timeout: .milliseconds(500))
        core.abortAll()
        daemon.stop()
        core.watcher.stop()
        core.logger.info("http server stopped", ["service": name])
        finishStopping()
    }

    private func finishStopping() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.phase = .stopped
            defer { state.stopWaiters = [] }
            return state.stopWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func validate(_ configuration: HTTPServerConfiguration) throws {
        var problems: [String] = []
        if configuration.threads < 1 { problems.append("threads is \(configuration.threads): use 1 or more") }
        if configuration.maxBodyBytes < 0 { problems.append("maxBodyBytes is \(configuration.maxBodyBytes): use 0 or more") }
        if configuration.maxConnections < 1 {
            problems.append("maxConnections is \(configuration.maxConnections): use 1 or more")
        }
        if configuration.connectionTimeout < .seconds(1) {
            problems.append("connectionTimeout is \(configuration.connectionTimeout): use 1s or more")
        }
        guard problems.isEmpty else {
            throw HTTPServerError.invalidConfiguration("invalid HTTP server settings: " + problems.joined(separator: "; "))
        }
    }
}
