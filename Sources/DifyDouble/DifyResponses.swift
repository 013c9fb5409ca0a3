import Foundation
import Shared

/// Response bodies and headers as Dify 1.9.2 sends them (Flask behind gunicorn).
enum DifyResponses {
    /// Headers Dify adds to every API response; 404 and 405 from routing lack the CORS one.
    static let apiHeaders: [(name: String, value: String)] = [
        ("Access-Control-Allow-Origin", "*"), ("X-Version", "1.9.2"), ("X-Env", "PRODUCTION"),
    ]
    static let routingHeaders: [(name: String, value: String)] = [("X-Version", "1.9.2"), ("X-Env", "PRODUCTION")]
    static let streamHeaders: [(name: String, value: String)] =
        [("Content-Type", "text/event-stream; charset=utf-8")] + apiHeaders

    static func json(_ status: Int, _ value: OrderedJSON, extraHeaders: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [("Content-Type", "application/json")] + extraHeaders + apiHeaders,
            bytes: value.render(.python) + [UInt8(ascii: "\n")]
        )
    }

    static func raw(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + apiHeaders, bytes: Array(text.utf8))
    }

    /// Builds the common error body `{"code", "message", "status"}`.
    static func error(_ status: Int, _ code: String, _ message: String, extraHeaders: [(name: String, value: String)] = []) -> HTTPResponse {
        json(status, .object([("code", .string(code)), ("message", .string(message)), ("status", .int(status))]), extraHeaders: extraHeaders)
    }

    static func invalidParameter(_ message: String) -> HTTPResponse {
        error(400, "invalid_param", message)
    }

    static func unauthorized(_ message: String) -> HTTPResponse {
        error(401, "unauthorized", message, extraHeaders: [("WWW-Authenticate", "Bearer realm=\"api\"")])
    }

    /// Builds the other 400 shape, from request parsing: `{"errors": {field: message}, "message": ...}`.
    static func payloadInvalid(field: String, message: String) -> HTTPResponse {
        json(400, .object([
            ("errors", .object([(field, .string(message))])),
            ("message", .string("Input payload validation failed")),
        ]))
    }

    static let malformedJSON = error(
        400, "bad_request", "The browser (or proxy) sent a request that this server could not understand."
    )

    static let internalError = json(500, .object([
        ("message", .string("Internal Server Error")), ("code", .string("unknown")), ("status", .int(500)),
    ]))

    static let notFoundHTML = HTTPResponse(
        status: 404,
        headers: [("Content-Type", "text/html; charset=utf-8")] + routingHeaders,
        bytes: Array("""
            <!doctype html>
            <html lang=en>
            <title>404 Not Found</title>
            <h1>Not Found</h1>
            <p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>

            """.utf8)
    )

    static let methodNotAllowed = HTTPResponse(
        status: 405,
        headers: [("Content-Type", "application/json")] + routingHeaders,
        bytes: OrderedJSON.object([
            ("code", .string("method_not_allowed")),
            ("message", .string("The method is not allowed for the requested URL.")),
            ("status", .int(405)),
        ]).render(.python) + [UInt8(ascii: "\n")]
    )

    static let appModeMismatch = "Please check if your app mode matches the right API route."

    static func tooManyRequests(appID: String, limit: Int) -> HTTPResponse {
        invalidParameter(
            "Too many requests. Please try again later. The current maximum concurrent requests allowed for \(appID) is \(limit)."
        )
    }

    /// Builds the response to a forced `status`: Dify's own body, or a proxy's HTML page for 502-504.
    static func forced(status: Int, retryAfter: Int?) -> HTTPResponse {
        let retryHeaders: [(name: String, value: String)] = retryAfter.map { [("Retry-After", String($0))] } ?? []
        switch status {
        case 400: return invalidParameter("Forced by the test double.")
        case 401: return unauthorized("Access token is invalid")
        case 403: return error(403, "forbidden", "The app's API service has been disabled.")
        case 404: return error(404, "not_found", "App not found.")
        case 429: return error(429, "too_many_requests", "Too many requests. Please try again later.", extraHeaders: retryHeaders)
        case 500: return internalError
        default:
            let reason = [502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"][status] ?? "Error"
            let page = "<html>\r\n<head><title>\(status) \(reason)</title></head>\r\n<body>\r\n<center><h1>\(status) \(reason)</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            return HTTPResponse(status: status, headers: [("Content-Type", "text/html")] + retryHeaders, bytes: Array(page.utf8))
        }
    }
}
