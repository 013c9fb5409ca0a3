/// A compiled text template: literal text and `{{ … }}` placeholders, checked against a
/// ``TemplateScope`` once and rendered many times.
///
/// Syntax:
/// - `{{ name.field }}` shows a value from the context; `{{ outputs.report.title }}` walks into
///   JSON objects, and a step of digits indexes an array (`outputs.items.0`).
/// - Filters follow a `|` and run left to right: `{{ scheduled_at | date: "yyyy-MM-dd" }}`,
///   `{{ parent.answer | default: "none" | truncate: 200 }}`. See ``TemplateFilter``.
/// - `{{ "{{" }}` writes two literal opening braces: a quoted string is a value too. A `}}`
///   outside a placeholder and a single `{` are literal text.
///
/// Rendering never fails: the scope check at compile time rejects unknown names, filters and
/// formats, and a value missing at render time (an output the run did not produce) renders as
/// empty text unless a `default` filter gives another.
public struct Template: Sendable, Hashable {
    enum Segment: Sendable, Hashable {
        case text(String)
        case placeholder(Placeholder)
    }

    struct Placeholder: Sendable, Hashable {
        enum Subject: Sendable, Hashable {
            case path([String])
            case literal(String)
        }

        /// The placeholder as written, braces included.
        var source: String
        var subject: Subject
        var filters: [TemplateFilter]
    }

    /// The template text as written.
    public let source: String
    let segments: [Segment]

    /// Compiles `source`, checking every placeholder's name, filters and formats against `scope`.
    ///
    /// - Throws: ``TemplateError`` naming the first bad placeholder and the fix.
    public static func compile(_ source: String, scope: TemplateScope) throws(TemplateError) -> Template {
        var parser = TemplateParser(source: source, scope: scope)
        return Template(source: source, segments: try parser.parse())
    }

    /// True when the text has no placeholder, so rendering returns it unchanged.
    public var isLiteral: Bool {
        !segments.contains { if case .placeholder = $0 { true } else { false } }
    }

    /// The dotted names the placeholders use, such as `previous_day.start` or `parent.answer`.
    public var names: [String] {
        segments.compactMap { segment in
            guard case .placeholder(let placeholder) = segment, case .path(let path) = placeholder.subject else { return nil }
            return path.joined(separator: ".")
        }
    }

    /// True when some placeholder using a name under `prefix` has no `default` filter.
    public func requires(prefix: String) -> Bool {
        segments.contains { segment in
            guard case .placeholder(let placeholder) = segment, case .path(let path) = placeholder.subject,
                path.first == prefix
            else { return false }
            return !placeholder.filters.contains { if case .default = $0 { true } else { false } }
        }
    }

    /// Renders the template as text.
    public func renderText(_ context: TemplateContext) -> String {
        var output = ""
        for segment in segments {
            switch segment {
            case .text(let text): output += text
            case .placeholder(let placeholder): output += Self.evaluate(placeholder, context).text
            }
        }
        return output
    }

    /// Renders the template as a JSON value.
    ///
    /// A template that is exactly one placeholder keeps the type of its value, so
    /// `"{{ parent.outputs.count }}"` renders the number 3 rather than the text "3", and an
    /// object stays an object; anything else renders as text.
    public func render(_ context: TemplateContext) -> JSONValue {
        if segments.count == 1, case .placeholder(let placeholder) = segments[0] {
            let value = Self.evaluate(placeholder, context)
            if case .json(let json) = value, !json.isNull { return json }
            return .string(value.text)
        }
        return .string(renderText(context))
    }

    private static func evaluate(_ placeholder: Placeholder, _ context: TemplateContext) -> TemplateValue {
        var value: TemplateValue?
        switch placeholder.subject {
        case .literal(let text): value = .string(text)
        case .path(let path): value = context.value(at: path)
        }
        for filter in placeholder.filters {
            value = filter.apply(to: value)
        }
        return value ?? .json(.null)
    }
}
