import Foundation

/// Values of the `{name}` segments of the route that matched a request.
public struct RouteParameters: Sendable {
    public private(set) var values: [String: String] = [:]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    public subscript(name: String) -> String? {
        values[name]
    }
}

/// Dispatches requests by method and path pattern to handlers.
///
/// A pattern is a path whose segments are literals or `{name}` parameters, such as
/// `/v1/jobs/{id}/runs`; a parameter matches one non-empty segment. Routes are tried in the
/// order added. A path no route matches gets `notFound`; a path that matches only with other
/// methods gets `methodNotAllowed` with an `Allow` header. `HEAD` falls back to `GET` routes.
/// A handler that throws ``HTTPError`` gets that error's response; any other error is logged
/// and answered with a bare 500.
///
/// ```swift
/// var router = Router(logger: logger)
/// router.get("/v1/jobs/{id}") { request, parameters in
///     .json(200, try await registry.job(parameters["id"]!))
/// }
/// let server = try HTTPServer(configuration: configuration, logger: logger, handler: router.handler)
/// ```
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest, RouteParameters) async throws -> HTTPResponse

    private struct Route: Sendable {
        enum Segment: Sendable, Equatable {
            case literal(String)
            case parameter(String)
        }

        let method: String
        let segments: [Segment]
        let handler: Handler

        func match(_ pathSegments: [Substring]) -> RouteParameters? {
            guard pathSegments.count == segments.count else { return nil }
            var values: [String: String] = [:]
            for (segment, actual) in zip(segments, pathSegments) {
                switch segment {
                case .literal(let literal):
                    guard actual == literal else { return nil }
                case .parameter(let name):
                    guard !actual.isEmpty else { return nil }
                    values[name] = String(actual)
                }
            }
            return RouteParameters(values)
        }
    }

    private var routes: [Route] = []
    private let logger: Logger

    /// Answers requests whose path no route matches; a JSON 404 by default.
    public var notFound: @Sendable (HTTPRequest) async -> HTTPResponse = { request in
        HTTPError.notFound("no route for \(request.method) \(request.path)").response
    }

    /// Answers requests whose path matches only routes of other methods; a JSON 405 by default.
    public var methodNotAllowed: @Sendable (HTTPRequest, [String]) async -> HTTPResponse = { request, allowed in
        var response = HTTPError(
            status: 405,
            code: "method_not_allowed",
            message: "\(request.method) is not allowed on \(request.path); use \(allowed.joined(separator: ", "))"
        ).response
        response.headers.append(("Allow", allowed.joined(separator: ", ")))
        return response
    }

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Adds a route; `pattern` must start with `/`.
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        precondition(pattern.hasPrefix("/"), "route pattern '\(pattern)' must start with /")
        let segments = Self.split(pattern).map { segment -> Route.Segment in
            if segment.hasPrefix("{"), segment.hasSuffix("}") {
                return .parameter(String(segment.dropFirst().dropLast()))
            }
            return .literal(String(segment))
        }
        routes.append(Route(method: method.uppercased(), segments: segments, handler: handler))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add("POST", pattern, handler) }
    public mutating func put(_ pattern: String, _ handler: @escaping Handler) { add("PUT", pattern, handler) }
    public mutating func patch(_ pattern: String, _ handler: @escaping Handler) { add("PATCH", pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add("DELETE", pattern, handler) }

    /// The router as an ``HTTPServer`` handler.
    public var handler: @Sendable (HTTPRequest) async -> HTTPResponse {
        let router = self
        return { request in await router.handle(request) }
    }

    /// Finds the route for `request` and runs it, turning thrown errors into responses.
    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        // A control character is never part of a valid path, and a NUL arrives as DEL (see the server's unescape callback).
        if request.path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return HTTPError.badRequest("the path contains a control character (such as %00 or %0A): remove it from the URL", field: "path").response
        }
        let pathSegments = Self.split(request.path)
        var allowed: [String] = []
        var fallback: (Route, RouteParameters)?
        for route in routes {
            guard let parameters = route.match(pathSegments) else { continue }
            if route.method == request.method {
                return await run(route, request, parameters)
            }
            if request.method == "HEAD", route.method == "GET", fallback == nil {
                fallback = (route, parameters)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        if let (route, parameters) = fallback {
            return await run(route, request, parameters)
        }
        if allowed.isEmpty {
            return await notFound(request)
        }
        return await methodNotAllowed(request, allowed)
    }

    private func run(_ route: Route, _ request: HTTPRequest, _ parameters: RouteParameters) async -> HTTPResponse {
        do {
            return try await route.handler(request, parameters)
        } catch let error as HTTPError {
            return error.response
        } catch {
            logger.error(
                "request handler failed",
                [LogKey.method: request.method, LogKey.path: request.path, LogKey.error: "\(error)"]
            )
            return HTTPError.internalError.response
        }
    }

    private static func split(_ path: String) -> [Substring] {
        var segments = path.split(separator: "/", omittingEmptySubsequences: false)
        if segments.first == "" { segments.removeFirst() }
        if segments.count > 1, segments.last == "" { segments.removeLast() }
        return segments
    }
}
