import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Calls Dify's Service API for any number of apps: runs (streaming or blocking), stop,
/// run lookup, app info and parameters.
///
/// One client serves the whole process; it keeps one URLSession whose delegate receives
/// stream bytes chunk by chunk as they arrive. Every method throws `DifyError`, classified
/// as `DifyError.classify(httpStatus:body:headers:context:now:)` describes. Cancelling the
/// calling Swift task cancels the HTTP request at once and throws code `cancelled`.
///
/// - Important: `onEvent` runs on the session's serial delegate queue, once per event and in
///   stream order, before the run's method returns. It must return quickly: a slow callback
///   delays every stream of this client.
public final class DifyClient: Sendable {
    public let configuration: DifyClientConfiguration
    /// Sessions with a serial delegate queue each; requests take them in turn, so streams are
    /// parsed on several threads while each stream's callbacks stay in order.
    private let lanes: [(session: URLSession, delegate: DifySessionDelegate)]
    private let nextLane = Atomic<Int>(0)
    private let logger: Logger

    public init(configuration: DifyClientConfiguration = DifyClientConfiguration(), logger: Logger? = nil) {
        self.configuration = configuration
        self.logger = logger ?? Logger(label: "dify.client")

        let sessionConfiguration = URLSessionConfiguration.ephemeral
        let sessionCount = max(1, configuration.sessionCount)
        sessionConfiguration.httpMaximumConnectionsPerHost = max(1, (configuration.maxConnectionsPerHost + sessionCount - 1) / sessionCount)
        sessionConfiguration.requestCachePolicy = .reloadIgnoringLocalCacheData
        sessionConfiguration.urlCache = nil
        sessionConfiguration.httpCookieStorage = nil
        // The exchanges enforce every deadline themselves, so URLSession's own timers are
        // pushed out of the way.
        sessionConfiguration.timeoutIntervalForRequest = DifyClient.sessionTimeout
        sessionConfiguration.timeoutIntervalForResource = DifyClient.sessionTimeout

        // A serial queue per session keeps each task's callbacks in order. One session parsed
        // every stream on one thread: 50 runs starting together waited for each other.
        lanes = (0..<sessionCount).map { index in
            let queue = OperationQueue()
            queue.name = "dify.client.delegate.\(index)"
            queue.maxConcurrentOperationCount = 1
            let delegate = DifySessionDelegate()
            return (URLSession(configuration: sessionConfiguration, delegate: delegate, delegateQueue: queue), delegate)
        }
    }

    deinit {
        for lane in lanes {
            lane.session.finishTasksAndInvalidate()
        }
    }

    private static let sessionTimeout: TimeInterval = 7 * 86_400

    // MARK: - Runs

    /// Runs a workflow app with `POST /workflows/run` (or `/workflows/{workflow_id}/run`).
    ///
    /// In streaming mode `onEvent` receives each event as it arrives, `workflow_started`
    /// first, so the caller can record the run id and task id before the run ends. The
    /// method returns at `workflow_finished` (or `workflow_paused`), whatever the run's
    /// status: a failed run is an outcome, not a thrown error. Blocking mode returns the
    /// single response and never calls `onEvent`.
    ///
    /// - Throws: `DifyError`. An `error` event in the stream is classified like an HTTP
    ///   error response. A stream that ends, breaks or goes idle before its final event throws code
    ///   `streamBroken` with the run id and task id seen so far (nil when `workflow_started`
    ///   never arrived) and the partial outcome.
    public func runWorkflow(
        app: DifyAppEndpoint, request: WorkflowRunRequest,
        onEvent: @escaping @Sendable (DifyStreamEvent) -> Void = { _ in }
    ) async throws -> DifyRunOutcome {
        var body: [String: JSONValue] = ["inputs": .object(request.inputs)]
        if let files = request.files { body["files"] = .array(files) }
        var path = "/workflows/run"
        if let workflowID = request.workflowID {
            path = "/workflows/\(try pathComponent(workflowID, name: "workflow_id", app: app))/run"
        }
        return try await run(
            app: app, kind: .workflow, path: path, body: body, user: request.user, mode: request.responseMode,
            traceID: request.traceID, onEvent: onEvent)
    }

    /// Sends a message to a chatflow, chat or agent-chat app with `POST /chat-messages`.
    ///
    /// A chatflow's stream carries workflow events too; the method returns once both
    /// `message_end` and `workflow_finished` arrived, in either order. The answer pieces are
    /// joined in the outcome's `answer`, and `message_end` usage fills `usage`.
    ///
    /// - Throws: `DifyError`, as `runWorkflow` does.
    public func runChat(
        app: DifyAppEndpoint, request: ChatRequest, onEvent: @escaping @Sendable (DifyStreamEvent) -> Void = { _ in }
    ) async throws -> DifyRunOutcome {
        var body: [String: JSONValue] = ["inputs": .object(request.inputs), "query": .string(request.query)]
        if let conversationID = request.conversationID, !conversationID.isEmpty {
            body["conversation_id"] = .string(conversationID)
        }
        if let files = request.files { body["files"] = .array(files) }
        if let workflowID = request.workflowID { body["workflow_id"] = .string(workflowID) }
        if let autoGenerateName = request.autoGenerateName { body["auto_generate_name"] = .bool(autoGenerateName) }
        return try await run(
            app: app, kind: .chat, path: "/chat-messages", body: body, user: request.user,
            mode: request.responseMode, traceID: request.traceID, onEvent: onEvent)
    }

    /// Runs a completion app with `POST /completion-messages`; returns at `message_end`.
    ///
    /// - Throws: `DifyError`, as `runWorkflow` does.
    public func runCompletion(
        app: DifyAppEndpoint, request: CompletionRequest,
        onEvent: @escaping @Sendable (DifyStreamEvent) -> Void = { _ in }
    ) async throws -> DifyRunOutcome {
        var body: [String: JSONValue] = ["inputs": .object(request.inputs)]
        if let files = request.files { body["files"] = .array(files) }
        return try await run(
            app: app, kind: .completion, path: "/completion-messages", body: body, user: request.user,
            mode: request.responseMode, traceID: request.traceID, onEvent: onEvent)
    }

    private func run(
        app: DifyAppEndpoint, kind: DifyAppKind, path: String, body: [String: JSONValue], user: String,
        mode: DifyResponseMode, traceID: String?, onEvent: @escaping @Sendable (DifyStreamEvent) -> Void
    ) async throws -> DifyRunOutcome {
        let context = DifyRequestContext(app: app.name, method: "POST", path: path, apiKey: app.apiKey)
        try requireUser(user, context: context)

        var body = body
        body["user"] = .string(user)
        body["response_mode"] = .string(mode.rawValue)
        var headers: [String: String] = [:]
        if let traceID {
            if DifyTraceID.isValid(traceID) {
                body["trace_id"] = .string(traceID)
                headers["X-Trace-Id"] = traceID
            } else {
                logger.debug("Dify trace id left out: it does not match ^[a-zA-Z0-9\\-_]{1,128}$", [LogKey.app: app.name])
            }
        }

        let blocking = mode == .blocking
        let limits = DifyExchangeLimits(
            headersTimeout: blocking ? configuration.blockingTimeout : configuration.requestTimeout,
            headersTimeoutSetting: blocking ? "blockingTimeout" : "requestTimeout",
            headersTimeoutRetryable: !blocking,
            idleTimeout: configuration.streamIdleTimeout,
            bodyTimeout: configuration.requestTimeout,
            maxBodyBytes: configuration.maxResponseBytes,
            maxEventBytes: configuration.maxEventBytes
        )
        let exchange = DifyExchange(context: context, runKind: kind, limits: limits, onEvent: onEvent)
        let request = makeRequest(
            app: app, method: "POST", url: app.url(path), body: JSONValue.object(body).compactData(),
            accept: blocking ? "application/json" : "text/event-stream", headers: headers)

        logger.debug("Dify run requested", [LogKey.app: app.name, LogKey.path: path, "dify.response_mode": mode.rawValue])
        let result = try await perform(request, exchange: exchange)

        switch result {
        case .stream(let builder):
            if let streamError = builder.streamError {
                var error = DifyError.classify(
                    streamError: streamError, context: context, runID: builder.runID, taskID: builder.taskID)
                error.partialOutcome = builder.outcome()
                throw error
            }
            let outcome = builder.outcome()
            logger.debug(
                "Dify run ended",
                [LogKey.app: app.name, LogKey.difyRunID: outcome.runID ?? "", LogKey.status: outcome.status])
            return outcome
        case .body(let status, let headers, let data):
            guard (200...299).contains(status) else {
                throw DifyError.classify(httpStatus: status, body: data, headers: headers, context: context)
            }
            return try DifyClient.blockingOutcome(data, kind: kind, context: context)
        }
    }

    /// Reads a blocking response: `{task_id, workflow_run_id, data: {...}}` for workflows,
    /// `{event: "message", task_id, message_id, conversation_id, answer, metadata}` for
    /// chat and completion apps.
    static func blockingOutcome(_ data: Data, kind: DifyAppKind, context: DifyRequestContext) throws -> DifyRunOutcome {
        guard let json = try? JSONValue.parse(data), json.objectValue != nil else {
            throw invalidResponse(context, "is not a JSON object")
        }
        if let run = json.present("data"), run.objectValue != nil {
            let summary = DifyWorkflowSummary(json: json, data: run)
            guard let status = summary.status else { throw invalidResponse(context, "has no data.status") }
            return DifyRunOutcome(
                kind: kind, runID: summary.runID, taskID: json.text("task_id"), workflowID: summary.workflowID,
                status: status, outputs: summary.outputs, error: summary.error, totalTokens: summary.totalTokens,
                totalSteps: summary.totalSteps, elapsedMilliseconds: milliseconds(fromSeconds: summary.elapsedTime),
                createdAt: summary.createdAt, finishedAt: summary.finishedAt, exceptionsCount: summary.exceptionsCount)
        }
        guard json["answer"] != nil else { throw invalidResponse(context, "has neither data nor answer") }
        let message = DifyMessageChunk(json: json)
        let usage = json["metadata"]?.present("usage").map(DifyUsage.init(json:))
        return DifyRunOutcome(
            kind: kind, runID: json.text("workflow_run_id"), taskID: message.taskID, status: "succeeded",
            totalTokens: usage?.totalTokens, elapsedMilliseconds: milliseconds(fromSeconds: usage?.latency),
            createdAt: message.createdAt, totalPrice: usage?.totalPrice, currency: usage?.currency,
            answer: message.answer, messageID: message.messageID, conversationID: message.conversationID, usage: usage)
    }

    // MARK: - Other endpoints

    /// Stops a streaming run: `POST /workflows/tasks/{task_id}/stop` for workflows,
    /// `/chat-messages/{task_id}/stop` for chat apps, `/completion-messages/{task_id}/stop`.
    ///
    /// `user` must be the one that started the run: older Dify builds ignore a stop from
    /// another user. Dify 1.9.2 returns success even for a finished or unknown task.
    ///
    /// - Throws: `DifyError`.
    public func stopTask(app: DifyAppEndpoint, taskID: String, user: String, kind: DifyAppKind) async throws {
        let task = try pathComponent(taskID, name: "task_id", app: app)
        let path: String
        switch kind {
        case .workflow: path = "/workflows/tasks/\(task)/stop"
        case .chatflow, .chat: path = "/chat-messages/\(task)/stop"
        case .completion: path = "/completion-messages/\(task)/stop"
        }
        let context = DifyRequestContext(app: app.name, method: "POST", path: path, apiKey: app.apiKey)
        try requireUser(user, context: context)
        _ = try await call(app: app, context: context, body: JSONValue.object(["user": .string(user)]).compactData())
        logger.debug("Dify task stop requested", [LogKey.app: app.name, LogKey.difyTaskID: taskID])
    }

    /// Looks a run up with `GET /workflows/run/{workflow_run_id}`; nil when Dify does not
    /// know it (Dify 1.9.2 returns 200 with every field null; newer builds return 404 `not_found`).
    ///
    /// - Throws: `DifyError`; code `invalidRequest` without a request when `runID` is not a
    ///   UUID, because Dify 1.9.2 fails such ids with a 500.
    public func getWorkflowRun(app: DifyAppEndpoint, runID: String) async throws -> DifyWorkflowRun? {
        guard UUID(uuidString: runID) != nil else {
            throw DifyError(
                code: .invalidRequest,
                reason: "Run id \"\(runID)\" of app '\(app.name)' is not a UUID; Dify run ids are UUIDs such as "
                    + "5d03ab57-a307-4718-b363-d52e1266c892, so it was not looked up.",
                retryable: false, app: app.name)
        }
        let path = "/workflows/run/\(runID.lowercased())"
        let context = DifyRequestContext(app: app.name, method: "GET", path: path, apiKey: app.apiKey)
        do {
            let json = try await call(app: app, context: context, body: nil)
            return DifyWorkflowRun(json: json)
        } catch let error as DifyError where error.code == .notFound {
            return nil
        }
    }

    /// Reads the app's name and mode with `GET /info`.
    ///
    /// - Throws: `DifyError`.
    public func info(app: DifyAppEndpoint) async throws -> DifyAppInfo {
        let context = DifyRequestContext(app: app.name, method: "GET", path: "/info", apiKey: app.apiKey)
        return DifyAppInfo(json: try await call(app: app, context: context, body: nil))
    }

    /// Reads the app's input form with `GET /parameters`.
    ///
    /// - Throws: `DifyError`.
    public func parameters(app: DifyAppEndpoint) async throws -> DifyAppParameters {
        let context = DifyRequestContext(app: app.name, method: "GET", path: "/parameters", apiKey: app.apiKey)
        return DifyAppParameters(json: try await call(app: app, context: context, body: nil))
    }

    // MARK: - Transport

    /// Sends a short call and returns its JSON response, throwing for a non-2xx status.
    private func call(app: DifyAppEndpoint, context: DifyRequestContext, body: Data?) async throws -> JSONValue {
        let limits = DifyExchangeLimits(
            headersTimeout: configuration.requestTimeout, headersTimeoutSetting: "requestTimeout",
            headersTimeoutRetryable: true, idleTimeout: configuration.requestTimeout,
            bodyTimeout: configuration.requestTimeout, maxBodyBytes: configuration.maxResponseBytes,
            maxEventBytes: configuration.maxEventBytes)
        let exchange = DifyExchange(context: context, runKind: nil, limits: limits, onEvent: nil)
        let request = makeRequest(
            app: app, method: context.method, url: app.url(context.path), body: body, accept: "application/json",
            headers: [:])

        guard case .body(let status, let headers, let data) = try await perform(request, exchange: exchange) else {
            throw DifyClient.invalidResponse(context, "is an event stream")
        }
        guard (200...299).contains(status) else {
            throw DifyError.classify(httpStatus: status, body: data, headers: headers, context: context)
        }
        guard let json = try? JSONValue.parse(data), json.objectValue != nil else {
            throw DifyClient.invalidResponse(context, "is not a JSON object")
        }
        return json
    }

    private func perform(_ request: URLRequest, exchange: DifyExchange) async throws -> DifyExchangeResult {
        let lane = lanes[nextLane.wrappingAdd(1, ordering: .relaxed).oldValue % lanes.count]
        let task = lane.session.dataTask(with: request)
        lane.delegate.register(exchange, for: task)
        defer { lane.delegate.unregister(task) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                exchange.start(task, continuation: continuation)
            }
        } onCancel: {
            exchange.cancel()
        }
    }

    private func makeRequest(
        app: DifyAppEndpoint, method: String, url: URL, body: Data?, accept: String, headers: [String: String]
    ) -> URLRequest {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: DifyClient.sessionTimeout)
        request.httpMethod = method
        request.setValue("Bearer \(app.apiKey)", forHTTPHeaderField: "Authorization")
        request.setValue(accept, forHTTPHeaderField: "Accept")
        request.setValue(configuration.userAgent, forHTTPHeaderField: "User-Agent")
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return request
    }

    private func requireUser(_ user: String, context: DifyRequestContext) throws {
        guard user.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        throw DifyError(
            code: .invalidRequest,
            reason: "The user for \(context.call) of app '\(context.app)' is empty; Dify requires one. Set the "
                + "job's user (the end-user id Dify records, such as scheduler).",
            retryable: false, app: context.app)
    }

    private func pathComponent(_ value: String, name: String, app: DifyAppEndpoint) throws -> String {
        guard !value.isEmpty,
            let escaped = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-", "_", "."]))
        else {
            throw DifyError(
                code: .invalidRequest, reason: "The \(name) for app '\(app.name)' is empty; pass the id Dify returned.",
                retryable: false, app: app.name)
        }
        return escaped
    }

    private static func invalidResponse(_ context: DifyRequestContext, _ problem: String) -> DifyError {
        DifyError(
            code: .invalidResponse,
            reason: "Dify's response to \(context.call) for app '\(context.app)' \(problem); check that base_url of "
                + "app '\(context.app)' points at Dify's Service API.",
            retryable: false, app: context.app)
    }
}
