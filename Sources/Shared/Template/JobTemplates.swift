import Foundation

/// The templates in a job's `inputs` and `query`: their names, their checks and their rendering.
///
/// A job's string inputs (at any depth inside objects and arrays) and its chatflow `query` are
/// templates. The producer renders them when it emits a trigger, from the scheduled instant in
/// the schedule's `timezone` (UTC when none), and puts the rendered values into the trigger, so
/// retries and adoptions send the same inputs. The job keeps the templates as written.
///
/// Names (the `…` periods have `start`, `end` and `until`):
/// - `scheduled_at`: the fire's scheduled instant.
/// - `current_hour`, `current_day`, `current_week`, `current_month`: the local period that
///   contains `scheduled_at`; `previous_hour`, `previous_day`, `previous_week`, `previous_month`:
///   the one before it. `start` is its first instant, `end` its last second (23:59:59 for a
///   day) and `until` the first instant after it. Weeks start on Monday.
/// - `job.id`, `job.app`, `job.timezone`, `trigger.id`.
/// - `parent.job_id`, `parent.trigger_id`, `parent.status`, `parent.answer`,
///   `parent.outputs.<name>`, `parent.error`: the run that triggered a chained job. They are
///   empty in a fire with no parent (a scheduled or manual fire of the same job).
public enum JobTemplates {
    /// The period names, each with `start`, `end` and `until`.
    static let periodNames = ["hour", "day", "week", "month"].flatMap { ["current_\($0)", "previous_\($0)"] }

    /// The names a job's templates may use.
    public static let scope: TemplateScope = {
        let period = TemplateScope.record(["start": .time, "end": .time, "until": .time])
        var fields: [String: TemplateScope] = [
            "scheduled_at": .time,
            "job": .record(["id": .value, "app": .value, "timezone": .value]),
            "trigger": .record(["id": .value]),
            "parent": .record([
                "job_id": .value, "trigger_id": .value, "status": .value, "answer": .value, "outputs": .open, "error": .value,
            ]),
        ]
        for name in periodNames { fields[name] = period }
        return .record(fields)
    }()

    /// A template in a job, with where it sits.
    public struct Field: Sendable {
        /// Dotted path in the job, such as `inputs.report_date` or `query`.
        public var path: String
        public var template: Template
    }

    /// Compiles every template of `job`.
    ///
    /// - Throws: ``JobProblem``s naming the job, the field, the placeholder and the fix, one per
    ///   bad template.
    public static func compile(_ job: Job) throws(JobTemplateRejection) -> [Field] {
        var fields: [Field] = []
        var problems: [JobProblem] = []
        func visit(_ value: JSONValue, path: String) {
            switch value {
            case .string(let text):
                do {
                    let template = try Template.compile(text, scope: scope)
                    if !template.isLiteral { fields.append(Field(path: path, template: template)) }
                } catch {
                    problems.append(JobProblem(field: path, message: "template in job \"\(job.id)\": \(error.description)"))
                }
            case .array(let elements):
                for (index, element) in elements.enumerated() { visit(element, path: "\(path)[\(index)]") }
            case .object(let members):
                for (key, member) in members.sorted(by: { $0.key < $1.key }) { visit(member, path: "\(path).\(key)") }
            default:
                break
            }
        }
        for (key, value) in (job.inputs ?? [:]).sorted(by: { $0.key < $1.key }) {
            visit(value, path: "inputs.\(key)")
        }
        if let query = job.query { visit(.string(query), path: "query") }
        guard problems.isEmpty else { throw JobTemplateRejection(problems: problems) }
        return fields
    }

    /// Returns the problems of `job`'s templates, or none when all compile.
    public static func problems(in job: Job) -> [JobProblem] {
        do {
            _ = try compile(job)
            return []
        } catch {
            return error.problems
        }
    }

    /// Fields whose templates use `parent.*` without a `default` filter.
    public static func parentFields(in job: Job) -> [String] {
        ((try? compile(job)) ?? []).filter { $0.template.requires(prefix: "parent") }.map(\.path)
    }

    /// Builds the values a job's templates render with, for one fire.
    ///
    /// - Parameters:
    ///   - scheduledAt: the fire's scheduled instant.
    ///   - zone: the schedule's zone; a job whose zone fails to load renders in UTC, but such a
    ///     job never passes validation.
    public static func context(job: Job, scheduledAt: Date, triggerID: String, parent: ChainParent?, zone: ZoneRules) -> TemplateContext {
        let time = TemplateTime(scheduledAt, zone: zone)
        var values: [String: TemplateValue] = [
            "scheduled_at": .time(time),
            "job": .record(["id": .string(job.id), "app": .string(job.app), "timezone": .string(zone.identifier)]),
            "trigger": .record(["id": .string(triggerID)]),
        ]
        for unit in TemplatePeriod.Unit.allCases {
            let current = TemplatePeriod(containing: time, unit: unit)
            values["current_\(unit.rawValue)"] = current.value
            values["previous_\(unit.rawValue)"] = current.previous.value
        }
        if let parent {
            var fields: [String: TemplateValue] = [
                "job_id": .string(parent.jobID), "trigger_id": .string(parent.triggerID), "status": .string(parent.status.rawValue),
                "outputs": .json(parent.outputs ?? .object([:])),
            ]
            if let answer = parent.answer { fields["answer"] = .string(answer) }
            if let error = parent.error { fields["error"] = .string(error.message) }
            values["parent"] = .record(fields)
        }
        return TemplateContext(values)
    }

    /// Renders a job's inputs and query for a fire at `scheduledAt`.
    ///
    /// This is what the producer puts into the trigger, and what `next --render`, the control
    /// API and the console editor's preview show for a job, saved or not.
    /// - Throws: ``JobTemplateRejection`` when a template or the schedule's zone is invalid.
    public static func render(
        job: Job, scheduledAt: Date, triggerID: String, parent: ChainParent? = nil
    ) throws(JobTemplateRejection) -> RenderedInputs {
        let fields = try compile(job)
        let zone: ZoneRules
        do {
            zone = try ZoneRules.named(job.schedule.timezone ?? "UTC")
        } catch {
            throw JobTemplateRejection(problems: [JobProblem(field: "schedule.timezone", message: error.description)])
        }
        return render(job: job, fields: fields, context: context(job: job, scheduledAt: scheduledAt, triggerID: triggerID, parent: parent, zone: zone))
    }

    /// Renders with templates compiled before; paths not in `fields` keep their values.
    public static func render(job: Job, fields: [Field], context: TemplateContext) -> RenderedInputs {
        var rendered = RenderedInputs(inputs: job.inputs ?? [:], query: job.query)
        guard !fields.isEmpty else { return rendered }
        let byPath = Dictionary(fields.map { ($0.path, $0.template) }, uniquingKeysWith: { first, _ in first })

        func substitute(_ value: JSONValue, path: String) -> JSONValue {
            switch value {
            case .string:
                return byPath[path].map { $0.render(context) } ?? value
            case .array(let elements):
                return .array(elements.enumerated().map { substitute($0.element, path: "\(path)[\($0.offset)]") })
            case .object(let members):
                var result: [String: JSONValue] = [:]
                for (key, member) in members { result[key] = substitute(member, path: "\(path).\(key)") }
                return .object(result)
            default:
                return value
            }
        }
        for (key, value) in rendered.inputs {
            rendered.inputs[key] = substitute(value, path: "inputs.\(key)")
        }
        if let query = byPath["query"] {
            rendered.query = query.renderText(context)
        }
        return rendered
    }
}

/// A job's inputs and query after rendering.
public struct RenderedInputs: Sendable, Hashable {
    public var inputs: [String: JSONValue]
    public var query: String?

    public init(inputs: [String: JSONValue], query: String?) {
        self.inputs = inputs
        self.query = query
    }
}

/// A job whose templates do not compile, with one problem per bad template.
public struct JobTemplateRejection: Error, Sendable, CustomStringConvertible {
    public var problems: [JobProblem]
    public var description: String { problems.map(\.description).joined(separator: "; ") }
}
