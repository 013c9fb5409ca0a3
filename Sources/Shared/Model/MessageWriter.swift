import Foundation

/// A message type with a hand-written JSON encoding, for the messages a worker writes for every
/// run (run state, result, events).
///
/// The output is byte for byte what ``MessageCodec/encode(_:)`` writes with Foundation's
/// `JSONEncoder` (sorted keys, unescaped slashes, absent optionals left out, instants as
/// `Timestamp.rfc3339Auto`), at a fraction of the cost: Foundation's encoder took a fifth of
/// the worker's CPU per run. `MessageWriterTests` compares the two encodings, with every
/// field set: a field added to one of these types without its line here fails that test.
public protocol MessageWritable: Encodable {
    /// Writes the value as one JSON object, its members in sorted key order.
    func write(to writer: inout MessageWriter)
}

extension MessageCodec {
    /// Encodes `value` with its hand-written encoding; the bytes equal ``encode(_:)``'s.
    public static func encodeBytes(_ value: some MessageWritable) -> [UInt8] {
        var writer = MessageWriter()
        value.write(to: &writer)
        return writer.bytes
    }
}

/// Writes compact JSON into a byte buffer the way Foundation's `JSONEncoder` does with
/// `[.sortedKeys, .withoutEscapingSlashes]`.
///
/// Members are written in the order of the calls, so callers pass their keys already sorted by
/// their UTF-8 bytes. A nil value writes nothing, as the synthesized `encodeIfPresent` does.
public struct MessageWriter {
    public private(set) var bytes: [UInt8] = []
    /// Whether the object or array being written has no member yet, one entry per open level.
    private var empty: [Bool] = []

    public init() {
        bytes.reserveCapacity(1024)
    }

    // MARK: - Containers

    public mutating func object(_ body: (inout MessageWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        empty.append(true)
        body(&self)
        empty.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    /// Writes `"name":` after a comma when needed; the value must follow.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    private mutating func separate() {
        if empty[empty.count - 1] {
            empty[empty.count - 1] = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
    }

    // MARK: - Members

    public mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    public mutating func member(_ name: StaticString, _ value: Int64?) {
        guard let value else { return }
        key(name)
        integer(value)
    }

    public mutating func member(_ name: StaticString, _ value: Int?) {
        member(name, value.map(Int64.init))
    }

    public mutating func member(_ name: StaticString, _ value: Double?) {
        guard let value else { return }
        key(name)
        double(value)
    }

    public mutating func member(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
    }

    public mutating func member(_ name: StaticString, _ value: Date?) {
        guard let value else { return }
        key(name)
        string(Timestamp.rfc3339Auto(value))
    }

    public mutating func member(_ name: StaticString, _ value: JSONValue?) {
        guard let value else { return }
        key(name)
        json(value)
    }

    public mutating func member(_ name: StaticString, _ value: [String: JSONValue]?) {
        guard let value else { return }
        key(name)
        json(object: value)
    }

    public mutating func member(_ name: StaticString, _ value: (some MessageWritable)?) {
        guard let value else { return }
        key(name)
        value.write(to: &self)
    }

    public mutating func member(_ name: StaticString, _ values: [some MessageWritable]?) {
        guard let values else { return }
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            value.write(to: &self)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    public mutating func member(_ name: StaticString, _ values: [String]?) {
        guard let values else { return }
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    // MARK: - Values

    public mutating func integer(_ value: Int64) {
        if value >= 0 && value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }

    /// Writes the number as `JSONEncoder` does: its `description` without a trailing `.0`.
    /// `JSONEncoder` fails on a non-finite number (``MessageCodec/encode(_:)`` then writes `{}`),
    /// so this writer writes `null` there instead, as ``JSONValue/compactText(sortedKeys:)`` does.
    public mutating func double(_ value: Double) {
        guard value.isFinite else {
            bytes.append(contentsOf: Self.nullBytes)
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if index > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
                case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                default:
                    bytes.append(contentsOf: Array("\\u00".utf8))
                    bytes.append(Self.hexDigits[Int(byte >> 4)])
                    bytes.append(Self.hexDigits[Int(byte & 0x0F)])
                }
            }
            if utf8.count > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func json(_ value: JSONValue) {
        switch value {
        case .null: bytes.append(contentsOf: Self.nullBytes)
        case .bool(let flag): bytes.append(contentsOf: flag ? Self.trueBytes : Self.falseBytes)
        case .int(let number): integer(number)
        case .double(let number): double(number)
        case .string(let text): string(text)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                json(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members): json(object: members)
        }
    }

    /// Writes an object with its keys sorted by their UTF-8 bytes, as `JSONEncoder` sorts them.
    public mutating func json(object members: [String: JSONValue]) {
        bytes.append(UInt8(ascii: "{"))
        let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        for (index, member) in sorted.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(member.key)
            bytes.append(UInt8(ascii: ":"))
            json(member.value)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    private static let nullBytes = Array("null".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)
}

// MARK: - The run's messages

extension RunState: MessageWritable {
    public func write(to writer: inout MessageWriter) {
        writer.object { writer in
            writer.member("app", app)
            writer.member("attempt", attempt)
            writer.member("currency", currency)
            writer.member("job_id", jobID)
            writer.member("kind", kind?.rawValue)
            writer.member("phase", phase.rawValue)
            writer.member("started_at", startedAt)
            writer.member("status", status?.rawValue)
            writer.member("task_id", taskID)
            writer.member("total_price", totalPrice)
            writer.member("total_tokens", totalTokens)
            writer.member("trigger_id", triggerID)
            writer.member("updated_at", updatedAt)
            writer.member("user", user)
            writer.member("v", version)
            writer.member("worker_id", workerID)
            writer.member("workflow_run_id", workflowRunID)
        }
    }
}

extension ScheduleEvent: MessageWritable {
    public func write(to writer: inout MessageWriter) {
        writer.object { writer in
            writer.member("actor", actor)
            writer.member("app", app)
            writer.member("detail", detail)
            writer.member("id", id)
            writer.member("job_id", jobID)
            writer.member("time", time)
            writer.member("trigger_id", triggerID)
            writer.member("type", type.rawValue)
            writer.member("v", version)
        }
    }
}

extension RunResult: MessageWritable {
    public func write(to writer: inout MessageWriter) {
        writer.object { writer in
            writer.member("answer", answer)
            writer.member("app", app)
            writer.member("attempts", attempts)
            writer.member("conversation_id", conversationID)
            writer.member("currency", currency)
            writer.member("emitted_at", emittedAt)
            writer.member("error", error)
            writer.member("finished_at", finishedAt)
            writer.member("inputs", inputs)
            writer.member("io_truncated", ioTruncated)
            writer.member("job_id", jobID)
            writer.member("kind", kind?.rawValue)
            writer.member("may_still_run", mayStillRun)
            writer.member("message_id", messageID)
            writer.member("nodes", nodes)
            writer.member("outputs", outputs)
            writer.member("parent_job_id", parentJobID)
            writer.member("parent_trigger_id", parentTriggerID)
            writer.member("query", query)
            writer.member("queue_delay_ms", queueDelayMilliseconds)
            writer.member("rerun_of", rerunOf)
            writer.member("run_time_ms", runTimeMilliseconds)
            writer.member("scheduled_at", scheduledAt)
            writer.member("source", source?.rawValue)
            writer.member("started_at", startedAt)
            writer.member("status", status.rawValue)
            writer.member("stopped_by", stoppedBy)
            writer.member("task_id", taskID)
            writer.member("total_price", totalPrice)
            writer.member("total_steps", totalSteps)
            writer.member("total_tokens", totalTokens)
            writer.member("trace_id", traceID)
            writer.member("trigger_id", triggerID)
            writer.member("v", version)
            writer.member("worker_id", workerID)
            writer.member("workflow_run_id", workflowRunID)
        }
    }
}

extension RunError: MessageWritable {
    public func write(to writer: inout MessageWriter) {
        writer.object { writer in
            writer.member("code", code)
            writer.member("message", message)
            writer.member("node_id", nodeID)
            writer.member("retryable", retryable)
        }
    }
}

extension AttemptRecord: MessageWritable {
    public func write(to writer: inout MessageWriter) {
        writer.object { writer in
            writer.member("error", error)
            writer.member("finished_at", finishedAt)
            writer.member("number", number)
            writer.member("started_at", startedAt)
            writer.member("worker_id", workerID)
            writer.member("workflow_run_id", difyRunID)
        }
    }
}

extension NodeTrace: MessageWritable {
    public func write(to writer: inout MessageWriter) {
        writer.object { writer in
            writer.member("currency", currency)
            writer.member("elapsed_ms", elapsedMilliseconds)
            writer.member("error", error)
            writer.member("finished_at", finishedAt)
            writer.member("inputs", inputs)
            writer.member("node_execution_id", executionID)
            writer.member("node_id", nodeID)
            writer.member("node_type", nodeType)
            writer.member("outputs", outputs)
            writer.member("parent_index", parentIndex)
            writer.member("parent_kind", parentKind)
            writer.member("parent_node_id", parentNodeID)
            writer.member("retries", retries)
            writer.member("started_at", startedAt)
            writer.member("status", status)
            writer.member("title", title)
            writer.member("total_price", totalPrice)
            writer.member("total_tokens", totalTokens)
            writer.member("truncated", truncated)
            writer.member("unfinished", unfinished)
        }
    }
}
