import CYAML

/// Reads a YAML file holding one calendar (`weekdays`, `holidays`, `workdays` lists) through libyaml.
///
/// TODO: read through the shared `YAMLNode` loader once it exists; this reader knows only the
/// calendar shape, so `next --calendar FILE.yaml` works without it.
enum CalendarFileReader {
    struct Values {
        var weekdays: [String]?
        var holidays: [String] = []
        var workdays: [String] = []
    }

    /// Owns a libyaml parser and the document loaded from it.
    private final class Document {
        var parser = yaml_parser_t()
        var document = yaml_document_t()
        var loaded = false
        let bytes: [UInt8]

        init(_ text: String) {
            bytes = Array(text.utf8)
            yaml_parser_initialize(&parser)
        }

        deinit {
            if loaded { yaml_document_delete(&document) }
            yaml_parser_delete(&parser)
        }

        func load() -> Bool {
            let ok = bytes.withUnsafeBufferPointer { buffer in
                yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
                return yaml_parser_load(&parser, &document) == 1
            }
            loaded = ok
            return ok
        }

        func node(_ index: Int32) -> UnsafeMutablePointer<yaml_node_t>? {
            yaml_document_get_node(&document, index)
        }

        func scalar(_ node: UnsafeMutablePointer<yaml_node_t>) -> String? {
            guard node.pointee.type == YAML_SCALAR_NODE else { return nil }
            let scalar = node.pointee.data.scalar
            return String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
        }

        func line(_ node: UnsafeMutablePointer<yaml_node_t>) -> Int {
            Int(node.pointee.start_mark.line) + 1
        }
    }

    static func read(_ text: String, path: String) throws(ScheduleError) -> Values {
        func failure(_ line: Int, _ token: String, _ reason: String) -> ScheduleError {
            ScheduleError(code: .invalidCalendar, field: "\(path):\(line)", token: token, reason: reason)
        }

        let document = Document(text)
        guard document.load() else {
            let problem = document.parser.problem.map { String(cString: $0) } ?? "unreadable YAML"
            throw failure(Int(document.parser.problem_mark.line) + 1, path, "invalid YAML: \(problem)")
        }
        guard let root = document.node(1), root.pointee.type == YAML_MAPPING_NODE else {
            throw failure(1, path, "expected a mapping with weekdays, holidays and workdays lists")
        }

        var values = Values()
        let pairs = root.pointee.data.mapping.pairs
        var pair = pairs.start
        while let current = pair, current < pairs.top {
            pair = current + 1
            guard let keyNode = document.node(current.pointee.key), let key = document.scalar(keyNode),
                let valueNode = document.node(current.pointee.value)
            else { continue }

            var list: [String] = []
            if valueNode.pointee.type == YAML_SEQUENCE_NODE {
                let items = valueNode.pointee.data.sequence.items
                var item = items.start
                while let itemPointer = item, itemPointer < items.top {
                    item = itemPointer + 1
                    guard let node = document.node(itemPointer.pointee), let text = document.scalar(node) else {
                        throw failure(document.line(valueNode), key, "list items must be plain values")
                    }
                    list.append(text)
                }
            } else if let text = document.scalar(valueNode), text.isEmpty || text == "~" || text == "null" {
                list = []
            } else {
                throw failure(document.line(valueNode), key, "must be a list, such as [2026-10-01, 2026-10-02]")
            }

            switch key {
            case "weekdays": values.weekdays = list
            case "holidays": values.holidays = list
            case "workdays": values.workdays = list
            default:
                throw failure(document.line(keyNode), key, "unknown key; a calendar file has weekdays, holidays and workdays")
            }
        }
        return values
    }
}
