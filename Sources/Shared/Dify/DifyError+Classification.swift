import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The request an error is about, for messages: which app, which call.
public struct DifyRequestContext: Sendable {
    public var app: String
    public var method: String
    /// The path after the app's base URL, such as `/workflows/run`.
    public var path: String
    /// Removed from every text the error keeps, should Dify ever echo it.
    var apiKey: String?

    public init(app: String, method: String, path: String) {
        self.app = app
        self.method = method
        self.path = path
    }

    init(app: String, method: String, path: String, apiKey: String?) {
        self.init(app: app, method: method, path: path)
        self.apiKey = apiKey
    }

    var call: String { "\(method) \(path)" }

    /// Removes the API key and every secret registered with `SecretRedactor`.
    func scrub(_ text: String) -> String {
        var result = text
        if let apiKey, !apiKey.isEmpty { result = result.replacingOccurrences(of: apiKey, with: "[REDACTED]") }
        return SecretRedactor.shared.redact(result)
    }
}

extension DifyError {
    // MARK: - HTTP responses

    /// Classifies a non-2xx response from Dify: the status, the body (either JSON shape, HTML
    /// or anything else) and the `Retry-After` header.
    public static func classify(
        httpStatus: Int, body: Data, headers: [String: String] = [:], context: DifyRequestContext,
        now: Date = Date()
    ) -> DifyError {
        let json = try? JSONValue.parse(body)
        let object = json?.objectValue != nil ? json : nil
        var fieldErrors: [String: String] = [:]
        for (field, message) in object?["errors"]?.objectValue ?? [:] {
            fieldErrors[field] = context.scrub(message.stringValue ?? message.compactText())
        }
        let retryAfter = header("Retry-After", in: headers).flatMap { parseRetryAfter($0, now: now) }

        if (300...399).contains(httpStatus) {
            let location = header("Location", in: headers).map { " to \(context.scrub($0))" } ?? ""
            return DifyError(
                code: .unexpectedStatus,
                reason: "Dify's URL for app '\(context.app)' redirects (HTTP \(httpStatus)\(location)) and requests "
                    + "are not sent on after a redirect, because a POST would lose its body. Set base_url of app "
                    + "'\(context.app)' to the final URL (often https).",
                httpStatus: httpStatus, retryable: false, app: context.app)
        }

        var bodyNote: String?
        if object == nil {
            let type = header("Content-Type", in: headers)?.split(separator: ";").first.map(String.init)
            bodyNote = nonJSONBodyNote(body, contentType: type, context: context)
        }

        return classify(
            status: httpStatus, difyCode: object?.text("code"), difyMessage: object?.text("message"),
            fieldErrors: fieldErrors, bodyNote: bodyNote, retryAfter: retryAfter, context: context
        )
    }

    /// Classifies the `error` event that ended a stream, with the same table as HTTP responses.
    public static func classify(
        streamError event: DifyStreamError, context: DifyRequestContext, runID: String?, taskID: String?
    ) -> DifyError {
        var error = classify(
            status: event.status ?? 500, difyCode: event.code, difyMessage: event.message, fieldErrors: [:],
            bodyNote: nil, retryAfter: nil, context: context
        )
        error.runID = runID ?? event.workflowRunID
        error.taskID = taskID ?? event.taskID
        error.reason += " The error arrived in the stream"
            + (error.runID.map { " of run \($0); the run was created in Dify, so a retry starts another run." } ?? ".")
        return error
    }

    /// Applies the error-table rows, keyed by Dify's code first and by HTTP status where the
    /// code is missing or unknown.
    static func classify(
        status: Int, difyCode: String?, difyMessage rawMessage: String?, fieldErrors: [String: String],
        bodyNote: String?, retryAfter: Duration?, context: DifyRequestContext
    ) -> DifyError {
        let message = rawMessage.map(context.scrub)
        let app = "'\(context.app)'"
        let responded = responseSummary(status: status, code: difyCode, message: message, bodyNote: bodyNote)

        func make(_ code: Code, _ reason: String, retryable: Bool, throttle: Bool = false, maxRetries: Int? = nil)
            -> DifyError
        {
            DifyError(
                code: code, reason: reason, httpStatus: status, difyCode: difyCode, difyMessage: message,
                fieldErrors: fieldErrors, retryable: retryable, maxRetries: maxRetries, retryAfter: retryAfter,
                isThrottle: throttle, app: context.app
            )
        }

        switch difyCode {
        case "invalid_param" where (message ?? "").lowercased().hasPrefix("too many requests"):
            return make(
                .throttled,
                "Dify's concurrent-request cap for app \(app) is reached (\(responded)). Retry after a backoff, "
                    + "or lower limits.max_concurrency for app \(app) to at most the app's max_active_requests "
                    + "(or APP_MAX_ACTIVE_REQUESTS) in Dify.",
                retryable: true, throttle: true)
        case "invalid_param":
            return make(
                .invalidInput,
                "Dify rejected the request to app \(app) as invalid (\(responded)). Fix the job's inputs or user "
                    + "to match the app's input form (GET /parameters lists it) and check that the app is "
                    + "published; the same request will fail again.",
                retryable: false)
        case "not_workflow_app", "not_chat_app", "not_completion_app":
            return make(.wrongAppKind, wrongKindReason(code: difyCode!, responded: responded, app: app), retryable: false)
        case "app_unavailable":
            return make(
                .appUnavailable,
                "App \(app) is unavailable for \(context.call) (\(responded)). Dify returns this when the app's "
                    + "model configuration is missing, or when the endpoint does not fit the app (for example "
                    + "/completion-messages on a workflow app): check the app in Dify and the mode configured "
                    + "for app \(app) (GET /info reports it).",
                retryable: false)
        case "provider_not_initialize", "provider_quota_exceeded", "model_currently_not_support":
            return make(
                .providerError,
                "The model provider of app \(app) cannot serve the run (\(responded)). Configure the provider's "
                    + "credentials, quota or model in Dify; retrying will not help until then.",
                retryable: false)
        case "completion_request_error":
            return make(
                .completionRequestError,
                "The model call of app \(app) failed upstream (\(responded)). At most one cautious retry is made; "
                    + "if it fails again, check the model provider's status and settings in Dify.",
                retryable: true, maxRetries: 1)
        case "too_many_requests":
            return make(
                .throttled,
                "Dify's concurrent-request cap for app \(app) is reached (\(responded)). Retry after a backoff, "
                    + "or lower limits.max_concurrency for app \(app).",
                retryable: true, throttle: true)
        case "rate_limit_error":
            let wait = retryAfter.map { " (Dify asks to wait \(seconds($0)) s)" } ?? ""
            return make(
                .quotaExceeded,
                "The Dify plan or daily quota of app \(app) is used up (\(responded)). Runs fail until the quota "
                    + "window passes\(wait) or the plan is raised; no retry before then.",
                retryable: false)
        case "file_too_large", "unsupported_file_type":
            return make(.fileRejected, fileReason(responded: responded, app: app), retryable: false)
        case "unauthorized":
            return make(.unauthorized, unauthorizedReason(responded: responded, app: app), retryable: false)
        case "forbidden":
            return make(.forbidden, forbiddenReason(responded: responded, app: app), retryable: false)
        case "bad_request":
            return make(
                .invalidRequest,
                "Dify could not read the request \(context.call) for app \(app) (\(responded)). Check the "
                    + "workflow or conversation id in the job, and the request body.",
                retryable: false)
        case "not_found":
            return make(
                .notFound,
                "Dify found nothing for \(context.call) of app \(app) (\(responded)). Check the id the message "
                    + "names: a run, workflow or conversation id from another app or an older Dify.",
                retryable: false)
        case "method_not_allowed":
            return make(.methodNotAllowed, methodReason(responded: responded, context: context), retryable: false)
        case "internal_server_error":
            return make(.serverError, serverReason(responded: responded, app: app), retryable: true)
        default:
            break
        }

        switch status {
        case 400 where !fieldErrors.isEmpty || message == "Input payload validation failed":
            let fields = fieldErrors.keys.sorted().map { "\($0): \(fieldErrors[$0]!)" }.joined(separator: "; ")
            let summary = "HTTP 400 " + (message ?? "invalid request") + (fields.isEmpty ? "" : ": \(fields)")
            return make(
                .invalidRequest,
                "Dify rejected the request body of \(context.call) for app \(app) (\(summary)). The request "
                    + "was built wrongly from the job: fix the fields named.",
                retryable: false)
        case 400, 422:
            return make(
                .invalidRequest,
                "Dify rejected \(context.call) for app \(app) (\(responded)). Fix the request the message names; "
                    + "the same request will fail again.",
                retryable: false)
        case 401:
            return make(.unauthorized, unauthorizedReason(responded: responded, app: app), retryable: false)
        case 403:
            return make(.forbidden, forbiddenReason(responded: responded, app: app), retryable: false)
        case 404 where difyCode == nil:
            return make(
                .routeNotFound,
                "No Dify API route serves \(context.call) for app \(app) (\(responded)). Check base_url of app "
                    + "\(app): it must be the API base that Dify's API Access page shows, ending in /v1 (for "
                    + "example http://dify.internal/v1), and the Dify version must have this endpoint.",
                retryable: false)
        case 404:
            return make(
                .notFound, "Dify found nothing for \(context.call) of app \(app) (\(responded)).", retryable: false)
        case 405:
            return make(.methodNotAllowed, methodReason(responded: responded, context: context), retryable: false)
        case 413, 415:
            return make(.fileRejected, fileReason(responded: responded, app: app), retryable: false)
        case 429:
            return make(
                .throttled,
                "Dify or a proxy in front of it is limiting requests of app \(app) (\(responded)). Retry after "
                    + "a backoff, or lower limits.requests_per_second for app \(app).",
                retryable: true, throttle: true)
        case 500:
            return make(.serverError, serverReason(responded: responded, app: app), retryable: true)
        case 502, 503, 504:
            return make(
                .gatewayError,
                "The proxy in front of Dify returned \(responded) for app \(app): Dify or the proxy is down or "
                    + "overloaded. Retrying with a backoff; if it lasts, check the Dify API containers.",
                retryable: true)
        case 500...599:
            return make(.serverError, serverReason(responded: responded, app: app), retryable: true)
        default:
            return make(
                .unexpectedStatus,
                "Dify returned an unexpected status for \(context.call) of app \(app) (\(responded)). Check "
                    + "base_url of app \(app) and the Dify version.",
                retryable: false)
        }
    }

    // MARK: - Reasons shared by several rows

    private static func wrongKindReason(code: String, responded: String, app: String) -> String {
        switch code {
        case "not_chat_app":
            return "App \(app) is not a chat app (\(responded)). It is a workflow or completion app: set the mode of "
                + "app \(app) and the job's kind to workflow or completion, as GET /info reports."
        case "not_completion_app":
            return "App \(app) is not a completion app (\(responded)). It is a workflow or chat app: set the mode "
                + "of app \(app) and the job's kind to workflow or chatflow, as GET /info reports."
        default:
            return "App \(app) is not a workflow app (\(responded)). It is a chat or completion app: set the mode "
                + "of app \(app) and the job's kind to chatflow or completion, as GET /info reports."
        }
    }

    private static func unauthorizedReason(responded: String, app: String) -> String {
        "Dify rejected the API key of app \(app) (\(responded)). Check the API key configured for app \(app) via "
            + "api_key_env or api_key_file: it must be this app's Service API key from its API Access page in "
            + "Dify, and the key may have been deleted there."
    }

    private static func forbiddenReason(responded: String, app: String) -> String {
        "Dify refused access to app \(app) (\(responded)). The app may be deleted or disabled, its Service API "
            + "turned off, or its workspace archived: check the app in Dify."
    }

    private static func fileReason(responded: String, app: String) -> String {
        "Dify rejected a file sent to app \(app) (\(responded)). Send a smaller file, or a type the app's file "
            + "upload settings allow."
    }

    private static func methodReason(responded: String, context: DifyRequestContext) -> String {
        "Dify does not accept \(context.call) for app '\(context.app)' (\(responded)). Check that base_url of app "
            + "'\(context.app)' ends in /v1 and that this Dify version has the endpoint."
    }

    private static func serverReason(responded: String, app: String) -> String {
        "Dify failed with a server error on app \(app) (\(responded)). Retrying with a backoff; if it lasts, check "
            + "the Dify API server's logs."
    }

    private static func responseSummary(status: Int, code: String?, message: String?, bodyNote: String?) -> String {
        var parts = ["HTTP \(status)"]
        if let code { parts.append(code) }
        var summary = parts.joined(separator: " ")
        if let message, !message.isEmpty { summary += ": \(message)" }
        if let bodyNote { summary += " with \(bodyNote)" }
        return summary
    }

    /// Describes a body that is not JSON: its type and a short excerpt with tags removed.
    private static func nonJSONBodyNote(_ body: Data, contentType: String?, context: DifyRequestContext) -> String {
        guard !body.isEmpty else { return "an empty body" }
        let raw = String(decoding: body.prefix(2048), as: UTF8.self)
        let withoutTags = raw.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
        let words = withoutTags.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let excerpt = words.count > 160 ? String(words.prefix(160)) + "…" : words
        let kind = contentType.map { "a \($0) body" } ?? "a non-JSON body"
        return excerpt.isEmpty ? kind : "\(kind) \"\(context.scrub(excerpt))\""
    }

    private static func header(_ name: String, in headers: [String: String]) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    static func seconds(_ duration: Duration) -> Int64 {
        duration.components.seconds
    }

    // MARK: - Retry-After

    /// Parses a `Retry-After` value: delay seconds, or an HTTP date turned into the time left
    /// from `now` (zero when it has passed). Nil for anything else.
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            return Int64(text).map { .seconds($0) } ?? .seconds(Int64.max / 1_000_000_000_000)
        }
        guard let date = HTTPDate.parse(text) else { return nil }
        let wait = max(0, date.timeIntervalSince(now))
        return .seconds(wait.rounded(.up))
    }
}
