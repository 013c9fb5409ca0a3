import Foundation

/// A small HTTP listener for a process without its own API (the worker): `/metrics` in
/// Prometheus text format, `/healthz` (the process runs) and `/readyz` (it consumes).
///
/// `/metrics` needs a bearer token of `auth.tokens` (any role may read metrics) unless
/// `auth.open_on_loopback` is set and `listen` is a loopback address; the probes are open.
public final class MetricsEndpoint: Service {
    public let name = "metrics-endpoint"
    private let server: HTTPServer

    /// - Parameter listen: `HOST:PORT`, such as `127.0.0.1:9091`.
    /// - Throws: ``HTTPServerError`` naming an invalid address.
    public init(listen: String, auth: AuthSettings, registry: MetricsRegistry = .shared, logger: Logger, isReady: @escaping @Sendable () -> Bool) throws {
        let (host, port) = try HTTPServerConfiguration.parseListenAddress(listen)
        let tokens = TokenTable(auth.tokens)
        let isOpen = auth.openOnLoopback && AuthSettings.isLoopback(host: host)
        var router = Router(logger: logger)
        router.get("/metrics") { request, _ in
            if !isOpen {
                guard let token = request.header("Authorization").flatMap(TokenTable.bearerToken(authorization:)), tokens.match(token) != nil else {
                    throw HTTPError(status: 401, code: "unauthorized", message: "/metrics needs an API token of auth.tokens: send Authorization: Bearer TOKEN",
                        headers: ["WWW-Authenticate": "Bearer realm=\"dify-scheduler\""])
                }
            }
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")], bytes: Array(registry.render().utf8))
        }
        router.get("/healthz") { _, _ in .json(200, ["status": "ok"]) }
        router.get("/readyz") { _, _ in
            isReady() ? .json(200, ["status": "ready"]) : .json(503, ["status": "not ready"])
        }
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
