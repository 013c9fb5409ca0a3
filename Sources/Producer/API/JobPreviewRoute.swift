import Foundation
import Shared

/// `POST /v1/jobs/preview`: checks a job without saving it and shows what it would do.
///
/// The body is a job in JSON or YAML, as for `POST /v1/jobs`; `?id=ID` previews an update of
/// that job, whose body may leave out `id`. The response is 200 whether or not the job is valid.
/// It lists `valid`, every problem (field, message, the fix part of the message, and the line
/// in a YAML body) and `warnings` (such as an app whose input form could not be read). It also
/// gives the job as it would be stored, the next `count` fires (1 to 100, default 5) in the
/// job's zone, the inputs of the next fire, and the stored job it would replace with its ETag.
/// It needs the same permission as creating a job.
struct JobPreviewRoute: Sendable {
    let context: ProducerContext
    let checker: JobChecker
    let forms: AppFormCache

    static let maxCount = 100

    func register(into router: inout Router) {
        router.post("/v1/jobs/preview") { request, _ in try await preview(request) }
    }

    func preview(_ request: HTTPRequest) async throws -> HTTPResponse {
        try request.requireKnownQueryNames(["count", "id"])
        var count = 5
        if let text = request.query("count") {
            guard let number = Int(text), (1...Self.maxCount).contains(number) else {
                throw HTTPError.badRequest("count must be a whole number from 1 to \(Self.maxCount)", field: "count")
            }
            count = number
        }
        let pathID = request.query("id")
        if let pathID, !JobValidator.isValidID(pathID) {
            throw HTTPError.badRequest(JobValidator.invalidIDMessage(pathID), field: "id")
        }

        let document = JobDocument.read(request, pathID: pathID)
        var problems = document.issues.map { Self.problem(field: $0.field, message: $0.message, line: $0.line) }
        var warnings: [JSONValue] = []
        var response: [String: JSONValue] = ["format": .string(document.format.rawValue), "job": .null, "next": .array([]), "existing": .null]

        if let job = document.job {
            response["job"] = ControlAPI.json(job)
            let outcome = checker.check(job)
            problems += outcome.problems.map { Self.problem(field: $0.field, message: $0.message, line: document.line(of: $0.field)) }
            // The chain check of create and update, which stops at its first problem.
            do {
                try await ControlAPI(context: context).checkChains(job)
            } catch let error as HTTPError {
                let field = error.field ?? "on_success"
                problems.append(Self.problem(field: field, message: error.message, line: document.line(of: field)))
            }

            let (inputProblems, inputWarning) = await inputFormProblems(job)
            problems += inputProblems.map { Self.problem(field: $0.field, message: $0.message, line: document.line(of: $0.field)) }
            if let inputWarning { warnings.append(.string(inputWarning)) }

            var firedCount = 0
            var paused = false
            if let existing = try await context.registry.job(id: job.id) {
                let state = try await context.registry.state(jobID: job.id)
                firedCount = state?.runCount ?? 0
                paused = state?.paused ?? false
                response["existing"] = existingSummary(existing, proposed: job, paused: paused)
                if existing.effectiveManagedBy == .file {
                    problems.append(Self.problem(
                        field: "id",
                        message: "job \"\(job.id)\" comes from a job file (managed_by: file): change it in that file and run dify-producer apply",
                        line: document.line(of: "id")))
                }
            }

            if let schedule = outcome.schedule {
                response["timezone"] = .string(schedule.zone.identifier)
                response["schedule_text"] = .string(Self.describe(schedule))
                let fires = Self.nextFires(schedule, count: count, firedCount: firedCount)
                response["next"] = .array(fires.map { Self.fireJSON($0, zone: schedule.zone) })
                if paused { warnings.append(.string("the job is paused: these fires happen only after it is resumed")) }
                let rendered = Self.renderedInputs(job, scheduledAt: fires.first?.scheduledAt ?? Date())
                response["inputs"] = .object(rendered.inputs)
                response["query"] = rendered.query.map(JSONValue.string) ?? .null
                response["inputs_rendered"] = .bool(rendered.isRendered)
                response["inputs_for"] = fires.first.map { .string(Timestamp.rfc3339($0.scheduledAt)) } ?? .null
                if !JobTemplates.parentFields(in: job).isEmpty {
                    warnings.append(.string("parent.* placeholders are empty here: they take the parent run's values when a parent run triggers this job"))
                }
            }
        }

        response["valid"] = .bool(problems.isEmpty && document.job != nil)
        response["problems"] = .array(problems)
        response["warnings"] = .array(warnings)
        context.metrics.apiRequests.increment(by: 1, ["kind": "preview"])
        return .json(200, .object(response))
    }

    // MARK: - Parts of the response

    /// Checks `inputs` against the workers' size cap and the app's form, as saving does; an app
    /// whose form cannot be read gives a warning instead.
    private func inputFormProblems(_ job: Job) async -> ([JobProblem], String?) {
        if let message = InputFormCheck.sizeProblem(job.inputs ?? [:]) {
            return ([JobProblem(field: "inputs", message: message)], nil)
        }
        let (problems, warning) = await formProblems(job)
        return (problems.map { JobProblem(field: $0.field, message: $0.message) }, warning)
    }

    private func formProblems(_ job: Job) async -> ([InputProblem], String?) {
        guard job.effectiveKind != .difyCleanup, context.configuration.apps[job.app] != nil else { return ([], nil) }
        switch await forms.form(app: job.app) {
        case .success(let form):
            return (InputValidator.problems(inputs: job.inputs ?? [:], form: form, app: job.app), nil)
        case .failure(let failure):
            return ([], "inputs of app \"\(job.app)\" not checked: \(failure.reason)")
        }
    }

    private func existingSummary(_ existing: Job, proposed: Job, paused: Bool) -> JSONValue {
        var stored = existing
        stored.version = Job.currentVersion
        let fields = JobApplier.changedFields(stored, proposed)
        return .object([
            "job": ControlAPI.json(existing),
            "etag": .string(JobDocument.entityTag(of: existing)),
            "managed_by": .string(existing.effectiveManagedBy.rawValue),
            "paused": .bool(paused),
            "changed_fields": .array(fields.map { .string($0) }),
        ])
    }

    /// Returns the next `count` fires from now, or one for a `delay` schedule, whose later runs
    /// depend on when runs end.
    static func nextFires(_ schedule: CompiledSchedule, count: Int, firedCount: Int) -> [ScheduledFire] {
        var fires: [ScheduledFire] = []
        var cursor = Date()
        while fires.count < count, let fire = schedule.nextFire(after: cursor, firedCount: firedCount + fires.count) {
            fires.append(fire)
            if case .delay = schedule.kind { break }
            cursor = fire.scheduledAt
        }
        return fires
    }

    static func fireJSON(_ fire: ScheduledFire, zone: ZoneRules) -> JSONValue {
        .object([
            "scheduled_at": .string(Timestamp.rfc3339(fire.scheduledAt)),
            "fire_at": .string(Timestamp.rfc3339(fire.fireAt)),
            "local": .string(LocalTimeText.format(fire.scheduledAt, zone: zone)),
            "weekday": .string(LocalTimeText.weekdayName(fire.scheduledAt, zone: zone)),
        ])
    }

    /// Returns the schedule in words, without the zone, which the response gives in `timezone`.
    static func describe(_ schedule: CompiledSchedule) -> String {
        let spec = schedule.spec
        if let cron = spec.cron { return "cron \(cron)" }
        if let every = spec.every { return "every \(every)" }
        if let delay = spec.delay { return "\(delay) after the previous run ends" }
        if let at = spec.at { return "once at \(at)" }
        return ""
    }

    /// Returns a job's inputs and chatflow query as the scheduled trigger for `scheduledAt` would
    /// carry them, rendered by the same code as at emission. `parent.*` placeholders render
    /// empty, because a preview has no parent run.
    static func renderedInputs(_ job: Job, scheduledAt: Date) -> (inputs: [String: JSONValue], query: String?, isRendered: Bool) {
        let triggerID = TriggerID.scheduled(jobID: job.id, scheduledAt: scheduledAt)
        let rendered = TriggerFactory.render(job, scheduledAt: scheduledAt, triggerID: triggerID, parent: nil)
        return (rendered.inputs, rendered.query, true)
    }

    /// Returns one problem as JSON: the field, the whole message, its instruction part (when the
    /// message has one after a colon), and the line in a YAML body.
    static func problem(field: String, message: String, line: Int?) -> JSONValue {
        var object: [String: JSONValue] = ["field": .string(field), "message": .string(message)]
        if let fix = fixPart(of: message) { object["fix"] = .string(fix) }
        object["line"] = line.map { .int(Int64($0)) } ?? .null
        return .object(object)
    }

    /// Verbs that start the instruction part of the validator's messages, such as "use 1 to 100".
    private static let fixVerbs = ["use ", "set ", "give ", "name ", "remove ", "add ", "write ", "define ", "change ", "check ", "manage ", "update "]

    /// Returns the text after the last ": " when it starts with an instruction verb, else nil.
    static func fixPart(of message: String) -> String? {
        var rest = Substring(message)
        var found: Substring?
        while let range = rest.range(of: ": ") {
            rest = rest[range.upperBound...]
            if fixVerbs.contains(where: { rest.lowercased().hasPrefix($0) }) { found = rest }
        }
        if let found { return String(found) }
        if let range = message.range(of: "; "), fixVerbs.contains(where: { message[range.upperBound...].hasPrefix($0) }) {
            return String(message[range.upperBound...])
        }
        return nil
    }
}
