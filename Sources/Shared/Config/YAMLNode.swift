import CYAML
import Foundation

/// A YAML document as a tree, with the line of every node so errors can point at it.
///
/// Scalars keep their text; ``YAMLDecoder`` turns them into numbers, booleans and strings on
/// request, following YAML 1.2's core schema (`true`/`false` only, so `on:` stays a string).
/// Anchors and aliases are expanded, with a cap on the expanded size against alias bombs.
public indirect enum YAMLNode: Sendable {
    case scalar(String, quoted: Bool, mark: YAMLMark)
    case sequence([YAMLNode], mark: YAMLMark)
    case mapping([(key: YAMLNode, value: YAMLNode)], mark: YAMLMark)

    public var mark: YAMLMark {
        switch self {
        case .scalar(_, _, let mark), .sequence(_, let mark), .mapping(_, let mark): mark
        }
    }

    /// True for an unquoted `null`, `~` or empty scalar.
    public var isNull: Bool {
        if case .scalar(let text, let quoted, _) = self, !quoted {
            return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
        }
        return false
    }

    public var scalarText: String? {
        if case .scalar(let text, _, _) = self { return text }
        return nil
    }

    /// Value of `key` in a mapping node.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let pairs, _) = self else { return nil }
        return pairs.first { $0.key.scalarText == key }?.value
    }

    /// Parses the first document of `text`; an empty text gives an empty mapping.
    ///
    /// - Throws: ``ConfigError`` with the line and column of the syntax error.
    public static func parse(_ text: String, file: String = "<input>") throws -> YAMLNode {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw ConfigError(file: file, line: 0, message: "could not start the YAML parser")
        }
        defer { yaml_parser_delete(&parser) }

        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = YAMLTreeBuilder(file: file)
            return try builder.build(parser: &parser)
        }
    }

    public static func parse(contentsOf path: String) throws -> YAMLNode {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, line: 0, message: "cannot read the file: check the path and its permissions")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: 0, message: "the file is not UTF-8 text")
        }
        return try parse(text, file: path)
    }
}

/// Position of a node in its file, with 1-based line and column.
public struct YAMLMark: Sendable, Hashable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
}

/// Turns libyaml's event stream into a ``YAMLNode`` tree.
private struct YAMLTreeBuilder {
    /// Upper bound on scalars produced by alias expansion, against "billion laughs" documents.
    static let maxExpandedNodes = 1_000_000

    let file: String
    var anchors: [String: YAMLNode] = [:]
    var expandedNodes = 0

    init(file: String) {
        self.file = file
    }

    mutating func build(parser: inout yaml_parser_t) throws -> YAMLNode {
        var root: YAMLNode?
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw syntaxError(parser) }
            let type = event.type
            let mark = self.mark(event.start_mark)

            switch type {
            case YAML_STREAM_END_EVENT:
                yaml_event_delete(&event)
                return root ?? .mapping([], mark: mark)
            case YAML_DOCUMENT_START_EVENT, YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT:
                yaml_event_delete(&event)
            default:
                if root != nil {
                    yaml_event_delete(&event)
                    // Only the first document counts; a second one is ignored on purpose.
                    return root!
                }
                root = try node(startingWith: &event, parser: &parser)
            }
        }
    }

    /// Builds the node that begins with `event`, consuming events up to its end.
    private mutating func node(startingWith event: inout yaml_event_t, parser: inout yaml_parser_t) throws -> YAMLNode {
        defer { yaml_event_delete(&event) }
        let mark = self.mark(event.start_mark)

        switch event.type {
        case YAML_ALIAS_EVENT:
            let name = String(cString: event.data.alias.anchor)
            guard let target = anchors[name] else {
                throw ConfigError(file: file, line: mark.line, message: "unknown alias *\(name): define the anchor &\(name) before using it")
            }
            expandedNodes += count(target)
            guard expandedNodes <= Self.maxExpandedNodes else {
                throw ConfigError(file: file, line: mark.line, message: "aliases expand to more than \(Self.maxExpandedNodes) nodes, which looks like an alias bomb: use fewer or smaller aliases (*name), or write the repeated parts out")
            }
            return target

        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(
                decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)), as: UTF8.self)
            let quoted = scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE || scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE
                || scalar.style == YAML_LITERAL_SCALAR_STYLE || scalar.style == YAML_FOLDED_SCALAR_STYLE
            let result = YAMLNode.scalar(text, quoted: quoted, mark: mark)
            remember(anchor: scalar.anchor, node: result)
            return result

        case YAML_SEQUENCE_START_EVENT:
            let anchor = event.data.sequence_start.anchor.map { String(cString: $0) }
            var items: [YAMLNode] = []
            while true {
                var next = yaml_event_t()
                guard yaml_parser_parse(&parser, &next) == 1 else { throw syntaxError(parser) }
                if next.type == YAML_SEQUENCE_END_EVENT {
                    yaml_event_delete(&next)
                    break
                }
                items.append(try node(startingWith: &next, parser: &parser))
            }
            let result = YAMLNode.sequence(items, mark: mark)
            if let anchor { anchors[anchor] = result }
            return result

        case YAML_MAPPING_START_EVENT:
            let anchor = event.data.mapping_start.anchor.map { String(cString: $0) }
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            while true {
                var keyEvent = yaml_event_t()
                guard yaml_parser_parse(&parser, &keyEvent) == 1 else { throw syntaxError(parser) }
                if keyEvent.type == YAML_MAPPING_END_EVENT {
                    yaml_event_delete(&keyEvent)
                    break
                }
                let key = try node(startingWith: &keyEvent, parser: &parser)
                var valueEvent = yaml_event_t()
                guard yaml_parser_parse(&parser, &valueEvent) == 1 else { throw syntaxError(parser) }
                let value = try node(startingWith: &valueEvent, parser: &parser)

                if let name = key.scalarText, pairs.contains(where: { $0.key.scalarText == name }) {
                    throw ConfigError(file: file, line: key.mark.line, message: "duplicate key \"\(name)\": each key may appear once in a mapping")
                }
                pairs.append((key, value))
            }
            let result = YAMLNode.mapping(pairs, mark: mark)
            if let anchor { anchors[anchor] = result }
            return result

        default:
            throw ConfigError(file: file, line: mark.line, message: "unexpected YAML structure")
        }
    }

    private mutating func remember(anchor: UnsafeMutablePointer<yaml_char_t>?, node: YAMLNode) {
        guard let anchor else { return }
        anchors[String(cString: anchor)] = node
    }

    private func count(_ node: YAMLNode) -> Int {
        switch node {
        case .scalar: 1
        case .sequence(let items, _): items.reduce(1) { $0 + count($1) }
        case .mapping(let pairs, _): pairs.reduce(1) { $0 + count($1.key) + count($1.value) }
        }
    }

    private func mark(_ mark: yaml_mark_t) -> YAMLMark {
        YAMLMark(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func syntaxError(_ parser: yaml_parser_t) -> ConfigError {
        let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
        let context = parser.context.map { String(cString: $0) + ": " } ?? ""
        return ConfigError(
            file: file, line: Int(parser.problem_mark.line) + 1,
            message: "invalid YAML: \(context)\(problem) (column \(Int(parser.problem_mark.column) + 1))")
    }
}

extension YAMLNode {
    /// The node at a dotted path such as `apps.demo.budget.daily_cost` or
    /// `deliver.channels[0]` under `root`, or the deepest node on the way when the path goes
    /// on past what the file holds; nil when not even the first step is found.
    static func deepest(_ path: String, in root: YAMLNode) -> YAMLNode? {
        guard !path.isEmpty else { return root }
        var steps: [PathStep] = []
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indexes: [Int] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "["), let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) {
                indexes.insert(index, at: 0)
                name = name[..<open]
            }
            if !name.isEmpty { steps.append(.key(String(name))) }
            steps += indexes.map(PathStep.index)
        }
        var current = root
        var found = false
        for step in steps {
            let next: YAMLNode?
            switch (step, current) {
            case (.key(let key), .mapping):
                next = current[key]
            case (.index(let index), .sequence(let items, _)):
                next = index < items.count ? items[index] : nil
            default:
                next = nil
            }
            guard let next else { break }
            current = next
            found = true
        }
        return found ? current : nil
    }

    private enum PathStep {
        case key(String)
        case index(Int)
    }
}
