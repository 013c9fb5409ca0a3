import Foundation

/// Decodes `Decodable` types from a ``YAMLNode``, turning every failure into a ``ConfigError``
/// that names the file, line and dotted path of the value.
///
/// Scalars convert on request: a `String` field accepts any scalar, numbers and booleans must
/// parse (`true`/`false` only). Mapping keys that no field asked for are reported as unknown,
/// with the closest known key as a hint, so a typo never passes silently.
public struct YAMLDecoder {
    public init() {}

    /// Decodes `type` from `node`, throwing the first problem as a ``ConfigError``.
    public func decode<T: Decodable>(_ type: T.Type, from node: YAMLNode, path: String = "") throws -> T {
        do {
            return try decodeReportingAll(type, from: node, path: path)
        } catch let errors as ConfigErrors {
            throw errors.errors[0]
        }
    }

    /// Decodes `type` from `node`, throwing ``ConfigErrors`` with every problem found: types
    /// that decode a part with ``Swift/Decoder/collecting(_:_:)`` record its problem and go on.
    public func decodeReportingAll<T: Decodable>(_ type: T.Type, from node: YAMLNode, path: String = "") throws -> T {
        let (value, problems) = decodeAll(type, from: node, path: path)
        guard let value, problems.isEmpty else { throw ConfigErrors(problems) }
        return value
    }

    /// Decodes `type` from `node`, returning every problem found and the value when the type
    /// could still be built (with fallbacks where parts failed).
    func decodeAll<T: Decodable>(_ type: T.Type, from node: YAMLNode, path: String = "") -> (value: T?, problems: [ConfigError]) {
        let tracker = YAMLKeyTracker(root: node, pathPrefix: path)
        let decoder = YAMLNodeDecoder(node: node, codingPath: [], tracker: tracker, pathPrefix: path)
        var value: T?
        do {
            value = try T(from: decoder)
        } catch let error as ConfigError {
            tracker.problems.append(error)
        } catch let error as DecodingError {
            tracker.problems.append(YAMLNodeDecoder.configError(from: error, root: node, pathPrefix: path))
        } catch let errors as ConfigErrors {
            tracker.problems += errors.errors
        } catch {
            tracker.problems.append(ConfigError(file: node.mark.file, line: node.mark.line, path: path, message: "\(error)"))
        }
        return (value, tracker.problems + tracker.unknownKeys())
    }
}

extension Decoder {
    /// Runs `body` and returns its value. While a YAML configuration is read, a failure is
    /// recorded and `fallback` returned, so one run reports every problem of a file. Other
    /// decoders (JSON) throw the failure.
    public func collecting<T>(_ fallback: @autoclosure () -> T, _ body: () throws -> T) throws -> T {
        guard let yaml = self as? YAMLNodeDecoder else { return try body() }
        let firstEntry = yaml.tracker.nextEntryID
        do {
            return try body()
        } catch let error as ConfigError {
            yaml.tracker.problems.append(error)
        } catch let error as DecodingError {
            yaml.tracker.problems.append(YAMLNodeDecoder.configError(from: error, root: yaml.tracker.root, pathPrefix: yaml.pathPrefix))
        }
        // Keys after the failure were never read: they are not unknown.
        yaml.tracker.acceptAll(from: firstEntry)
        return fallback()
    }

    /// Reports a problem that a type's own check found. While a YAML configuration is read the
    /// problem is recorded and decoding goes on, and other decoders throw it.
    public func report(_ error: DecodingError) throws {
        guard let yaml = self as? YAMLNodeDecoder else { throw error }
        yaml.tracker.problems.append(YAMLNodeDecoder.configError(from: error, root: yaml.tracker.root, pathPrefix: yaml.pathPrefix))
    }
}

/// Records which keys of each mapping were read, to find unknown keys afterwards.
final class YAMLKeyTracker {
    struct Entry {
        var node: YAMLNode
        var path: String
        var known: Set<String>
        var read: Set<String>
        /// Keys of a dictionary-shaped mapping are all legitimate.
        var acceptsAll: Bool
    }

    var entries: [Int: Entry] = [:]
    private var nextID = 0
    /// The node decoding started from, to place problems found by a type's own checks.
    let root: YAMLNode
    let pathPrefix: String
    /// Problems recorded by ``Swift/Decoder/collecting(_:_:)`` and ``Swift/Decoder/report(_:)``.
    var problems: [ConfigError] = []

    init(root: YAMLNode, pathPrefix: String) {
        self.root = root
        self.pathPrefix = pathPrefix
    }

    /// The id the next registered mapping gets.
    var nextEntryID: Int { nextID + 1 }

    /// Treats every mapping registered since `id` as read in full.
    func acceptAll(from id: Int) {
        for key in entries.keys where key >= id {
            entries[key]?.acceptsAll = true
        }
    }

    func register(node: YAMLNode, path: String, known: Set<String>) -> Int {
        nextID += 1
        entries[nextID] = Entry(node: node, path: path, known: known, read: [], acceptsAll: false)
        return nextID
    }

    func markRead(_ id: Int, key: String) {
        entries[id]?.read.insert(key)
    }

    func acceptAll(_ id: Int) {
        entries[id]?.acceptsAll = true
    }

    /// Returns every key that no field read, with the closest known key as a hint.
    func unknownKeys() -> [ConfigError] {
        var unknown: [ConfigError] = []
        for id in entries.keys.sorted() {
            let entry = entries[id]!
            guard !entry.acceptsAll, case .mapping(let pairs, _) = entry.node else { continue }
            for pair in pairs {
                guard let key = pair.key.scalarText, !entry.read.contains(key) else { continue }
                let candidates = entry.read.union(entry.known)
                var message = "unknown key \"\(key)\""
                if let hint = closest(to: key, in: candidates) {
                    message += ": did you mean \"\(hint)\"?"
                } else if !candidates.isEmpty {
                    message += ": allowed keys are \(candidates.sorted().joined(separator: ", "))"
                }
                unknown.append(ConfigError(file: pair.key.mark.file, line: pair.key.mark.line, path: entry.path, message: message))
            }
        }
        return unknown
    }

    private func closest(to key: String, in candidates: Set<String>) -> String? {
        let scored = candidates.map { ($0, editDistance(key, $0)) }.filter { $0.1 <= max(2, key.count / 3) }
        return scored.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }?.0
    }

    private func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}

struct YAMLNodeDecoder: Decoder {
    let node: YAMLNode
    let codingPath: [CodingKey]
    let tracker: YAMLKeyTracker
    let pathPrefix: String
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var dottedPath: String {
        YAMLNodeDecoder.dotted(codingPath, prefix: pathPrefix)
    }

    static func dotted(_ path: [CodingKey], prefix: String) -> String {
        var text = prefix
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    func error(_ message: String, at node: YAMLNode? = nil, path: [CodingKey]? = nil) -> ConfigError {
        let target = node ?? self.node
        return ConfigError(
            file: target.mark.file, line: target.mark.line,
            path: YAMLNodeDecoder.dotted(path ?? codingPath, prefix: pathPrefix), message: message)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let pairs, _) = node else {
            throw error("expected a mapping of keys to values, found \(node.kindDescription)")
        }
        let id = tracker.register(node: node, path: dottedPath, known: [])
        return KeyedDecodingContainer(YAMLKeyedContainer<Key>(decoder: self, pairs: pairs, trackerID: id))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .sequence(let items, _) = node else {
            throw error("expected a list, found \(node.kindDescription)")
        }
        return YAMLUnkeyedContainer(decoder: self, items: items)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer {
        YAMLSingleValueContainer(decoder: self)
    }

    func child(_ node: YAMLNode, key: CodingKey) -> YAMLNodeDecoder {
        YAMLNodeDecoder(node: node, codingPath: codingPath + [key], tracker: tracker, pathPrefix: pathPrefix)
    }

    /// Converts a `DecodingError` raised by a type's own `init(from:)` into a located error.
    static func configError(from error: DecodingError, root: YAMLNode, pathPrefix: String) -> ConfigError {
        let context: DecodingError.Context
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
            context = c
        @unknown default:
            return ConfigError(file: root.mark.file, line: root.mark.line, message: "\(error)")
        }
        let node = locate(context.codingPath, in: root) ?? root
        var message = MessageText.reason(error)
        if case .keyNotFound(let key, _) = error {
            message = "missing required key \"\(key.stringValue)\""
        }
        return ConfigError(
            file: node.mark.file, line: node.mark.line,
            path: dotted(context.codingPath, prefix: pathPrefix), message: message)
    }

    private static func locate(_ path: [CodingKey], in root: YAMLNode) -> YAMLNode? {
        var current = root
        for key in path {
            switch current {
            case .mapping:
                guard let next = current[key.stringValue] else { return current }
                current = next
            case .sequence(let items, _):
                guard let index = key.intValue, index < items.count else { return current }
                current = items[index]
            case .scalar:
                return current
            }
        }
        return current
    }
}

extension YAMLNode {
    var kindDescription: String {
        switch self {
        case .scalar(let text, _, _): isNull ? "an empty value" : "the value \"\(text)\""
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

struct YAMLKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: YAMLNodeDecoder
    let pairs: [(key: YAMLNode, value: YAMLNode)]
    let trackerID: Int

    var codingPath: [CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        // Asking for every key means the type treats the mapping as a dictionary.
        decoder.tracker.acceptAll(trackerID)
        return pairs.compactMap { $0.key.scalarText.flatMap(Key.init(stringValue:)) }
    }

    func contains(_ key: Key) -> Bool {
        decoder.tracker.markRead(trackerID, key: key.stringValue)
        return value(for: key) != nil
    }

    private func value(for key: Key) -> YAMLNode? {
        pairs.first { $0.key.scalarText == key.stringValue }?.value
    }

    private func require(_ key: Key) throws -> YAMLNode {
        decoder.tracker.markRead(trackerID, key: key.stringValue)
        guard let node = value(for: key) else {
            throw decoder.error("missing required key \"\(key.stringValue)\"")
        }
        return node
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        decoder.tracker.markRead(trackerID, key: key.stringValue)
        return value(for: key)?.isNull ?? true
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let node = try require(key)
        return try T(from: decoder.child(node, key: key))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        decoder.tracker.markRead(trackerID, key: key.stringValue)
        guard let node = value(for: key), !node.isNull else { return nil }
        return try T(from: decoder.child(node, key: key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try decoder.child(try require(key), key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        try decoder.child(try require(key), key: key).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> Decoder {
        decoder.child(try require(key), key: key)
    }
}

struct YAMLIndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }

    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

struct YAMLUnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: YAMLNodeDecoder
    let items: [YAMLNode]
    var currentIndex = 0

    init(decoder: YAMLNodeDecoder, items: [YAMLNode]) {
        self.decoder = decoder
        self.items = items
    }

    var codingPath: [CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> (YAMLNodeDecoder) {
        guard !isAtEnd else { throw decoder.error("the list has fewer items than expected") }
        let child = decoder.child(items[currentIndex], key: YAMLIndexKey(currentIndex))
        currentIndex += 1
        return child
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if items[currentIndex].isNull {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: try next())
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        try next().unkeyedContainer()
    }

    mutating func superDecoder() throws -> Decoder { try next() }
}

struct YAMLSingleValueContainer: SingleValueDecodingContainer {
    let decoder: YAMLNodeDecoder
    var codingPath: [CodingKey] { decoder.codingPath }

    private func scalar(_ expected: String) throws -> (text: String, quoted: Bool) {
        guard case .scalar(let text, let quoted, _) = decoder.node else {
            throw decoder.error("expected \(expected), found \(decoder.node.kindDescription)")
        }
        return (text, quoted)
    }

    func decodeNil() -> Bool { decoder.node.isNull }

    func decode(_ type: Bool.Type) throws -> Bool {
        let (text, quoted) = try scalar("true or false")
        switch (text, quoted) {
        case ("true", false), ("True", false), ("TRUE", false): return true
        case ("false", false), ("False", false), ("FALSE", false): return false
        default: throw decoder.error("expected true or false, found \"\(text)\"")
        }
    }

    func decode(_ type: String.Type) throws -> String {
        if decoder.node.isNull { throw decoder.error("expected a text value, found an empty value") }
        return try scalar("a text value").text
    }

    func decode(_ type: Double.Type) throws -> Double {
        let (text, quoted) = try scalar("a number")
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        guard !quoted, let value = Double(cleaned), value.isFinite else {
            throw decoder.error("expected a number, found \"\(text)\"")
        }
        return value
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let (text, quoted) = try scalar("a whole number")
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        guard !quoted, let value = T(cleaned) else {
            throw decoder.error("expected a whole number, found \"\(text)\"")
        }
        return value
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(UInt64.self) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == JSONValue.self {
            return try decodeJSONValue(decoder.node) as! T
        }
        return try T(from: decoder)
    }

    /// Converts free-form YAML (workflow inputs, labels) with the core schema's typing:
    /// unquoted `true`/`false`, `null`/`~`, integers and floats; everything else is text.
    private func decodeJSONValue(_ node: YAMLNode) throws -> JSONValue {
        switch node {
        case .scalar(let text, let quoted, _):
            if quoted { return .string(text) }
            if node.isNull { return .null }
            switch text {
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: break
            }
            if let value = Int64(text) { return .int(value) }
            if text.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true,
                let value = Double(text), value.isFinite
            {
                return .double(value)
            }
            return .string(text)
        case .sequence(let items, _):
            return .array(try items.map(decodeJSONValue))
        case .mapping(let pairs, _):
            var object: [String: JSONValue] = [:]
            for pair in pairs {
                guard let key = pair.key.scalarText else {
                    throw decoder.error("mapping keys must be text", at: pair.key)
                }
                object[key] = try decodeJSONValue(pair.value)
            }
            return .object(object)
        }
    }
}
