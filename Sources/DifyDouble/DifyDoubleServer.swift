import Foundation
import Shared
import Synchronization

/// The Dify Service API double: routes, authentication, request checks and runs.
///
/// Checks run in Dify 1.9.2's order. Routing comes first (HTML 404, JSON 405), then the API
/// key (401), the JSON body (400 `bad_request`), `user` (400 `invalid_param`) and the request
/// shape (400 `errors` body). The app's mode, the per-app concurrency cap and the inputs follow.
final class DifyDoubleServer: Sendable {
    let options: DoubleOptions
    private let apps: [String: DifyApp]
    private let defaultApp: DifyApp
    private let acceptAnyKey: Bool
    private let runs = RunStore()
    private let controls: DoubleControls
    private let requestLog = RequestLog()
    private let active = Mutex<[String: Int]>([:])
    private let publicBaseURL = Mutex("http://127.0.0.1")
    private let logger = Logger(label: "dify-double")

    init(options: DoubleOptions) {
        self.options = options
        var apps: [String: DifyApp] = [:]
        for key in options.defaultKeys { apps[key] = DifyApp(key: key, mode: options.defaultMode) }
        for app in options.extraApps { apps[app.key] = DifyApp(key: app.key, mode: app.mode) }
        self.apps = apps
        defaultApp = DifyApp(key: options.defaultKeys.first ?? "any", mode: options.defaultMode)
        acceptAnyKey = apps.isEmpty
        controls = DoubleControls(maxConcurrency: options.maxConcurrency)
    }

    func setPublicBaseURL(_ url: String) {
        publicBaseURL.withLock { $0 = url }
    }

    // MARK: - Routing

    var handler: @Sendable (HTTPRequest) async -> HTTPResponse {
        var router = Router(logger: logger)
        router.notFound = { _ in DifyResponses.notFoundHTML }
        router.methodNotAllowed = { _, _ in DifyResponses.methodNotAllowed }

        router.post("/v1/workflows/run") { [self] request, _ in await authenticated(request) { try await runWorkflow(request, app: $0) } }
        router.post("/v1/workflows/{workflow_id}/run") { [self] request, parameters in
            await authenticated(request) { app in
                guard parameters["workflow_id"] == app.workflowID else {
                    let id = parameters["workflow_id"] ?? ""
                    return DifyResponses.error(404, "not_found", "Workflow not found with id: \(id)")
                }
                return try await runWorkflow(request, app: app)
            }
        }
        router.post("/v1/workflows/tasks/{task_id}/stop") { [self] request, parameters in
            await authenticated(request) { try stop(request, taskID: parameters["task_id"] ?? "", app: $0) }
        }
        router.post("/v1/chat-messages/{task_id}/stop") { [self] request, parameters in
            await authenticated(request) { try stop(request, taskID: parameters["task_id"] ?? "", app: $0) }
        }
        router.post("/v1/completion-messages/{task_id}/stop") { [self] request, parameters in
            await authenticated(request) { try stop(request, taskID: parameters["task_id"] ?? "", app: $0) }
        }
        router.get("/v1/workflows/run/{run_id}") { [self] request, parameters in
            await authenticated(request) { runDetail(parameters["run_id"] ?? "", app: $0) }
        }
        router.get("/v1/workflows/logs") { [self] request, _ in await authenticated(request) { logs(request, app: $0) } }
        router.get("/v1/info") { [self] request, _ in await authenticated(request) { info($0) } }
        router.get("/v1/parameters") { [self] request, _ in
            await authenticated(request) { _ in DifyResponses.raw(200, RecordedBodies.parameters + "\n") }
        }
        router.get("/v1/meta") { [self] request, _ in
            await authenticated(request) { _ in DifyResponses.raw(200, RecordedBodies.meta + "\n") }
        }
        router.get("/v1/site") { [self] request, _ in
            await authenticated(request) { _ in DifyResponses.raw(200, RecordedBodies.site + "\n") }
        }
        router.post("/v1/chat-messages") { [self] request, _ in
            await authenticated(request) { try await runMessage(request, app: $0, endpoint: .chat) }
        }
        router.post("/v1/completion-messages") { [self] request, _ in
            await authenticated(request) { try await runMessage(request, app: $0, endpoint: .completion) }
        }

        router.get("/_double/requests") { [self] request, _ in
            .json(200, requestLog.json(since: request.query("since").flatMap(Int.init) ?? 0))
        }
        router.get("/_double/config") { [self] _, _ in .json(200, controls.json) }
        router.post("/_double/config") { [self] request, _ in try configure(request) }
        router.post("/_double/reset") { [self] _, _ in
            runs.reset()
            requestLog.clear()
            controls.reset(maxConcurrency: options.maxConcurrency)
            return .json(200, .object(["result": .string("success")]))
        }

        let routes = router
        let log = requestLog
        return { request in
            guard !request.path.hasPrefix("/_double/") else { return await routes.handle(request) }
            let sequence = log.append(request, at: Date())
            let response = await routes.handle(request)
            log.setStatus(response.status, for: sequence)
            return response
        }
    }

    // MARK: - Authentication

    /// Runs `body` with the app of the request's API key, or returns Dify's 401 response.
    private func authenticated(_ request: HTTPRequest, _ body: (DifyApp) async throws -> HTTPResponse) async -> HTTPResponse {
        guard let header = request.header("Authorization"), header.contains(" ") else {
            return DifyResponses.unauthorized("Authorization header must be provided and start with 'Bearer'")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return DifyResponses.unauthorized("Authorization scheme must be 'Bearer'")
        }
        let key = parts[1].trimmingCharacters(in: .whitespaces)
        let app: DifyApp
        if let known = apps[key] {
            app = known
        } else if acceptAnyKey, !key.isEmpty {
            app = defaultApp
        } else {
            return DifyResponses.unauthorized("Access token is invalid")
        }

        do {
            return try await body(app)
        } catch let rejection as Rejection {
            return rejection.response
        } catch {
            logger.error("request failed", [LogKey.path: request.path, LogKey.error: "\(error)"])
            return DifyResponses.internalError
        }
    }

    /// A request the double rejects with an error response instead of running it.
    struct Rejection: Error {
        let response: HTTPResponse
    }

    // MARK: - Running workflows

    private struct RunRequest {
        let body: [String: JSONValue]
        let user: String
        let inputs: [String: JSONValue]
        let streaming: Bool
    }

    /// Parses the parts of a run request every app mode shares, in Dify's order.
    private func parseRunRequest(_ request: HTTPRequest) throws(Rejection) -> RunRequest {
        guard let parsed = try? JSONValue.parse(request.body), let body = parsed.objectValue else {
            throw Rejection(response: DifyResponses.malformedJSON)
        }
        guard let user = body["user"]?.stringValue, !user.isEmpty else {
            throw Rejection(response: DifyResponses.invalidParameter("Arg user must be provided."))
        }
        guard let inputsValue = body["inputs"], !inputsValue.isNull else {
            throw Rejection(response: DifyResponses.payloadInvalid(field: "inputs", message: "Missing required parameter in the JSON body"))
        }
        guard let inputs = inputsValue.objectValue else {
            throw Rejection(response: DifyResponses.payloadInvalid(field: "inputs", message: "Invalid value for inputs"))
        }
        var streaming = false
        if let mode = body["response_mode"], !mode.isNull {
            switch mode.stringValue {
            case "streaming"?: streaming = true
            case "blocking"?: streaming = false
            default:
                let shown = mode.stringValue ?? mode.compactText()
                throw Rejection(response: DifyResponses.payloadInvalid(
                    field: "response_mode", message: "The value '\(shown)' is not a valid choice for 'response_mode'."
                ))
            }
        }
        return RunRequest(body: body, user: user, inputs: inputs, streaming: streaming)
    }

    /// Applies the test controls: configured behaviour, `_double_*` inputs, latency and forced status.
    private func behaviour(for run: RunRequest) async throws(Rejection) -> Behaviour {
        let fromInputs: Behaviour
        do {
            fromInputs = try Behaviour.parse(run.inputs, prefix: "_double_")
        } catch {
            throw Rejection(response: DifyResponses.invalidParameter(error.message))
        }
        let behaviour = controls.takeBehaviour().merged(with: fromInputs)
        if let latency = behaviour.latency {
            try? await Task.sleep(for: latency)
        }
        if let status = behaviour.status {
            throw Rejection(response: DifyResponses.forced(status: status, retryAfter: behaviour.retryAfter))
        }
        return behaviour
    }

    private func runWorkflow(_ request: HTTPRequest, app: DifyApp) async throws -> HTTPResponse {
        let run = try parseRunRequest(request)
        guard app.mode == .workflow else {
            return DifyResponses.error(400, "not_workflow_app", DifyResponses.appModeMismatch)
        }
        let behaviour = try await behaviour(for: run)
        try enterSlot(app)

        let setup: RunSetup
        do {
            setup = try makeSetup(app: app, run: run, behaviour: behaviour)
        } catch {
            leaveSlot(app)
            throw error
        }
        return await respond(
            setup: setup,
            streaming: run.streaming,
            cutAfter: behaviour.cutAfter,
            simulate: { setup, emit in await WorkflowSimulation(setup: setup, emit: emit).run() },
            blockingBody: { [self] outcome in blockingBody(setup: setup, outcome: outcome) }
        )
    }

    private func makeSetup(app: DifyApp, run: RunRequest, behaviour: Behaviour, query: String = "") throws(Rejection) -> RunSetup {
        let validated = try InputValidation.validate(run.inputs)
        var setup = RunSetup(
            app: app,
            runID: UUID().uuidString.lowercased(),
            taskID: UUID().uuidString.lowercased(),
            user: run.user,
            topic: validated.topic,
            fail: validated.fail,
            sleep: validated.sleep,
            sleepSeconds: validated.sleepSeconds,
            mode: validated.mode,
            query: query,
            conversationID: run.body["conversation_id"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            hang: behaviour.hang,
            tokens: behaviour.tokens ?? 0,
            pingInterval: options.pingInterval,
            publicBaseURL: publicBaseURL.withLock { $0 },
            createdAt: Date()
        )
        if let price = behaviour.price { setup.price = price }
        return setup
    }

    /// Starts the run as a task of its own, so that it goes on when the client goes away.
    /// Returns its stream, or in blocking mode its result once it ends.
    private func respond(
        setup: RunSetup,
        streaming: Bool,
        cutAfter: Int?,
        simulate: @escaping @Sendable (RunSetup, @escaping @Sendable ([[UInt8]]) -> Void) async -> RunOutcome,
        blockingBody: @escaping @Sendable (RunOutcome) -> [UInt8]
    ) async -> HTTPResponse {
        let (frames, continuation) = AsyncStream<[[UInt8]]>.makeStream()
        runs.started(setup)
        let runs = self.runs
        let emit: @Sendable ([[UInt8]]) -> Void
        if streaming {
            emit = { batch in _ = continuation.yield(batch) }
        } else {
            emit = { _ in }
        }
        let task = Task { () -> RunOutcome in
            let outcome = await simulate(setup, emit)
            runs.finished(setup, outcome: outcome)
            continuation.finish()
            return outcome
        }
        runs.attach(task, to: setup)

        guard streaming else {
            // Blocking mode sends nothing, headers included, until the run has ended.
            continuation.finish()
            let outcome = await task.value
            leaveSlot(setup.app)
            return HTTPResponse(
                status: 200,
                headers: [("Content-Type", "application/json")] + DifyResponses.apiHeaders,
                bytes: blockingBody(outcome)
            )
        }

        return .stream(headers: DifyResponses.streamHeaders) { [self] writer in
            defer { leaveSlot(setup.app) }
            var events = 0
            for await batch in frames {
                var bytes: [UInt8] = []
                for frame in batch {
                    let isEvent = frame.starts(with: Self.dataPrefix)
                    if isEvent, let cutAfter, events >= cutAfter {
                        try await writer.write(bytes)
                        throw CutStream()
                    }
                    if isEvent { events += 1 }
                    bytes += frame
                }
                try await writer.write(bytes)
            }
        }
    }

    private static let dataPrefix = Array("data: ".utf8)

    private struct CutStream: Error {}

    private func blockingBody(setup: RunSetup, outcome: RunOutcome) -> [UInt8] {
        var body = OrderedJSON.object([
            ("task_id", .string(setup.taskID)),
            ("workflow_run_id", .string(setup.runID)),
            ("data", .object([
                ("id", .string(setup.runID)), ("workflow_id", .string(setup.app.workflowID)),
                ("status", .string(outcome.streamStatus)), ("outputs", outcome.outputs),
                ("error", .optionalString(outcome.error)), ("elapsed_time", .double(outcome.elapsed)),
                ("total_tokens", .int(outcome.totalTokens)), ("total_steps", .int(outcome.totalSteps)),
                ("created_at", .int(Int(setup.createdAt.timeIntervalSince1970))),
                ("finished_at", .int(Int(outcome.finishedAt.timeIntervalSince1970))),
            ])),
        ]).render(.python)
        body.append(UInt8(ascii: "\n"))
        return body
    }

    // MARK: - Chat and completion apps

    private func runMessage(_ request: HTTPRequest, app: DifyApp, endpoint: MessageSimulation.Endpoint) async throws -> HTTPResponse {
        switch (endpoint, app.mode) {
        case (.chat, .chat), (.completion, .completion):
            break
        case (.chat, _):
            return DifyResponses.error(400, "not_chat_app", DifyResponses.appModeMismatch)
        case (.completion, .workflow):
            return DifyResponses.error(400, "app_unavailable", "App unavailable, please check your app configurations.")
        case (.completion, _):
            return DifyResponses.error(400, "not_completion_app", DifyResponses.appModeMismatch)
        }

        let run = try parseRunRequest(request)
        var query = ""
        if endpoint == .chat {
            guard let text = run.body["query"]?.stringValue else {
                return DifyResponses.payloadInvalid(field: "query", message: "Missing required parameter in the JSON body")
            }
            query = text
        }
        let behaviour = try await behaviour(for: run)
        try enterSlot(app)

        let setup: RunSetup
        do {
            setup = try makeSetup(app: app, run: run, behaviour: behaviour, query: query)
        } catch {
            leaveSlot(app)
            throw error
        }
        let box = MessageBox()
        return await respond(
            setup: setup,
            streaming: run.streaming,
            cutAfter: behaviour.cutAfter,
            simulate: { setup, emit in
                let simulation = MessageSimulation(setup: setup, endpoint: endpoint, emit: emit)
                box.simulation.withLock { $0 = simulation }
                return await simulation.run()
            },
            blockingBody: { outcome in
                let body = box.simulation.withLock { $0 }?.blockingBody(outcome: outcome) ?? .object([])
                return body.render(.python) + [UInt8(ascii: "\n")]
            }
        )
    }

    private final class MessageBox: Sendable {
        let simulation = Mutex<MessageSimulation?>(nil)
    }

    // MARK: - Concurrency cap

    private func enterSlot(_ app: DifyApp) throws(Rejection) {
        let limit = controls.maxConcurrency
        let admitted = active.withLock { counts -> Bool in
            let current = counts[app.appID, default: 0]
            if limit > 0, current >= limit { return false }
            counts[app.appID] = current + 1
            return true
        }
        guard admitted else { throw Rejection(response: DifyResponses.tooManyRequests(appID: app.appID, limit: limit)) }
    }

    private func leaveSlot(_ app: DifyApp) {
        active.withLock { counts in
            let current = counts[app.appID, default: 1] - 1
            counts[app.appID] = current > 0 ? current : nil
        }
    }

    // MARK: - Other endpoints

    private func stop(_ request: HTTPRequest, taskID: String, app: DifyApp) throws(Rejection) -> HTTPResponse {
        guard let parsed = try? JSONValue.parse(request.body), let body = parsed.objectValue else {
            throw Rejection(response: DifyResponses.malformedJSON)
        }
        guard let user = body["user"]?.stringValue, !user.isEmpty else {
            throw Rejection(response: DifyResponses.invalidParameter("Arg user must be provided."))
        }
        runs.stop(taskID: taskID, appID: app.appID)
        return DifyResponses.json(200, .object([("result", .string("success"))]))
    }

    private func runDetail(_ runID: String, app: DifyApp) -> HTTPResponse {
        guard DifyApp.isUUID(runID) else { return DifyResponses.internalError }
        let fields = ["id", "workflow_id", "status", "inputs", "outputs", "error", "total_steps", "total_tokens", "created_at", "finished_at", "elapsed_time"]
        guard let record = runs.record(runID: runID.lowercased(), appID: app.appID) else {
            return DifyResponses.json(200, .object(fields.map { ($0, OrderedJSON.null) }))
        }
        let setup = record.setup
        let outcome = record.outcome
        let outputs: OrderedJSON = outcome.map { $0.status == "succeeded" ? .string($0.outputs.text(.python)) : .null } ?? .null
        return DifyResponses.json(200, .object([
            ("id", .string(setup.runID)), ("workflow_id", .string(setup.app.workflowID)),
            ("status", .string(outcome?.status ?? "running")), ("inputs", .string(setup.inputs.text(.python))),
            ("outputs", outputs), ("error", .optionalString(outcome?.error)),
            ("total_steps", .int(outcome?.totalSteps ?? 0)), ("total_tokens", .int(outcome?.totalTokens ?? 0)),
            ("created_at", .int(Int(setup.createdAt.timeIntervalSince1970))),
            ("finished_at", outcome.map { .int(Int($0.finishedAt.timeIntervalSince1970)) } ?? .null),
            ("elapsed_time", .double(outcome?.elapsed ?? 0)),
        ]))
    }

    private func logs(_ request: HTTPRequest, app: DifyApp) -> HTTPResponse {
        let page = max(1, request.query("page").flatMap(Int.init) ?? 1)
        let limit = min(100, max(1, request.query("limit").flatMap(Int.init) ?? 20))
        let status = request.query("status").flatMap { $0.isEmpty ? nil : $0 }
        let keyword = request.query("keyword").flatMap { $0.isEmpty ? nil : $0 }
        let matching = runs.finishedRecords(appID: app.appID).filter { record in
            if let status, record.outcome?.status != status { return false }
            if let keyword, !record.setup.inputs.text(.compact).contains(keyword) { return false }
            return true
        }
        let pageRecords = matching.dropFirst((page - 1) * limit).prefix(limit)
        let version = Self.versionText
        let items: [OrderedJSON] = pageRecords.map { record in
            let setup = record.setup
            let outcome = record.outcome!
            let finishedAt = Int(outcome.finishedAt.timeIntervalSince1970)
            return .object([
                ("id", .string(record.logID)),
                ("workflow_run", .object([
                    ("id", .string(setup.runID)), ("version", .string(version)), ("status", .string(outcome.status)),
                    ("error", .optionalString(outcome.error)), ("elapsed_time", .double(outcome.elapsed)),
                    ("total_tokens", .int(outcome.totalTokens)), ("total_steps", .int(outcome.totalSteps)),
                    ("created_at", .int(Int(setup.createdAt.timeIntervalSince1970))), ("finished_at", .int(finishedAt)),
                    ("exceptions_count", .int(outcome.exceptionsCount)),
                ])),
                ("created_from", .string("service-api")), ("created_by_role", .string("end_user")),
                ("created_by_account", .null),
                ("created_by_end_user", .object([
                    ("id", .string(setup.endUserID)), ("type", .string("service_api")),
                    ("is_anonymous", .bool(false)), ("session_id", .string(setup.user)),
                ])),
                ("created_at", .int(finishedAt)),
            ])
        }
        return DifyResponses.json(200, .object([
            ("page", .int(page)), ("limit", .int(limit)), ("total", .int(matching.count)),
            ("has_more", .bool(page * limit < matching.count)), ("data", .array(items)),
        ]))
    }

    /// The published workflow version, shown in logs as the time the double started.
    private static let versionText: String = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS"
        return formatter.string(from: Date())
    }()

    private func info(_ app: DifyApp) -> HTTPResponse {
        let description = app.mode == .workflow
            ? "Scheduler ground-truth workflow: Start -> HTTP(stub) -> If/Else -> (End | Tool(time) -> Iteration(HTTP) -> End). No LLM, no sandbox, no plugins."
            : "Dify test double \(app.mode.rawValue) app."
        return DifyResponses.json(200, .object([
            ("name", .string(app.name)), ("description", .string(description)), ("tags", .array([])),
            ("mode", .string(app.mode.infoMode)), ("author_name", .string("admin")),
        ]))
    }

    private func configure(_ request: HTTPRequest) throws -> HTTPResponse {
        let fields = try request.jsonBody().objectValue ?? [:]
        let known: Set<String> = ["status", "retry_after", "latency", "cut_after", "hang", "tokens", "price", "count", "max_concurrency"]
        let unknown = fields.keys.filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw HTTPError.badRequest("unknown field \(unknown.joined(separator: ", ")): use \(known.sorted().joined(separator: ", "))", field: unknown[0])
        }
        let behaviour: Behaviour
        do {
            behaviour = try Behaviour.parse(fields, prefix: "")
        } catch {
            throw HTTPError.badRequest(error.message)
        }
        var count: Int?
        if let value = fields["count"], !value.isNull {
            guard let number = value.intValue, number > 0 else { throw HTTPError.badRequest("count must be a positive whole number", field: "count") }
            count = Int(number)
        }
        var maxConcurrency: Int?
        if let value = fields["max_concurrency"], !value.isNull {
            guard let number = value.intValue, number >= 0 else {
                throw HTTPError.badRequest("max_concurrency must be 0 (no cap) or a positive whole number", field: "max_concurrency")
            }
            maxConcurrency = Int(number)
        }
        controls.configure(behaviour, count: count, maxConcurrency: maxConcurrency)
        return .json(200, controls.json)
    }
}
