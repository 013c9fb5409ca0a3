/// A named value a template may show: JSON, a time, or a record of named values.
public indirect enum TemplateValue: Sendable, Hashable {
    case json(JSONValue)
    case time(TemplateTime)
    case record([String: TemplateValue])

    public static func string(_ text: String) -> TemplateValue { .json(.string(text)) }

    /// Returns the value at `path` below this one, or nil when a step is missing.
    ///
    /// Inside JSON a step names an object member, or an array index written in digits.
    func value(at path: ArraySlice<String>) -> TemplateValue? {
        guard let step = path.first else { return self }
        switch self {
        case .record(let fields):
            return fields[step]?.value(at: path.dropFirst())
        case .json(.object(let members)):
            return members[step].map { TemplateValue.json($0) }?.value(at: path.dropFirst())
        case .json(.array(let elements)):
            guard let index = Int(step), elements.indices.contains(index) else { return nil }
            return TemplateValue.json(elements[index]).value(at: path.dropFirst())
        default:
            return nil
        }
    }

    /// The value as text: strings as they are, times in RFC 3339 with their offset, other JSON
    /// compact, null and records empty.
    var text: String {
        switch self {
        case .json(.string(let text)): text
        case .json(.null): ""
        case .json(let value): value.compactText(sortedKeys: true)
        case .time(let time): time.rfc3339
        case .record: ""
        }
    }

    /// The value as JSON, with times as RFC 3339 text.
    var json: JSONValue {
        switch self {
        case .json(let value): value
        case .time(let time): .string(time.rfc3339)
        case .record(let fields): .object(fields.mapValues(\.json))
        }
    }
}

/// The names a template may use, and what kind of value each one is.
///
/// Compiling against a scope turns a misspelt name into an error before anything renders:
///
/// ```swift
/// let scope = TemplateScope.record([
///     "answer": .value,
///     "outputs": .open,
///     "run": .record(["status": .value, "finished_at": .time]),
/// ])
/// let template = try Template.compile("{{ run.finished_at | date: \"yyyy-MM-dd\" }}: {{ answer }}", scope: scope)
/// let text = template.renderText(TemplateContext([
///     "answer": .string("All green"),
///     "run": .record(["status": .string("succeeded"), "finished_at": .time(TemplateTime(date, zone: .utc))]),
/// ]))
/// ```
public indirect enum TemplateScope: Sendable, Hashable {
    /// A JSON value: text, a number, a boolean, an object, or absent.
    case value
    /// A time, which the `date` filter formats.
    case time
    /// Named fields; the name alone is not a value.
    case record([String: TemplateScope])
    /// Any path below is accepted and looked up at render time, as for a run's outputs.
    case open
}

/// The values a template renders with, by name.
public struct TemplateContext: Sendable, Hashable {
    public var values: [String: TemplateValue]

    public init(_ values: [String: TemplateValue] = [:]) {
        self.values = values
    }

    /// Returns the value at a dotted path, or nil when any step is missing.
    public func value(at path: [String]) -> TemplateValue? {
        TemplateValue.record(values).value(at: path[...])
    }
}
