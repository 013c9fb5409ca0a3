import Foundation

/// An error a handler returns to its client: an HTTP status with a machine-readable code.
///
/// Rendered as `{"error": {"code": ..., "message": ..., "field": ...}}`; `field` names the
/// request field at fault and is left out when nil. A handler that throws anything else gets
/// a bare 500 from ``Router``, so internal detail never reaches the client.
public struct HTTPError: Error, Sendable, Equatable {
    public var status: Int
    public var code: String
    public var message: String
    public var field: String?
    /// Extra header fields, for example `Retry-After` on a 429.
    public var headers: [String: String]

    public init(status: Int, code: String, message: String, field: String? = nil, headers: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers
    }

    public static func badRequest(_ message: String, field: String? = nil) -> HTTPError {
        HTTPError(status: 400, code: "invalid_request", message: message, field: field)
    }

    public static func notFound(_ message: String) -> HTTPError {
        HTTPError(status: 404, code: "not_found", message: message)
    }

    public static func conflict(_ message: String) -> HTTPError {
        HTTPError(status: 409, code: "conflict", message: message)
    }

    /// The bare 500 sent for any failure the handler did not describe.
    public static let internalError = HTTPError(status: 500, code: "internal_error", message: "internal server error")

    public var response: HTTPResponse {
        var detail: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let field { detail["field"] = .string(field) }
        var response = HTTPResponse.json(status, .object(["error": .object(detail)]))
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            response.headers.append((name, value))
        }
        return response
    }
}
