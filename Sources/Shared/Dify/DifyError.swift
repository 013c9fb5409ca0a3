import Foundation

/// A failed call to Dify, classified so that the worker can decide whether to retry.
///
/// `reason` names the app, the value Dify rejected and the fix; it never contains the API
/// key. `retryable` is true when sending the same request again may succeed, and `maxRetries`
/// narrows that where only a cautious retry makes sense; `retryAfter` comes from a
/// `Retry-After` header. `isThrottle` marks Dify's concurrency cap, which clears by itself.
public struct DifyError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; extensible, compared by raw value.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// 400 `invalid_param`: bad or missing inputs or `user`, workflow not published.
        public static let invalidInput = Code(rawValue: "invalid_input")
        /// 400 with a request-shape problem (`bad_request`, `Input payload validation failed`),
        /// or a request this client refused to send.
        public static let invalidRequest = Code(rawValue: "invalid_request")
        /// Dify's per-app concurrency cap: 429 `too_many_requests`, or the 400 `invalid_param`
        /// "Too many requests" of Dify 1.9.2.
        public static let throttled = Code(rawValue: "throttled")
        /// 429 `rate_limit_error`: the plan's or the day's quota is used up.
        public static let quotaExceeded = Code(rawValue: "quota_exceeded")
        /// 400 `not_workflow_app`, `not_chat_app`, `not_completion_app`.
        public static let wrongAppKind = Code(rawValue: "wrong_app_kind")
        /// 400 `app_unavailable`.
        public static let appUnavailable = Code(rawValue: "app_unavailable")
        /// 400 `provider_not_initialize`, `provider_quota_exceeded`, `model_currently_not_support`.
        public static let providerError = Code(rawValue: "provider_error")
        /// 400 `completion_request_error`: the model call failed upstream.
        public static let completionRequestError = Code(rawValue: "completion_request_error")
        public static let unauthorized = Code(rawValue: "unauthorized")
        public static let forbidden = Code(rawValue: "forbidden")
        /// 404 `not_found` from Dify: no such run, workflow or conversation.
        public static let notFound = Code(rawValue: "not_found")
        /// 404 without a Dify code (an HTML page): the URL is not a Dify API route.
        public static let routeNotFound = Code(rawValue: "route_not_found")
        public static let methodNotAllowed = Code(rawValue: "method_not_allowed")
        /// 413 `file_too_large`, 415 `unsupported_file_type`.
        public static let fileRejected = Code(rawValue: "file_rejected")
        /// 500 from Dify.
        public static let serverError = Code(rawValue: "server_error")
        /// 502, 503, 504 from a proxy in front of Dify.
        public static let gatewayError = Code(rawValue: "gateway_error")
        /// Another HTTP status this client has no row for.
        public static let unexpectedStatus = Code(rawValue: "unexpected_status")
        /// The connection failed: refused, reset, DNS, TLS.
        public static let network = Code(rawValue: "network")
        /// No response (headers, or the whole blocking response) within the configured time.
        public static let timeout = Code(rawValue: "timeout")
        /// A stream ended, broke or went idle before its final event.
        public static let streamBroken = Code(rawValue: "stream_broken")
        /// A 2xx response this client could not read.
        public static let invalidResponse = Code(rawValue: "invalid_response")
        /// The calling Swift task was cancelled.
        public static let cancelled = Code(rawValue: "cancelled")
        /// The app's endpoint configuration cannot work (for example a base URL without a host).
        public static let invalidConfiguration = Code(rawValue: "invalid_configuration")
    }

    public var code: Code
    /// The failure, the value involved and the next step to take.
    public var reason: String
    /// The HTTP status, or for an `error` stream event the status it carries.
    public var httpStatus: Int?
    /// Dify's `code` member, such as `invalid_param`.
    public var difyCode: String?
    /// Dify's `message` member, with any API key removed.
    public var difyMessage: String?
    /// Per-field messages of the `{"errors": {...}, "message": ...}` body shape.
    public var fieldErrors: [String: String]
    public var retryable: Bool
    /// At most this many retries when set (1 for `completion_request_error`); nil leaves
    /// the count to the job's retry policy.
    public var maxRetries: Int?
    /// The wait a `Retry-After` header asked for.
    public var retryAfter: Duration?
    /// Dify's concurrency cap rejected the request; the worker should back off and retry, not alert.
    public var isThrottle: Bool
    /// The configured app name.
    public var app: String?
    /// The workflow run id and task id seen before the failure; nil when none arrived.
    public var runID: String?
    public var taskID: String?
    /// The run as the stream reported it before the failure (node trace, text so far), when a
    /// stream opened.
    public var partialOutcome: DifyRunOutcome?

    public init(
        code: Code, reason: String, httpStatus: Int? = nil, difyCode: String? = nil, difyMessage: String? = nil,
        fieldErrors: [String: String] = [:], retryable: Bool, maxRetries: Int? = nil, retryAfter: Duration? = nil,
        isThrottle: Bool = false, app: String? = nil, runID: String? = nil, taskID: String? = nil
    ) {
        self.code = code
        self.reason = reason
        self.httpStatus = httpStatus
        self.difyCode = difyCode
        self.difyMessage = difyMessage
        self.fieldErrors = fieldErrors
        self.retryable = retryable
        self.maxRetries = maxRetries
        self.retryAfter = retryAfter
        self.isThrottle = isThrottle
        self.app = app
        self.runID = runID
        self.taskID = taskID
    }

    public var description: String { "\(code): \(reason)" }

    static func frameTooLarge(limit: Int) -> DifyError {
        DifyError(
            code: .invalidResponse,
            reason: "A Dify stream frame grew past \(limit) bytes without ending; raise max_event_bytes "
                + "if the app really streams values that large.",
            retryable: false
        )
    }
}
