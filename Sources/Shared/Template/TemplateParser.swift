/// Splits template text into literal text and placeholders, and checks each placeholder
/// against the scope.
struct TemplateParser {
    private enum Token: Equatable {
        case path([String])
        case string(String)
        case integer(Int)
        case pipe
        case colon
        case comma
    }

    let source: String
    let scope: TemplateScope
    private let characters: [Character]
    private var index = 0

    init(source: String, scope: TemplateScope) {
        self.source = source
        self.scope = scope
        self.characters = Array(source)
    }

    mutating func parse() throws(TemplateError) -> [Template.Segment] {
        var segments: [Template.Segment] = []
        var text = ""
        while index < characters.count {
            if characters[index] == "{", index + 1 < characters.count, characters[index + 1] == "{" {
                if !text.isEmpty { segments.append(.text(text)) }
                text = ""
                segments.append(.placeholder(try placeholder()))
            } else {
                text.append(characters[index])
                index += 1
            }
        }
        if !text.isEmpty { segments.append(.text(text)) }
        return segments
    }

    // MARK: - Placeholders

    private mutating func placeholder() throws(TemplateError) -> Template.Placeholder {
        let start = index
        index += 2
        var tokens: [Token] = []
        while true {
            skipWhitespace()
            guard index < characters.count else {
                let opened = String(characters[start..<min(characters.count, start + 40)])
                throw TemplateError(
                    code: .syntax, placeholder: opened,
                    reason: "the placeholder is not closed: end it with }}, or write {{ \"{{\" }} for literal braces")
            }
            if characters[index] == "}", index + 1 < characters.count, characters[index + 1] == "}" {
                index += 2
                break
            }
            tokens.append(try token(start: start))
        }
        let written = String(characters[start..<index])
        return try check(tokens, written: written)
    }

    private mutating func skipWhitespace() {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
    }

    private mutating func token(start: Int) throws(TemplateError) -> Token {
        let character = characters[index]
        switch character {
        case "|": index += 1; return .pipe
        case ":": index += 1; return .colon
        case ",": index += 1; return .comma
        case "\"", "'":
            var end = index + 1
            while end < characters.count, characters[end] != character { end += 1 }
            guard end < characters.count else {
                throw TemplateError(
                    code: .syntax, placeholder: String(characters[start...]),
                    reason: "the string starting with \(character) is not closed: end it with \(character)")
            }
            let text = String(characters[(index + 1)..<end])
            index = end + 1
            return .string(text)
        default:
            var end = index
            while end < characters.count, Self.isNameCharacter(characters[end]) { end += 1 }
            guard end > index else {
                let rest = String(characters[start..<min(characters.count, start + 40)])
                throw TemplateError(
                    code: .syntax, placeholder: rest,
                    reason: "unexpected \"\(character)\": a placeholder holds a name such as scheduled_at, filters after |, and quoted strings")
            }
            let word = String(characters[index..<end])
            index = end
            if let number = Int(word) { return .integer(number) }
            return .path(word.split(separator: ".", omittingEmptySubsequences: false).map(String.init))
        }
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "." || character == "-")
    }

    // MARK: - Checks

    /// The type of a placeholder's value at a point in its filter chain, for checking the filters.
    private enum Kind {
        case value
        case time
    }

    private func check(_ tokens: [Token], written: String) throws(TemplateError) -> Template.Placeholder {
        func failure(_ code: TemplateError.Code, _ reason: String) -> TemplateError {
            TemplateError(code: code, placeholder: written, reason: reason)
        }

        guard let first = tokens.first else {
            throw failure(.syntax, "the placeholder is empty: name a value such as {{ scheduled_at }}, or write {{ \"{{\" }} for literal braces")
        }
        let subject: Template.Placeholder.Subject
        var kind: Kind
        switch first {
        case .path(let path):
            subject = .path(path)
            kind = try resolve(path, written: written)
        case .string(let text):
            subject = .literal(text)
            kind = .value
        default:
            throw failure(.syntax, "a placeholder starts with a name such as scheduled_at or a quoted string")
        }

        var filters: [TemplateFilter] = []
        var position = 1
        while position < tokens.count {
            guard tokens[position] == .pipe else {
                throw failure(.syntax, "expected | before the next filter")
            }
            position += 1
            guard position < tokens.count, case .path(let nameParts) = tokens[position], nameParts.count == 1 else {
                throw failure(.syntax, "a filter name must follow |: use \(TemplateFilter.names.joined(separator: ", "))")
            }
            let name = nameParts[0]
            position += 1
            var arguments: [Token] = []
            if position < tokens.count, tokens[position] == .colon {
                position += 1
                while position < tokens.count {
                    guard tokens[position] != .pipe, tokens[position] != .colon, tokens[position] != .comma else {
                        throw failure(.syntax, "the filter \(name) is missing an argument")
                    }
                    arguments.append(tokens[position])
                    position += 1
                    guard position < tokens.count, tokens[position] == .comma else { break }
                    position += 1
                }
            }
            let filter = try self.filter(name: name, arguments: arguments, kind: kind, written: written)
            if case .date = filter { kind = .value }
            filters.append(filter)
        }
        return Template.Placeholder(source: written, subject: subject, filters: filters)
    }

    private func filter(name: String, arguments: [Token], kind: Kind, written: String) throws(TemplateError) -> TemplateFilter {
        func failure(_ code: TemplateError.Code, _ reason: String) -> TemplateError {
            TemplateError(code: code, placeholder: written, reason: reason)
        }
        func noArguments(_ filter: TemplateFilter) throws(TemplateError) -> TemplateFilter {
            guard arguments.isEmpty else { throw failure(.invalidFilter, "the filter \(name) takes no argument: remove it") }
            return filter
        }

        switch name {
        case "date":
            guard arguments.count == 1, case .string(let pattern) = arguments[0] else {
                throw failure(.invalidFilter, "date takes one quoted format, as in date: \"yyyy-MM-dd\"")
            }
            guard kind == .time else {
                throw failure(.invalidFilter, "date formats a time such as scheduled_at or previous_day.start, and this value is not one: remove the filter")
            }
            do {
                return .date(try TemplateDateFormat(pattern))
            } catch {
                throw failure(.invalidFormat, "invalid date format \"\(pattern)\": \(error.reason)")
            }
        case "default":
            switch arguments.first {
            case .string(let text)? where arguments.count == 1: return .default(text)
            case .integer(let number)? where arguments.count == 1: return .default(String(number))
            default: throw failure(.invalidFilter, "default takes one quoted text, as in default: \"none\"")
            }
        case "truncate":
            guard arguments.count == 1, case .integer(let limit) = arguments[0], limit >= 1 else {
                throw failure(.invalidFilter, "truncate takes a number of characters of at least 1, as in truncate: 200")
            }
            return .truncate(limit)
        case "json": return try noArguments(.json)
        case "upper": return try noArguments(.upper)
        case "lower": return try noArguments(.lower)
        case "trim": return try noArguments(.trim)
        default:
            throw failure(.unknownFilter, "unknown filter \"\(name)\": use \(TemplateFilter.names.joined(separator: ", "))")
        }
    }

    /// Walks `path` through the scope and returns the kind of value it names.
    private func resolve(_ path: [String], written: String) throws(TemplateError) -> Kind {
        var current = scope
        for (depth, step) in path.enumerated() {
            let prefix = path[..<depth].joined(separator: ".")
            guard !step.isEmpty else {
                throw TemplateError(code: .syntax, placeholder: written, reason: "\"\(path.joined(separator: "."))\" has an empty step: write names joined by single dots")
            }
            switch current {
            case .record(let fields):
                guard let next = fields[step] else {
                    let known = fields.keys.sorted().map { prefix.isEmpty ? $0 : "\(prefix).\($0)" }
                    throw TemplateError(
                        code: .unknownName, placeholder: written,
                        reason: "unknown name \"\(path[...depth].joined(separator: "."))\": use \(known.joined(separator: ", "))")
                }
                current = next
            case .open:
                return .value
            case .value, .time:
                throw TemplateError(
                    code: .unknownName, placeholder: written,
                    reason: "\"\(prefix)\" has no field \"\(step)\": write {{ \(prefix) }}")
            }
        }
        switch current {
        case .value, .open: return .value
        case .time: return .time
        case .record(let fields):
            let name = path.joined(separator: ".")
            let choices = fields.keys.sorted().map { "\(name).\($0)" }
            throw TemplateError(
                code: .unknownName, placeholder: written,
                reason: "\"\(name)\" is a group of values, not a value: write one of \(choices.joined(separator: ", "))")
        }
    }
}
