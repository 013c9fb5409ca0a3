import Foundation
import Shared

/// The control API: JSON over HTTP to list, read, create, update and delete jobs, pause and
/// resume them, trigger them now, backfill a time range and list next fire instants, plus
/// `/healthz`, `/readyz` and `/metrics`. docs/control-api.md and docs/openapi.yaml describe it.
///
/// Changes go to the `jobs` topic, whichever producer serves the request; the owner of the job
/// picks them up. Every change publishes a `job_*` event naming the caller
/// (``CallerIdentity``). Bad requests get 400 with `{"error": {"code", "message", "field"}}`.
struct ControlAPI: Sendable {
    let context: ProducerContext

    /// Most instants one backfill request may emit.
    static let maxBackfill = 1000

    /// Top-level fields of a job; the API rejects others, which are most often typing errors.
    static let jobFields: Set<String> = [
        "v", "id", "app", "kind", "schedule", "inputs", "query", "conversation", "user", "response_mode", "timeout", "retry",
        "overlap", "misfire", "misfire_threshold", "catchup_window", "max_catchup", "max_delay", "priority", "expected_tokens",
        "alerts", "store_io", "managed_by", "labels", "owner", "description", "cleanup", "on_success", "on_failure",
        "deliver",
    ]

    /// Adds the API's routes to `router`.
    func register(into router: inout Router) {
        let registry = MetricsRegistry.shared
        AppParametersRoute(configuration: context.configuration).register(into: &router)
        JobPreviewRoute(context: context, checker: checker, forms: context.forms).register(into: &router)
        router.get("/healthz") { _, _ in .json(200, ["status": "ok"]) }
        router.get("/readyz") { [context] _, _ in
            let owned = context.ownedPartitions.sorted().map { JSONValue.int(Int64($0)) }
            return context.isReady
                ? .json(200, ["status": "ready", "partitions": .array(owned)])
                : .json(503, ["status": "not ready", "partitions": .array(owned)])
        }
        router.get("/metrics") { _, _ in
            HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")], bytes: Array(registry.render().utf8))
        }

        router.get("/v1/jobs") { request, _ in try await listJobs(request) }
        router.post("/v1/jobs") { request, _ in try await createJob(request) }
        router.get("/v1/jobs/{id}") { _, parameters in try await getJob(parameters["id"]!) }
        router.put("/v1/jobs/{id}") { request, parameters in try await updateJob(parameters["id"]!, request) }
        router.delete("/v1/jobs/{id}") { request, parameters in try await deleteJob(parameters["id"]!, request) }
        router.post("/v1/jobs/{id}/pause") { request, parameters in try await control(parameters["id"]!, .pause, request) }
        router.post("/v1/jobs/{id}/resume") { request, parameters in try await control(parameters["id"]!, .resume, request) }
        router.post("/v1/jobs/{id}/trigger") { request, parameters in try await triggerNow(parameters["id"]!, request) }
        router.post("/v1/jobs/{id}/backfill") { request, parameters in try await backfill(parameters["id"]!, request) }
        router.get("/v1/jobs/{id}/next") { request, parameters in try await nextFires(parameters["id"]!, request) }
    }

    // MARK: - Jobs

    // TODO: page through a catalog kept current from the jobs topic; this reads the whole topic
    // on each call, which is fine for thousands of jobs and slow for a million.
    func listJobs(_ request: HTTPRequest) async throws -> HTTPResponse {
        try request.requireKnownQueryNames(["app", "managed_by", "label"])
        var jobs = try await context.registry.allJobs().values.sorted { $0.id < $1.id }
        if let app = request.query("app") {
            jobs = jobs.filter { $0.app == app }
        }
        if let managedBy = request.query("managed_by") {
            guard ManagedBy(rawValue: managedBy) != nil else {
                throw HTTPError.badRequest("managed_by must be file or api, not \"\(managedBy)\"", field: "managed_by")
            }
            jobs = jobs.filter { $0.effectiveManagedBy.rawValue == managedBy }
        }
        if let label = request.query("label") {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw HTTPError.badRequest("label must be KEY=VALUE, such as team=ops", field: "label") }
            jobs = jobs.filter { $0.labels?[parts[0]] == parts[1] }
        }
        return .json(200, ["jobs": .array(jobs.map(Self.json)), "count": .int(Int64(jobs.count))])
    }

    func getJob(_ id: String) async throws -> HTTPResponse {
        let job = try await existingJob(id)
        let (state, next, owned) = try await stateAndNext(job: job, count: 3)
        let etag = JobDocument.entityTag(of: job)
        var response = HTTPResponse.json(200, [
            "job": Self.json(job),
            "state": state.map(\.json) ?? .null,
            "next": .array(next.map { .string(Timestamp.rfc3339($0.fireAt)) }),
            "owned_here": .bool(owned),
            "etag": .string(etag),
        ])
        response.headers.append(("ETag", etag))
        return response
    }

    func createJob(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try CallerIdentity.of(request)
        let job = try decodeJob(request, pathID: nil)
        if try await context.registry.job(id: job.id) != nil {
            throw HTTPError(status: 409, code: "job_exists", message: "job \"\(job.id)\" exists; update it with PUT /v1/jobs/\(job.id)", field: "id")
        }
        try await checkChains(job)
        try await InputFormCheck(context: context).check(job.inputs ?? [:], job: job)
        try await context.registry.put(job)
        context.metrics.apiRequests.increment(by: 1, ["kind": "create"])
        await publish(ScheduleEvent(type: .jobCreated, jobID: job.id, app: job.app, actor: caller.actor, detail: ["via": .string("api")]))
        return .json(201, ["job": Self.json(job)])
    }

    func updateJob(_ id: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try CallerIdentity.of(request)
        let job = try decodeJob(request, pathID: id)
        let existing = try await existingJob(id)
        try Self.checkEditable(existing, request)
        var stored = existing
        stored.version = Job.currentVersion
        guard stored != job else {
            return .json(200, ["job": Self.json(job), "changed": false])
        }
        try await checkChains(job, replacing: existing)
        try await InputFormCheck(context: context).check(job.inputs ?? [:], job: job)
        try await context.registry.put(job)
        context.metrics.apiRequests.increment(by: 1, ["kind": "update"])
        let fields = JobApplier.changedFields(stored, job)
        await publish(ScheduleEvent(type: .jobUpdated, jobID: id, app: job.app, actor: caller.actor, detail: [
            "via": .string("api"), "fields": .array(fields.map { .string($0) }),
        ]))
        return .json(200, ["job": Self.json(job), "changed": true, "fields": .array(fields.map { .string($0) })])
    }

    func deleteJob(_ id: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        try request.requireKnownQueryNames(["force"])
        let caller = try CallerIdentity.of(request)
        let force = try Self.flag(request.query("force"), name: "force")
        let job = try await existingJob(id)
        try Self.checkEditable(job, request)
        // A parent's run that names a deleted child only logs a warning, so the chain would break unnoticed.
        let parents = try await parents(of: id)
        if !parents.isEmpty, !force {
            throw HTTPError(
                status: 409, code: "job_chained",
                message: "job \"\(id)\" is named in on_success or on_failure of \(parents.map { "\"\($0)\"" }.joined(separator: ", ")): remove it from those chains first, or delete with ?force=true to leave them naming a missing job",
                field: "id")
        }
        try await context.registry.delete(jobID: id)
        context.metrics.apiRequests.increment(by: 1, ["kind": "delete"])
        let parentList = JSONValue.array(parents.map { .string($0) })
        await publish(ScheduleEvent(type: .jobDeleted, jobID: id, app: job.app, actor: caller.actor, detail: ["via": .string("api"), "parents": parentList]))
        return .json(200, ["deleted": .string(id), "parents": parentList])
    }

    // MARK: - Operations

    func control(_ id: String, _ action: JobControl.Action, _ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try CallerIdentity.of(request)
        let body = try optionalObject(request, fields: ["note"], route: "a \(action.rawValue) request")
        var note: String?
        if let value = body["note"] {
            guard case .string(let text) = value, text.count <= 1000 else {
                throw HTTPError.badRequest("note must be a string of at most 1000 characters", field: "note")
            }
            note = text
        }
        _ = try await existingJob(id)
        let control = JobControl(jobID: id, action: action, note: note, actor: caller.actor)
        try await context.registry.send(control)
        context.metrics.apiRequests.increment(by: 1, ["kind": action.rawValue])
        // The owner of the job applies the request and publishes job_paused or job_resumed.
        return .json(202, ["job_id": .string(id), "action": .string(action.rawValue), "request_id": .string(control.id)])
    }

    func triggerNow(_ id: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try CallerIdentity.of(request)
        let body = try optionalObject(request, fields: ["inputs"], route: "a trigger")
        let job = try await existingJob(id)
        var overrides: [String: JSONValue] = [:]
        if let value = body["inputs"] {
            guard case .object(let inputs) = value else {
                throw HTTPError.badRequest("inputs must be an object of input names to values", field: "inputs")
            }
            overrides = inputs
        }

        let now = Date()
        var trigger = TriggerFactory.trigger(for: job, scheduledAt: now, source: .manual, emittedAt: now, id: TriggerID.random())
        trigger.inputs = (trigger.inputs ?? [:]).merging(overrides) { _, new in new }
        // The inputs as rendered for this trigger, so templated values are checked too.
        try await InputFormCheck(context: context).check(trigger.inputs ?? [:], job: job)
        trigger.actor = caller.actor
        try await context.publisher.publish(trigger: trigger)
        context.metrics.triggersEmitted.increment(by: 1, ["source": "manual"])
        await publish(ScheduleEvent(type: .jobTriggered, jobID: id, triggerID: trigger.id, app: job.app, actor: caller.actor, detail: [
            "overridden_inputs": .array(overrides.keys.sorted().map { .string($0) }),
        ]))
        return .json(202, ["trigger_id": .string(trigger.id), "job_id": .string(id)])
    }

    func backfill(_ id: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try CallerIdentity.of(request)
        let body = try optionalObject(request, fields: ["from", "to", "limit", "request_id"], route: "a backfill")
        let from = try instant(body, "from")
        let to = try instant(body, "to")
        guard from <= to else { throw HTTPError.badRequest("from must not be later than to", field: "to") }
        var limit = 100
        if let value = body["limit"] {
            guard let number = value.intValue, (1...Self.maxBackfill).contains(Int(number)) else {
                throw HTTPError.badRequest("limit must be a whole number from 1 to \(Self.maxBackfill)", field: "limit")
            }
            limit = Int(number)
        }
        var requestID = TriggerID.random(prefix: "r")
        if let value = body["request_id"] {
            guard case .string(let text) = value, !text.isEmpty, text.count <= 128 else {
                throw HTTPError.badRequest("request_id must be a string of 1 to 128 characters", field: "request_id")
            }
            requestID = text
        }

        let job = try await existingJob(id)
        let schedule: CompiledSchedule
        do {
            schedule = try context.compiler.compile(job)
        } catch {
            throw HTTPError(status: 409, code: "job_invalid", message: "the stored job is invalid: \(error)", field: "schedule")
        }
        if case .delay = schedule.kind {
            throw HTTPError.badRequest("a delay schedule has no fixed instants to backfill; trigger the job instead", field: "schedule")
        }
        let fires = schedule.fires(after: from.addingTimeInterval(-1), through: to, limit: limit + 1)
        guard fires.count <= limit else {
            throw HTTPError.badRequest("the range holds more than \(limit) instants: narrow it or raise limit (at most \(Self.maxBackfill))", field: "limit")
        }

        var triggerIDs: [JSONValue] = []
        for fire in fires {
            let triggerID = "b-" + StableHash.hex(Array(StableHash.sha256("\(job.id)\u{0}\(fire.scheduledAt.millisecondsSince1970)\u{0}\(requestID)").prefix(16)))
            var trigger = TriggerFactory.trigger(for: job, scheduledAt: fire.scheduledAt, source: .backfill, id: triggerID)
            trigger.actor = caller.actor
            try await context.publisher.publish(trigger: trigger)
            triggerIDs.append(.string(triggerID))
        }
        context.metrics.triggersEmitted.increment(by: Double(fires.count), ["source": "backfill"])
        await publish(ScheduleEvent(type: .jobBackfilled, jobID: id, app: job.app, actor: caller.actor, detail: [
            "from": .string(Timestamp.rfc3339(from)), "to": .string(Timestamp.rfc3339(to)), "count": .int(Int64(fires.count)),
            "request_id": .string(requestID),
        ]))
        return .json(202, [
            "job_id": .string(id), "count": .int(Int64(fires.count)), "request_id": .string(requestID), "trigger_ids": .array(triggerIDs),
            "instants": .array(fires.map { .string(Timestamp.rfc3339($0.scheduledAt)) }),
        ])
    }

    func nextFires(_ id: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        try request.requireKnownQueryNames(["count", "render"])
        var count = 5
        if let text = request.query("count") {
            guard let number = Int(text), (1...1000).contains(number) else {
                throw HTTPError.badRequest("count must be a whole number from 1 to 1000", field: "count")
            }
            count = number
        }
        let render = try Self.flag(request.query("render"), name: "render")
        let job = try await existingJob(id)
        let (state, next, _) = try await stateAndNext(job: job, count: count)
        return .json(200, [
            "job_id": .string(id),
            "paused": .bool(state?.paused ?? false),
            "next": .array(next.map { fire in
                var entry: [String: JSONValue] = ["scheduled_at": .string(Timestamp.rfc3339(fire.scheduledAt)), "fire_at": .string(Timestamp.rfc3339(fire.fireAt))]
                if render { entry.merge(Self.renderedFields(job, scheduledAt: fire.scheduledAt)) { _, new in new } }
                return .object(entry)
            }),
        ])
    }

    // MARK: - Helpers

    func existingJob(_ id: String) async throws -> Job {
        guard JobValidator.isValidID(id) else {
            throw HTTPError.badRequest(JobValidator.invalidIDMessage(id), field: "id")
        }
        guard let job = try await context.registry.job(id: id) else {
            throw HTTPError.notFound("no job \"\(id)\"")
        }
        return job
    }

    /// The job's state and next `count` fires: from this instance when it owns the job, else
    /// from `scheduler.state`.
    private func stateAndNext(job: Job, count: Int) async throws -> (JobState?, [ScheduledFire], Bool) {
        var state: JobState?
        var owned = false
        var first: ScheduledFire?
        if let view = await context.scheduler?.view(jobID: job.id) {
            state = view.state
            first = view.next
            owned = true
        } else {
            state = try await context.registry.state(jobID: job.id)
        }
        if state?.paused == true { return (state, [], owned) }
        guard let schedule = try? context.compiler.compile(job) else { return (state, [], owned) }
        var fires: [ScheduledFire] = []
        let fired = state?.runCount ?? 0
        if let first {
            fires.append(first)
        } else if let next = schedule.nextFire(after: state?.lastScheduledAt ?? Date(), firedCount: fired) {
            fires.append(next)
        }
        if case .delay = schedule.kind { return (state, fires, owned) }
        while fires.count < count, let last = fires.last, let next = schedule.nextFire(after: last.scheduledAt, firedCount: fired + fires.count) {
            fires.append(next)
        }
        return (state, fires, owned)
    }

    /// Decodes and validates a job from the body (JSON, or YAML by `Content-Type`); `managed_by`
    /// becomes `api`.
    private func decodeJob(_ request: HTTPRequest, pathID: String?) throws -> Job {
        let document = JobDocument.read(request, pathID: pathID)
        if let issue = document.issues.first {
            throw HTTPError.badRequest(issue.message, field: issue.field)
        }
        guard let job = document.job else { throw HTTPError.badRequest("the body contains no job definition", field: "body") }
        try Self.checkSelfChain(job)
        let problems = checker.check(job).problems
        if let first = problems.first {
            var error = HTTPError.badRequest(problems.map(\.description).joined(separator: "; "), field: first.field)
            error.code = "invalid_job"
            throw error
        }
        return job
    }

    private var checker: JobChecker {
        JobChecker(configuration: context.configuration, compiler: context.compiler)
    }

    /// Rejects a change to a job from a job file, and a change made from an outdated read when
    /// the request carries `If-Match`.
    ///
    /// NOTE: the check reads the `jobs` topic and the write follows it, which is not one atomic
    /// step: two updates whose reads both come before either write can both pass.
    static func checkEditable(_ job: Job, _ request: HTTPRequest) throws {
        if job.effectiveManagedBy == .file {
            throw HTTPError(status: 409, code: "managed_by_file",
                message: "job \"\(job.id)\" comes from a job file (managed_by: file): change it in that file and run dify-producer apply", field: "managed_by")
        }
        guard let expected = request.header("If-Match") else { return }
        let current = JobDocument.entityTag(of: job)
        let tags = expected.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard tags.contains("*") || tags.contains(current) || tags.contains("W/" + current) else {
            throw HTTPError(status: 412, code: "job_changed",
                message: "job \"\(job.id)\" changed since it was read (its ETag is now \(current), not \(expected)): read it again, redo the edit and send the new ETag in If-Match",
                field: "If-Match", headers: ["ETag": current])
        }
    }

    /// Parses an optional JSON object body and rejects members other than `fields`, which are
    /// most often typing errors, as job bodies do. `route` names the request in the message.
    func optionalObject(_ request: HTTPRequest, fields: Set<String>, route: String) throws -> [String: JSONValue] {
        guard !request.body.isEmpty else { return [:] }
        guard case .object(let members) = try request.jsonBody() else {
            throw HTTPError.badRequest("the body must be a JSON object", field: "body")
        }
        if let unknown = members.keys.sorted().first(where: { !fields.contains($0) }) {
            let known = fields.sorted().joined(separator: ", ")
            throw HTTPError.badRequest("unknown field \"\(unknown)\": \(route) takes \(known.isEmpty ? "no body" : known)", field: unknown)
        }
        return members
    }

    private func instant(_ body: [String: JSONValue], _ field: String) throws -> Date {
        guard let value = body[field] else {
            throw HTTPError.badRequest("\(field) is required: an RFC 3339 instant such as 2026-03-29T01:00:00Z", field: field)
        }
        guard case .string(let text) = value, let date = Timestamp.parse(text) else {
            throw HTTPError.badRequest("\(field) must be an RFC 3339 instant such as 2026-03-29T01:00:00Z", field: field)
        }
        return date
    }

    func publish(_ event: ScheduleEvent) async {
        do {
            try await context.publisher.publish(event: event)
        } catch {
            context.logger.warning("event not published", ["event": event.type.rawValue, LogKey.jobID: event.jobID ?? "", LogKey.error: "\(error)"])
        }
    }

    static func json(_ job: Job) -> JSONValue {
        (try? JSONValue.parse(MessageCodec.encode(job))) ?? .null
    }
}
