import Foundation

/// One mismatch between a job's `inputs` and the app's input form.
public struct InputProblem: Sendable, Hashable, CustomStringConvertible {
    /// What kind of mismatch; extensible, compare with the static members.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let name: String

        public static let missingRequired = Kind(name: "missing_required")
        public static let unknownName = Kind(name: "unknown_name")
        public static let notAnOption = Kind(name: "not_an_option")
        public static let wrongType = Kind(name: "wrong_type")
        public static let tooLong = Kind(name: "too_long")

        public var description: String { name }
    }

    public var kind: Kind
    /// The input's name, the key in `inputs`.
    public var input: String
    public var message: String

    public init(kind: Kind, input: String, message: String) {
        self.kind = kind
        self.input = input
        self.message = message
    }

    /// The dotted path of the value inside the job, such as `inputs.topic`.
    public var field: String { "inputs.\(input)" }

    public var description: String { "\(field): \(message)" }
}

/// Checks a job's `inputs` against an app's input form from `GET /parameters`.
///
/// It reports what Dify would reject or silently drop: a required input that is missing or
/// empty, a name the form lacks (Dify drops it), a select value outside the options, a value
/// of the wrong type (text and paragraph take text, number takes a number or numeric text, as
/// Dify converts it, checkbox takes true or false, json_object an object, file an object and
/// file-list a list), and text longer than the variable's max length. A text value with a
/// `{{` placeholder is rendered at each fire, so only its presence is checked. Kinds this
/// validator does not know are accepted.
public enum InputValidator {
    public static func problems(inputs: [String: JSONValue], form: [DifyInputVariable], app: String) -> [InputProblem] {
        var problems: [InputProblem] = []
        let known = Set(form.map(\.name))

        for variable in form {
            let value = inputs[variable.name]
            if isEmpty(value) {
                if variable.required {
                    problems.append(InputProblem(
                        kind: .missingRequired, input: variable.name,
                        message: "missing required input \"\(variable.name)\" (\(variable.kind)) of app \"\(app)\": add it under inputs"))
                }
                continue
            }
            if let value, let problem = check(value, against: variable, app: app) {
                problems.append(problem)
            }
        }

        for name in inputs.keys.sorted() where !known.contains(name) {
            let names = form.map(\.name).joined(separator: ", ")
            problems.append(InputProblem(
                kind: .unknownName, input: name,
                message: "unknown input \"\(name)\": app \"\(app)\" has \(names.isEmpty ? "no inputs" : "the inputs \(names)"), and Dify drops any other"))
        }
        return problems
    }

    private static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: true
        case .string(let text)?: text.isEmpty
        default: false
        }
    }

    private static func isTemplate(_ value: JSONValue) -> Bool {
        value.stringValue?.contains("{{") ?? false
    }

    private static func check(_ value: JSONValue, against variable: DifyInputVariable, app: String) -> InputProblem? {
        let name = variable.name
        func wrongType(_ expected: String) -> InputProblem {
            InputProblem(
                kind: .wrongType, input: name,
                message: "\(describe(value)) does not fit \(variable.kind) input \"\(name)\" of app \"\(app)\": give \(expected)")
        }
        if isTemplate(value) { return nil }

        switch variable.kind {
        case "text-input", "paragraph":
            guard let text = value.stringValue else { return wrongType("text, quoted if it looks like a number or boolean") }
            if let maximum = variable.maxLength, maximum > 0, text.count > maximum {
                return InputProblem(
                    kind: .tooLong, input: name,
                    message: "text of \(text.count) characters is longer than the max length \(maximum) of input \"\(name)\" of app \"\(app)\": shorten it")
            }
        case "select":
            guard let text = value.stringValue else { return wrongType("one of \(variable.options.joined(separator: ", ")), as text") }
            if !variable.options.isEmpty, !variable.options.contains(text) {
                return InputProblem(
                    kind: .notAnOption, input: name,
                    message: "\"\(text)\" is not an option of select \"\(name)\" of app \"\(app)\": use one of \(variable.options.joined(separator: ", "))")
            }
        case "number":
            switch value {
            case .int, .double:
                return nil
            case .string(let text) where Double(text.trimmingCharacters(in: .whitespaces)) != nil:
                return nil
            default:
                return wrongType("a number such as 5 or 2.5")
            }
        case "checkbox":
            if value.boolValue == nil { return wrongType("true or false") }
        case "json_object":
            if value.objectValue == nil { return wrongType("an object") }
        case "file":
            if value.objectValue == nil { return wrongType("a file object {type, transfer_method, url or upload_file_id}") }
        case "file-list":
            guard let items = value.arrayValue, items.allSatisfy({ $0.objectValue != nil }) else {
                return wrongType("a list of file objects")
            }
        default:
            return nil
        }
        return nil
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): "text \"\(text.prefix(40))\""
        case .int, .double: "number \(value.compactText())"
        case .bool(let flag): "boolean \(flag)"
        case .array: "a list"
        case .object: "an object"
        case .null: "null"
        }
    }
}
