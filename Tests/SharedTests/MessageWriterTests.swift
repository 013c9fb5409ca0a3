import Foundation
import Testing

@testable import Shared

/// The hand-written encoding of the run's messages against Foundation's `JSONEncoder`, which
/// `MessageCodec.encode` uses: the bytes must be the same, and they must decode to the value.
@Suite struct MessageWriterTests {
    /// Strings that need escaping or are not ASCII, and keys whose byte order differs from a
    /// case-insensitive or numeric order.
    static let awkwardText = "q\"b\\s/\u{8}\u{c}\n\r\t\u{0}\u{1}\u{1b}\u{1f}\u{7f}\u{2028}é😀 end"
    static let awkwardObject: [String: JSONValue] = [
        "b": .int(1), "B": .int(-2), "a_b": .double(0.5), "ab": .double(1.0), "a": .double(1e-7), "é": .double(1e16),
        "Z": .double(-0.0), "_": .null, "1": .bool(true), "10": .bool(false), "9": .string(awkwardText),
        "nested": .object(["y": .array([.int(0), .double(123456789.125), .object([:]), .array([])]), "x": .string("")]),
        "big": .int(Int64.max), "small": .int(Int64.min), "fifteen": .double(1e15), "tenth": .double(0.1),
    ]

    static let instant = Date(timeIntervalSince1970: 1_795_000_000.125)
    static let wholeSecond = Date(timeIntervalSince1970: 1_795_000_042)

    static func fullState() -> RunState {
        var state = RunState(triggerID: "t-1", jobID: "job/1", app: "app \"x\"", phase: .final, attempt: 3, workerID: "w-1", updatedAt: instant)
        state.workflowRunID = "5d03ab57-a307-4718-b363-d52e1266c892"
        state.taskID = "task-1"
        state.user = awkwardText
        state.kind = .chatflow
        state.startedAt = wholeSecond
        state.status = .partialSucceeded
        state.totalTokens = 1234
        state.totalPrice = 0.00123
        state.currency = "USD"
        return state
    }

    static func fullResult() -> RunResult {
        var result = RunResult(triggerID: "t-2", app: "bulk", status: .failed)
        result.jobID = "job-2"
        result.kind = .workflow
        result.source = .schedule
        result.workflowRunID = "run-2"
        result.taskID = "task-2"
        result.inputs = awkwardObject
        result.outputs = .object(awkwardObject)
        result.ioTruncated = true

        result.answer = awkwardText
        result.conversationID = "c-1"
        result.messageID = "m-1"
        result.error = RunError(code: "node_failed", message: awkwardText, retryable: false, nodeID: "http_main")
        result.totalTokens = 0
        result.totalPrice = 12.5
        result.currency = "RMB"
        result.totalSteps = 7
        result.scheduledAt = wholeSecond
        result.emittedAt = instant
        result.startedAt = instant.addingTimeInterval(0.25)
        result.finishedAt = instant.addingTimeInterval(2.5)
        result.queueDelayMilliseconds = 12
        result.runTimeMilliseconds = 1751

        result.attempts = [
            AttemptRecord(number: 1, startedAt: wholeSecond, finishedAt: instant, error: RunError(code: "timeout", message: "slow"), workerID: "w-1", difyRunID: "run-1"),
            AttemptRecord(number: 2),
        ]
        result.nodes = [
            NodeTrace(
                executionID: "e-1", nodeID: "start", nodeType: "start", title: "Start", status: "succeeded", elapsedMilliseconds: 3,
                totalTokens: 10, totalPrice: 0.5, currency: "USD", error: "none", inputs: .object(awkwardObject),
                outputs: .array([.string(awkwardText), .double(2.5e-7)]), truncated: true, parentNodeID: "iter", parentKind: "iteration",
                parentIndex: 0, retries: 1, startedAt: 1_795_000_000, finishedAt: 1_795_000_001, unfinished: false),
            NodeTrace(executionID: "e-2", nodeID: "end", nodeType: "end", title: "", status: "running"),
        ]

        result.workerID = "w-1"
        result.stoppedBy = "alice"
        result.mayStillRun = false
        result.traceID = "trace-1"
        result.rerunOf = "t-0"
        result.parentTriggerID = "t-parent"
        result.parentJobID = "extract"
        result.query = awkwardText
        return result
    }

    /// The names of a value's properties that are nil: the full values must set every field,
    /// so that a field the hand-written encoding misses shows up as a difference.
    static func unsetFields(of value: Any) -> [String] {
        Mirror(reflecting: value).children.compactMap { child in
            let mirror = Mirror(reflecting: child.value)
            return mirror.displayStyle == .optional && mirror.children.isEmpty ? child.label : nil
        }
    }

    @Test func fullValuesSetEveryField() {
        #expect(Self.unsetFields(of: Self.fullState()) == [])
        #expect(Self.unsetFields(of: Self.fullResult()) == [])
        let event = ScheduleEvent(type: .runFinished, jobID: "job", triggerID: "t", app: "bulk", actor: "bob", detail: Self.awkwardObject, time: Self.instant, id: "e-1")
        #expect(Self.unsetFields(of: event) == [])
    }

    @Test func runStateMatchesFoundation() throws {
        let minimal = RunState(triggerID: "t", jobID: nil, app: "a", phase: .started, attempt: 1, workerID: "w", updatedAt: Self.wholeSecond)
        for state in [Self.fullState(), minimal] {
            let bytes = MessageCodec.encodeBytes(state)
            #expect(bytes == Array(MessageCodec.encode(state)))
            #expect(try MessageCodec.decode(RunState.self, from: Data(bytes)) == state)
        }
    }

    @Test func eventMatchesFoundation() throws {
        let full = ScheduleEvent(
            type: .runFinished, jobID: "job", triggerID: "t", app: "bulk", actor: "bob", detail: Self.awkwardObject, time: Self.instant, id: "e-1")
        let minimal = ScheduleEvent(type: .runStarted, jobID: nil, time: Self.wholeSecond, id: "e-2")
        let emptyDetail = ScheduleEvent(type: .zombie, jobID: "j", detail: [:], time: Self.instant, id: "e-3")
        for event in [full, minimal, emptyDetail] {
            let bytes = MessageCodec.encodeBytes(event)
            #expect(bytes == Array(MessageCodec.encode(event)))
            // Foundation reads 1.0 back as the integer 1, so the comparison is with its own bytes read back.
            #expect(try MessageCodec.decode(ScheduleEvent.self, from: Data(bytes)) == MessageCodec.decode(ScheduleEvent.self, from: MessageCodec.encode(event)))
        }
    }

    @Test func resultMatchesFoundation() throws {
        let minimal = RunResult(triggerID: "t", app: "a", status: .succeeded)
        var empty = RunResult(triggerID: "t", app: "a", status: .expired)
        empty.attempts = []
        empty.nodes = []
        empty.inputs = [:]
        for result in [Self.fullResult(), minimal, empty] {
            let bytes = MessageCodec.encodeBytes(result)
            #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: MessageCodec.encode(result), as: UTF8.self))
            #expect(try MessageCodec.decode(RunResult.self, from: Data(bytes)) == MessageCodec.decode(RunResult.self, from: MessageCodec.encode(result)))
        }
    }

    @Test func workerResultReadsBackEqual() throws {
        var result = Self.fullResult()
        let plain: [String: JSONValue] = ["topic": .string(Self.awkwardText), "count": .int(3), "ratio": .double(0.25), "list": .array([.null, .bool(true)])]
        result.inputs = plain
        result.outputs = .object(plain)
        result.nodes = result.nodes?.map { node in
            var node = node
            node.inputs = node.inputs.map { _ in .object(plain) }
            node.outputs = node.outputs.map { _ in .array([.string("x")]) }
            return node
        }
        #expect(try MessageCodec.decode(RunResult.self, from: Data(MessageCodec.encodeBytes(result))) == result)
    }

    @Test func eventIDsAreUUIDHex() {
        let id = ScheduleEvent(type: .runStarted, jobID: nil).id
        #expect(id.count == 34)
        #expect(id.hasPrefix("e-"))
        #expect(id.dropFirst(2).allSatisfy { "0123456789abcdef".contains($0) })
        #expect(ScheduleEvent(type: .runStarted, jobID: nil).id != id)
    }

    @Test func everyStatusAndKindMatchesFoundation() {
        for status in RunStatus.allCases {
            for kind in JobKind.allCases {
                var result = RunResult(triggerID: "t", app: "a", status: status)
                result.kind = kind
                #expect(MessageCodec.encodeBytes(result) == Array(MessageCodec.encode(result)))
            }
        }
    }
}

@Suite struct FastTextTests {
    @Test func timestampsMatchPrintfFormatting() {
        var seconds = -86_400.0 * 365
        while seconds < 4_102_444_800 {
            let date = Date(timeIntervalSince1970: seconds)
            let exact = date.timeIntervalSince1970
            var parts = tm()
            var time = time_t(exact.rounded(.down))
            gmtime_r(&time, &parts)
            let whole = Timestamp.rfc3339(Date(timeIntervalSince1970: exact.rounded(.down)))
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
            #expect(whole == expected)
            let fraction = exact - exact.rounded(.down)
            for digits in [1, 3, 6] {
                let scale = pow(10.0, Double(digits))
                let value = min(Int((fraction * scale).rounded(.down)), Int(scale) - 1)
                let withFraction = Timestamp.rfc3339(date, fractionalDigits: digits)
                #expect(withFraction == String(expected.dropLast()) + "." + String(format: "%0\(digits)d", value) + "Z")
            }
            seconds += 7_777_777.007
        }
    }

    @Test func compactTextMatchesTheScalarWriter() {
        var value = JSONValue.object(MessageWriterTests.awkwardObject)
        value = .array([value, .string("\u{2029}x\u{2028}"), .double(-0.0), .double(42), .double(-3), .double(1e15), .double(.infinity)])
        for sorted in [true, false] {
            #expect(value.compactText(sortedKeys: sorted) == Self.scalarText(value, sortedKeys: sorted))
        }
        #expect(value.encodedSize == Self.scalarText(value, sortedKeys: false).utf8.count)
    }

    /// Writes compact text scalar by scalar, as `compactText` did before it wrote bytes.
    static func scalarText(_ value: JSONValue, sortedKeys: Bool) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number):
            guard number.isFinite else { return "null" }
            return number.rounded() == number && abs(number) < 1e15 ? String(format: "%.1f", number) : "\(number)"
        case .string(let text):
            var output = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": output += "\\\""
                case "\\": output += "\\\\"
                case "\n": output += "\\n"
                case "\r": output += "\\r"
                case "\t": output += "\\t"
                case "\u{2028}": output += "\\u2028"
                case "\u{2029}": output += "\\u2029"
                default:
                    if scalar.value < 0x20 { output += String(format: "\\u%04x", scalar.value) } else { output.unicodeScalars.append(scalar) }
                }
            }
            return output + "\""
        case .array(let values):
            return "[" + values.map { scalarText($0, sortedKeys: sortedKeys) }.joined(separator: ",") + "]"
        case .object(let members):
            let keys = sortedKeys ? members.keys.sorted() : Array(members.keys)
            return "{" + keys.map { scalarText(.string($0), sortedKeys: sortedKeys) + ":" + scalarText(members[$0]!, sortedKeys: sortedKeys) }.joined(separator: ",") + "}"
        }
    }

    @Test func parsedStringsKeepEscapesAndUnicode() throws {
        let value = try JSONValue.parse(#"["plain", "a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\ud83d\ude00", "é😀 raw", "", "\u0000x", "\ud83d"]"#)
        #expect(value == .array([
            .string("plain"), .string("a\"b\\c/d\u{8}\u{c}\n\r\t\u{41}é😀"), .string("é😀 raw"), .string(""), .string("\u{0}x"), .string("\u{FFFD}"),
        ]))
    }

    @Test func parserStillRejectsBadStrings() {
        #expect(throws: JSONValueError.self) { try JSONValue.parse(Data([0x22, 0x61, 0xFF, 0x22])) }
        #expect(throws: JSONValueError.self) { try JSONValue.parse(Data([0x22, 0x5C, 0x6E, 0xC3, 0x22])) }
        #expect(throws: JSONValueError.self) { try JSONValue.parse("\"a\u{1}b\"") }
        #expect(throws: JSONValueError.self) { try JSONValue.parse(#""abc"#) }
    }
}
