/// A template that does not compile: the placeholder, what is wrong with it and the fix.
///
/// Templates are compiled when a job is validated, so these errors reach people running
/// `validate`, `apply` or the control API, never a fire. They are never retryable: the same
/// text fails the same way until someone edits it.
public struct TemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem; new codes may be added.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// Unbalanced braces, a bad path or a bad filter argument list.
        public static let syntax = Code(rawValue: "template_syntax")
        /// The placeholder names a value the context does not define.
        public static let unknownName = Code(rawValue: "unknown_name")
        /// The filter does not exist.
        public static let unknownFilter = Code(rawValue: "unknown_filter")
        /// The filter exists but its arguments, or the value it is given, do not fit.
        public static let invalidFilter = Code(rawValue: "invalid_filter")
        /// The `date` format has an unknown letter or an unclosed quote.
        public static let invalidFormat = Code(rawValue: "invalid_format")

        public var description: String { rawValue }
    }

    public var code: Code
    /// The placeholder as written, with its braces, or the template text for a brace error.
    public var placeholder: String
    /// The problem and its fix.
    public var reason: String

    /// Always false: template text fails the same way until it is edited.
    public var isRetryable: Bool { false }

    public init(code: Code, placeholder: String, reason: String) {
        self.code = code
        self.placeholder = placeholder
        self.reason = reason
    }

    public var description: String { "\(placeholder): \(reason)" }
}
