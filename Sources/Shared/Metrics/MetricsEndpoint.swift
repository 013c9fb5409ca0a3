import Foundation

/// A small HTTP listener for a process without its own API (the worker): `/metrics` in
/// Prometheus text format, `/healthz` (the process runs) and `/readyz` (it consumes).
public final class MetricsEndpoint: Service {
    public let name = "metrics-endpoint"
    private let server: HTTPServer

    /// - Parameters:
    ///   - listen: `HOST:PORT`, such as `127.0.0.1:9091`.
    ///   - routes: adds the routes of a process that serves more on the same listener.
    /// - Throws: ``HTTPServerError`` naming an invalid address.
    public init(
        listen: String, registry: MetricsRegistry = .shared, logger: Logger, isReady: @escaping @Sendable () -> Bool,
        routes: (inout Router) -> Void = { _ in }
    ) throws {
        let (host, port) = try HTTPServerConfiguration.parseListenAddress(listen)
        var router = Router(logger: logger)
        router.get("/metrics") { _, _ in
            HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")], bytes: Array(registry.render().utf8))
        }
        router.get("/healthz") { _, _ in .json(200, ["status": "ok"]) }
        router.get("/readyz") { _, _ in
            isReady() ? .json(200, ["status": "ready"]) : .json(503, ["status": "not ready"])
        }
        routes(&router)
        server = HTTPServer(
            name: name, configuration: HTTPServerConfiguration(host: host, port: port, threads: 1), logger: logger,
            handler: router.handler)
    }

    public func run() async throws {
        try await server.run()
    }

    public func shutdown() async {
        await server.shutdown()
    }
}
