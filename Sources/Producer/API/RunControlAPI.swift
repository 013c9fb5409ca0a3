import Foundation
import Shared

/// Run control over HTTP: stop a running run, cancel queued triggers, and re-run a finished
/// run with the same or edited inputs. docs/control-api.md describes each route.
///
/// Stops and cancels are `type: cancel` messages on the `triggers` topic, keyed by app like
/// the trigger they name, so they reach the worker that has it after every earlier trigger
/// of the app. That worker stops the run in Dify or drops the trigger from its queue, and the
/// result says `stopped` with `stopped_by` naming the caller. A re-run is a new trigger with
/// `source: manual` and `rerun_of` naming the original. Each request publishes an audit event
/// (`run_stop_requested` or `rerun_triggered`) with the caller as actor.
struct RunControlAPI: Sendable {
    let context: ProducerContext
    let store: RecordStore

    /// Maximum size of the `query` a re-run may set, in bytes.
    static let maxQueryBytes = 64 * 1024
    /// Maximum length of the `note` of a stop or cancel, in characters.
    static let maxNoteLength = 1000

    private var jobs: ControlAPI { ControlAPI(context: context) }

    func register(into router: inout Router) {
        router.get("/v1/runs/{trigger_id}/control") { request, parameters in try await controlState(parameters["trigger_id"]!, request) }
        router.post("/v1/runs/{trigger_id}/stop") { request, parameters in try await stop(parameters["trigger_id"]!, request) }
        router.post("/v1/runs/{trigger_id}/rerun") { request, parameters in try await rerun(parameters["trigger_id"]!, request) }
        router.post("/v1/jobs/{id}/cancel-queued") { request, parameters in try await cancelQueued(parameters["id"]!, request) }
    }

    // MARK: - State

    /// Returns the trigger's state and the actions the caller may take on it now.
    func controlState(_ triggerID: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = CallerIdentity.current
        guard let lookup = try await find(triggerID) else {
            throw unknownTrigger(triggerID)
        }
        let mayControl = caller?.role.allows(.controlRuns) ?? false
        let mayRerun = caller?.role.allows(.trigger) ?? false
        let rerunnable = lookup.record != nil && lookup.jobID != nil
        return .json(200, [
            "trigger_id": .string(triggerID),
            "state": .string(lookup.state.rawValue),
            "status": lookup.status.map(JSONValue.string) ?? .null,
            "app": lookup.app.map(JSONValue.string) ?? .null,
            "job_id": lookup.jobID.map(JSONValue.string) ?? .null,
            "rerun_of": lookup.rerunOf.map(JSONValue.string) ?? .null,
            "role": caller.map { .string($0.role.rawValue) } ?? .null,
            "actions": [
                "stop": .bool(mayControl && lookup.state == .running),
                "cancel": .bool(mayControl && lookup.state == .queued),
                "rerun": .bool(mayRerun && rerunnable),
            ],
        ])
    }

    // MARK: - Stop and cancel

    /// Stops a running run or cancels a queued trigger. The worker that has the trigger decides which.
    ///
    /// The body may name the `app` of a trigger the records store does not know yet (a scheduled
    /// fire still queued, or an external trigger), and a `note` kept in the audit event.
    func stop(_ triggerID: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try CallerIdentity.of(request)
        let body = try jobs.optionalObject(request, fields: ["note", "app"], route: "a stop")
        let note = try Self.note(body)
        let givenApp = try Self.appName(body)
        let knownApps = context.configuration.apps
        if let givenApp, !knownApps.isEmpty, knownApps[givenApp] == nil {
            // A cancel keyed by an app no worker runs would never be read.
            throw HTTPError(
                status: 404, code: "unknown_app",
                message: "unknown app \"\(givenApp)\": this producer has the apps \(knownApps.keys.sorted().joined(separator: ", ")); name one of them", field: "app")
        }

        let lookup = try await find(triggerID)
        if let lookup, lookup.state == .ended {
            throw HTTPError(
                status: 409, code: "run_ended",
                message: "run \"\(triggerID)\" already ended with status \(lookup.status ?? "unknown"), so there is nothing to stop; re-run it with POST /v1/runs/\(triggerID)/rerun",
                field: "trigger_id")
        }
        guard let app = lookup?.app ?? givenApp else {
            throw unknownTrigger(triggerID)
        }
        let state = lookup?.state.rawValue ?? "unknown"

        let message = try await publishCancel(app: app, actor: caller.actor, kind: "stop") { $0.targetTriggerID = triggerID }

        var detail: [String: JSONValue] = ["via": .string("api"), "state": .string(state), "request_id": .string(message.id)]
        if let note { detail["note"] = .string(note) }
        await jobs.publish(ScheduleEvent(type: .runStopRequested, jobID: lookup?.jobID, triggerID: triggerID, app: app, actor: caller.actor, detail: detail))
        return .json(202, [
            "trigger_id": .string(triggerID), "state": .string(state), "app": .string(app),
            "job_id": lookup?.jobID.map(JSONValue.string) ?? .null, "request_id": .string(message.id),
        ])
    }

    /// Cancels every trigger of the job that waits in a worker's queue or for its next attempt.
    /// Runs already started go on, and later fires still happen unless the job is paused.
    func cancelQueued(_ jobID: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try CallerIdentity.of(request)
        let body = try jobs.optionalObject(request, fields: ["note"], route: "a cancel-queued request")
        let note = try Self.note(body)
        let job = try await jobs.existingJob(jobID)

        // NOTE: triggers emitted before the job moved to another app wait under the old app's
        // key, on a partition this message does not reach. Cancel those one by one.
        let message = try await publishCancel(app: job.app, actor: caller.actor, kind: "cancel_queued") { $0.targetJobID = jobID }

        var detail: [String: JSONValue] = ["via": .string("api"), "scope": .string("queued"), "request_id": .string(message.id)]
        if let note { detail["note"] = .string(note) }
        await jobs.publish(ScheduleEvent(type: .runStopRequested, jobID: jobID, app: job.app, actor: caller.actor, detail: detail))
        return .json(202, ["job_id": .string(jobID), "app": .string(job.app), "request_id": .string(message.id)])
    }

    /// Publishes a `type: cancel` message keyed by `app`; `target` names what it cancels.
    private func publishCancel(app: String, actor: String, kind: String, target: (inout Trigger) -> Void) async throws -> Trigger {
        var message = Trigger(id: TriggerID.random(prefix: "c"), app: app)
        message.type = .cancel
        message.actor = actor
        message.emittedAt = Date()
        target(&message)
        try await context.publisher.publish(trigger: message)
        context.metrics.apiRequests.increment(by: 1, ["kind": kind])
        return message
    }

    // MARK: - Re-run

    /// Triggers a finished run's job again with the original's inputs, merged with the body's
    /// `inputs`, and its `query` replaced by the body's when given.
    func rerun(_ triggerID: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try CallerIdentity.of(request)
        let body = try jobs.optionalObject(request, fields: ["inputs", "query"], route: "a re-run")
        let overrides = try Self.inputOverrides(body)
        let query = try Self.query(body)

        guard let lookup = try await find(triggerID) else {
            throw unknownTrigger(triggerID)
        }
        guard let record = lookup.record else {
            throw HTTPError(
                status: 409, code: "run_not_ended",
                message: "run \"\(triggerID)\" is \(lookup.state.rawValue) and has no result yet; wait for it to end, or stop it with POST /v1/runs/\(triggerID)/stop",
                field: "trigger_id")
        }
        guard let jobID = record.jobID else {
            throw HTTPError(
                status: 409, code: "no_job",
                message: "run \"\(triggerID)\" came from a trigger without a job, so there is no job policy to re-run it with; publish a new trigger instead",
                field: "trigger_id")
        }
        guard let job = try await context.registry.job(id: jobID) else {
            throw HTTPError(
                status: 409, code: "job_deleted",
                message: "job \"\(jobID)\" of run \"\(triggerID)\" no longer exists; create it again before re-running its runs",
                field: "trigger_id")
        }
        if job.effectiveKind == .difyCleanup, !overrides.isEmpty || query != nil {
            throw HTTPError.badRequest("a dify_cleanup run has no inputs or query to edit; re-run it without a body", field: overrides.isEmpty ? "query" : "inputs")
        }
        if query != nil, job.effectiveKind != .chatflow {
            throw HTTPError.badRequest("query applies to chatflow jobs only; job \"\(jobID)\" is \(job.effectiveKind.rawValue): edit its inputs instead", field: "query")
        }
        let inputs = try Self.rerunInputs(original: record, overrides: overrides, triggerID: triggerID)
        try await InputFormCheck(context: context).check(inputs, job: job)

        let now = Date()
        var trigger = TriggerFactory.trigger(for: job, scheduledAt: now, source: .manual, emittedAt: now, id: TriggerID.random())
        trigger.inputs = inputs
        // The original's recorded question; runs recorded before results kept it ask the job's current one.
        if let asked = query ?? record.query { trigger.policy?.query = asked }
        trigger.actor = caller.actor
        trigger.rerunOf = triggerID
        try await context.publisher.publish(trigger: trigger)
        context.metrics.triggersEmitted.increment(by: 1, ["source": "manual"])

        let edited = JSONValue.array(overrides.keys.sorted().map { .string($0) })
        await jobs.publish(ScheduleEvent(type: .rerunTriggered, jobID: jobID, triggerID: trigger.id, app: job.app, actor: caller.actor, detail: [
            "rerun_of": .string(triggerID), "edited_inputs": edited, "edited_query": .bool(query != nil),
        ]))
        return .json(202, [
            "trigger_id": .string(trigger.id), "job_id": .string(jobID), "rerun_of": .string(triggerID), "edited_inputs": edited,
        ])
    }

    /// Returns the inputs of a re-run: the original's stored inputs with `overrides` on top.
    ///
    /// - Throws: ``HTTPError`` 409 when the original's inputs were not stored (`store_io:
    ///   false`) or were cut to the size cap and the overrides do not replace them.
    static func rerunInputs(original: RunRecord, overrides: [String: JSONValue], triggerID: String) throws -> [String: JSONValue] {
        let stored = original.inputs?.objectValue
        // The store replaces a value over its size cap with {"truncated": true, "size", "preview"}.
        let cut = stored.map { Set($0.keys) == ["truncated", "size", "preview"] && $0["truncated"] == .bool(true) } ?? false
        guard let stored, !cut else {
            guard !overrides.isEmpty else {
                let why = cut ? "were larger than the records' size cap and were cut" : "were not stored (the job has store_io: false)"
                throw HTTPError(
                    status: 409, code: "inputs_unavailable",
                    message: "the inputs of run \"\(triggerID)\" \(why), so they cannot be sent again; send every input in inputs",
                    field: "inputs")
            }
            return overrides
        }
        return stored.merging(overrides) { _, new in new }
    }

    // MARK: - Request fields

    private func find(_ triggerID: String) async throws -> RunLookup? {
        do {
            return try await RunLookup.find(triggerID, in: store)
        } catch let error as StoreError where error.isRetryable {
            throw HTTPError(status: 503, code: "store_unavailable", message: "the records store is not reachable; try again shortly", headers: ["Retry-After": "5"])
        }
    }

    private func unknownTrigger(_ triggerID: String) -> HTTPError {
        HTTPError.notFound(
            "no run or trigger \"\(triggerID)\" in the records store. A scheduled trigger is recorded once it starts: to cancel one still queued, "
                + "send its app as {\"app\": \"NAME\"} or cancel the job's queued triggers with POST /v1/jobs/{id}/cancel-queued")
    }

    static func note(_ body: [String: JSONValue]) throws -> String? {
        guard let value = body["note"] else { return nil }
        guard case .string(let text) = value, text.count <= maxNoteLength else {
            throw HTTPError.badRequest("note must be a string of at most \(maxNoteLength) characters", field: "note")
        }
        return text
    }

    static func appName(_ body: [String: JSONValue]) throws -> String? {
        guard let value = body["app"] else { return nil }
        guard case .string(let name) = value, !name.isEmpty, name.count <= RunLookup.maxIDLength else {
            throw HTTPError.badRequest("app must be the name of an app under the workers' apps:, 1 to \(RunLookup.maxIDLength) characters", field: "app")
        }
        return name
    }

    static func inputOverrides(_ body: [String: JSONValue]) throws -> [String: JSONValue] {
        guard let value = body["inputs"] else { return [:] }
        guard case .object(let inputs) = value else {
            throw HTTPError.badRequest("inputs must be an object of input names to values", field: "inputs")
        }
        return inputs
    }

    static func query(_ body: [String: JSONValue]) throws -> String? {
        guard let value = body["query"] else { return nil }
        guard case .string(let text) = value, !text.isEmpty, text.utf8.count <= maxQueryBytes else {
            throw HTTPError.badRequest("query must be a non-empty string of at most \(maxQueryBytes) bytes", field: "query")
        }
        return text
    }
}

extension RunControlAPI: ProducerComponent {
    func services() -> [any Service] { [] }
}
