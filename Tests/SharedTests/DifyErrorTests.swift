import Foundation
import Testing

@testable import Shared

@Suite struct DifyErrorTests {
    static let context = DifyRequestContext(app: "report-bot", method: "POST", path: "/workflows/run")

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var status: Int
        var body: String
        var headers: [String: String] = [:]
        var code: DifyError.Code
        var retryable: Bool
        var throttle = false
        var maxRetries: Int? = nil
        /// Words the reason must contain: the value and the fix.
        var mentions: [String] = []

        var testDescription: String { name }
    }

    /// One row per line of the error table, with bodies as Dify sends them.
    static let table: [Row] = [
        Row(
            name: "400 invalid_param", status: 400,
            body: #"{"code": "invalid_param", "message": "topic is required in input form", "status": 400}"#,
            code: .invalidInput, retryable: false, mentions: ["topic is required", "inputs", "/parameters"]),
        Row(
            name: "400 invalid_param too many requests", status: 400,
            body: #"{"code": "invalid_param", "message": "Too many requests. Please try again later. The current maximum concurrent requests allowed for x is 1.", "status": 400}"#,
            code: .throttled, retryable: true, throttle: true, mentions: ["max_concurrency"]),
        Row(
            name: "400 not_workflow_app", status: 400,
            body: #"{"code": "not_workflow_app", "message": "Please check if your app mode matches the right API route.", "status": 400}"#,
            code: .wrongAppKind, retryable: false, mentions: ["not a workflow app", "chatflow or completion"]),
        Row(
            name: "400 not_chat_app", status: 400,
            body: #"{"code": "not_chat_app", "message": "Please check if your app mode matches the right API route.", "status": 400}"#,
            code: .wrongAppKind, retryable: false, mentions: ["not a chat app", "kind to workflow"]),
        Row(
            name: "400 not_completion_app", status: 400,
            body: #"{"code": "not_completion_app", "message": "x", "status": 400}"#,
            code: .wrongAppKind, retryable: false, mentions: ["not a completion app"]),
        Row(
            name: "400 app_unavailable", status: 400,
            body: #"{"code": "app_unavailable", "message": "App unavailable, please check your app configurations.", "status": 400}"#,
            code: .appUnavailable, retryable: false, mentions: ["GET /info"]),
        Row(
            name: "400 provider_not_initialize", status: 400,
            body: #"{"code": "provider_not_initialize", "message": "No valid model provider credentials found.", "status": 400}"#,
            code: .providerError, retryable: false, mentions: ["credentials"]),
        Row(
            name: "400 provider_quota_exceeded", status: 400,
            body: #"{"code": "provider_quota_exceeded", "message": "quota", "status": 400}"#,
            code: .providerError, retryable: false),
        Row(
            name: "400 model_currently_not_support", status: 400,
            body: #"{"code": "model_currently_not_support", "message": "m", "status": 400}"#,
            code: .providerError, retryable: false),
        Row(
            name: "400 completion_request_error", status: 400,
            body: #"{"code": "completion_request_error", "message": "upstream 502", "status": 400}"#,
            code: .completionRequestError, retryable: true, maxRetries: 1, mentions: ["one cautious retry"]),
        Row(
            name: "400 input payload validation failed", status: 400,
            body: #"{"errors": {"inputs": "Missing required parameter in the JSON body"}, "message": "Input payload validation failed"}"#,
            code: .invalidRequest, retryable: false, mentions: ["inputs: Missing required parameter"]),
        Row(
            name: "401 unauthorized", status: 401,
            body: #"{"code": "unauthorized", "message": "Access token is invalid", "status": 401}"#,
            code: .unauthorized, retryable: false, mentions: ["'report-bot'", "api_key_env or api_key_file"]),
        Row(
            name: "403 forbidden", status: 403,
            body: #"{"code": "forbidden", "message": "The app's API service has been disabled.", "status": 403}"#,
            code: .forbidden, retryable: false, mentions: ["has been disabled", "check the app in Dify"]),
        Row(
            name: "404 not_found", status: 404,
            body: #"{"code": "not_found", "message": "Workflow not found with id: 1", "status": 404}"#,
            code: .notFound, retryable: false, mentions: ["Workflow not found"]),
        Row(
            name: "404 HTML page", status: 404,
            body: "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>",
            headers: ["Content-Type": "text/html; charset=utf-8"],
            code: .routeNotFound, retryable: false, mentions: ["base_url", "ending in /v1", "text/html"]),
        Row(
            name: "405 method_not_allowed", status: 405,
            body: #"{"code": "method_not_allowed", "message": "The method is not allowed for the requested URL.", "status": 405}"#,
            code: .methodNotAllowed, retryable: false),
        Row(
            name: "413 file_too_large", status: 413,
            body: #"{"code": "file_too_large", "message": "File size exceeded.", "status": 413}"#,
            code: .fileRejected, retryable: false),
        Row(
            name: "415 unsupported_file_type", status: 415,
            body: #"{"code": "unsupported_file_type", "message": "File type not allowed.", "status": 415}"#,
            code: .fileRejected, retryable: false),
        Row(
            name: "429 too_many_requests", status: 429,
            body: #"{"code": "too_many_requests", "message": "Too many requests. Please try again later.", "status": 429}"#,
            code: .throttled, retryable: true, throttle: true),
        Row(
            name: "429 rate_limit_error", status: 429,
            body: #"{"code": "rate_limit_error", "message": "Rate Limit Error", "status": 429}"#,
            code: .quotaExceeded, retryable: false, mentions: ["quota window"]),
        Row(
            name: "500 internal_server_error", status: 500,
            body: #"{"message": "Internal Server Error", "code": "unknown", "status": 500}"#,
            code: .serverError, retryable: true),
        Row(name: "502 empty body", status: 502, body: "", code: .gatewayError, retryable: true, mentions: ["empty body"]),
        Row(
            name: "503 HTML", status: 503, body: "<html><body>Service Unavailable</body></html>",
            headers: ["Content-Type": "text/html"], code: .gatewayError, retryable: true,
            mentions: ["Service Unavailable"]),
        Row(name: "504 text", status: 504, body: "upstream timed out", code: .gatewayError, retryable: true),
        Row(name: "400 not JSON", status: 400, body: "garbage", code: .invalidRequest, retryable: false),
        Row(name: "418 unknown status", status: 418, body: "{}", code: .unexpectedStatus, retryable: false),
        Row(
            name: "301 redirect", status: 301, body: "", headers: ["Location": "https://dify.example/v1/workflows/run"],
            code: .unexpectedStatus, retryable: false, mentions: ["https://dify.example/v1/workflows/run"]),
    ]

    @Test(arguments: table)
    func classifiesTableRow(row: Row) {
        let error = DifyError.classify(
            httpStatus: row.status, body: Data(row.body.utf8), headers: row.headers, context: Self.context)
        #expect(error.code == row.code)
        #expect(error.retryable == row.retryable)
        #expect(error.isThrottle == row.throttle)
        #expect(error.maxRetries == row.maxRetries)
        #expect(error.httpStatus == row.status)
        #expect(error.app == "report-bot")
        for word in row.mentions {
            #expect(error.reason.contains(word), "reason lacks \(word): \(error.reason)")
        }
    }

    /// The recorded error responses of Dify 1.9.2 and the classification each must get.
    static let recorded: [(String, DifyError.Code, Bool)] = [
        ("error-bad-response-mode.http", .invalidRequest, false),
        ("error-concurrency-limit-blocking.http", .throttled, true),
        ("error-concurrency-limit-streaming.http", .throttled, true),
        ("error-input-too-long.http", .invalidInput, false),
        ("error-invalid-api-key.http", .unauthorized, false),
        ("error-invalid-number-input.http", .invalidInput, false),
        ("error-invalid-select-value.http", .invalidInput, false),
        ("error-malformed-json.http", .invalidRequest, false),
        ("error-method-not-allowed.http", .methodNotAllowed, false),
        ("error-missing-authorization.http", .unauthorized, false),
        ("error-missing-inputs-field.http", .invalidRequest, false),
        ("error-missing-required-input-blocking.http", .invalidInput, false),
        ("error-missing-required-input-streaming.http", .invalidInput, false),
        ("error-missing-user.http", .invalidInput, false),
        ("error-run-id-not-uuid.http", .serverError, true),
        ("error-unknown-route.http", .routeNotFound, false),
        ("error-unknown-workflow-id-run.http", .notFound, false),
        ("error-wrong-app-type-chat-messages.http", .wrongAppKind, false),
        ("error-wrong-app-type-completion-messages.http", .appUnavailable, false),
        ("error-wrong-auth-scheme.http", .unauthorized, false),
        ("stop-missing-user.http", .invalidInput, false),
    ]

    @Test(arguments: recorded)
    func classifiesRecordedAnswer(name: String, code: DifyError.Code, retryable: Bool) throws {
        let fixture = try DifyFixture.load(name)
        let error = DifyError.classify(
            httpStatus: fixture.status, body: fixture.body, headers: fixture.headers, context: Self.context)
        #expect(error.code == code)
        #expect(error.retryable == retryable)
        #expect(error.isThrottle == (code == .throttled))
        #expect(error.reason.contains("'report-bot'"))
    }

    @Test func everyErrorRecordingHasARow() throws {
        let names = Set(Self.recorded.map(\.0))
        for name in try DifyFixture.names(prefix: "error-") where name != "error-unknown-run-id.http" {
            #expect(names.contains(name), "no classification row for \(name)")
        }
    }

    @Test func payloadValidationKeepsFieldErrors() throws {
        let fixture = try DifyFixture.load("error-bad-response-mode.http")
        let error = DifyError.classify(httpStatus: 400, body: fixture.body, headers: [:], context: Self.context)
        #expect(error.fieldErrors == ["response_mode": "The value 'fast' is not a valid choice for 'response_mode'."])
        #expect(error.difyMessage == "Input payload validation failed")
        #expect(error.reason.contains("response_mode: The value 'fast'"))
    }

    @Test func retryAfterSecondsAndDate() {
        let now = Date(timeIntervalSince1970: 1_796_413_657)
        #expect(DifyError.parseRetryAfter("120", now: now) == .seconds(120))
        #expect(DifyError.parseRetryAfter(" 0 ", now: now) == .seconds(0))
        #expect(DifyError.parseRetryAfter("Fri, 04 Dec 2026 19:48:07 GMT", now: now) == .seconds(30))
        #expect(DifyError.parseRetryAfter("Fri, 04 Dec 2026 19:40:00 GMT", now: now) == .seconds(0))
        #expect(DifyError.parseRetryAfter("soon", now: now) == nil)
        #expect(DifyError.parseRetryAfter("-5", now: now) == nil)

        let error = DifyError.classify(
            httpStatus: 429, body: Data(#"{"code": "too_many_requests", "message": "m", "status": 429}"#.utf8),
            headers: ["retry-after": "7"], context: Self.context, now: now)
        #expect(error.retryAfter == .seconds(7))
        let quota = DifyError.classify(
            httpStatus: 429, body: Data(#"{"code": "rate_limit_error", "message": "m", "status": 429}"#.utf8),
            headers: ["Retry-After": "Fri, 04 Dec 2026 20:47:37 GMT"], context: Self.context, now: now)
        #expect(quota.retryAfter == .seconds(3600))
        #expect(quota.reason.contains("3600 s"))
    }

    @Test func apiKeyNeverInErrorText() {
        let key = "app-secretKEY1234567890"
        let context = DifyRequestContext(app: "report-bot", method: "POST", path: "/workflows/run", apiKey: key)
        let body = #"{"code": "unauthorized", "message": "Access token app-secretKEY1234567890 is invalid", "status": 401}"#
        let error = DifyError.classify(httpStatus: 401, body: Data(body.utf8), headers: [:], context: context)
        #expect(!error.reason.contains(key))
        #expect(!(error.difyMessage ?? "").contains(key))
        #expect(!error.description.contains(key))
        let html = DifyError.classify(
            httpStatus: 404, body: Data("<p>Bearer \(key)</p>".utf8), headers: [:], context: context)
        #expect(!html.reason.contains(key))
    }

    @Test func streamErrorEventUsesTheTable() throws {
        let event = DifyStreamEvent.decode(
            try JSONValue.parse(
                #"{"event":"error","workflow_run_id":"r1","status":400,"code":"completion_request_error","message":"upstream"}"#))
        guard case .error(let streamError) = event else {
            Issue.record("decoded as \(event.name)")
            return
        }
        let error = DifyError.classify(streamError: streamError, context: Self.context, runID: nil, taskID: "t1")
        #expect(error.code == .completionRequestError)
        #expect(error.maxRetries == 1)
        #expect(error.runID == "r1")
        #expect(error.taskID == "t1")
        #expect(error.reason.contains("run r1"))
    }
}
