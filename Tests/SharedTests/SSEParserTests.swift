import Foundation
import Testing

@testable import Shared

@Suite struct SSEParserTests {
    static let streams = [
        "workflows-run-streaming-success.http",
        "workflows-run-streaming-failure.http",
        "workflows-run-streaming-iteration.http",
        "workflows-run-streaming-slow-pings.http",
        "concurrency-first-run-ok.http",
        "stop-stream.http",
    ]

    static func parseAll(_ bytes: [UInt8], splitAt split: Int? = nil) throws -> [SSEEvent] {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        if let split {
            events += try parser.feed(bytes[..<split])
            events += try parser.feed(bytes[split...])
        } else {
            events += try parser.feed(bytes)
        }
        return events + parser.finish()
    }

    static func outcome(of events: [DifyStreamEvent]) -> DifyRunOutcome {
        var builder = RunTraceBuilder(kind: .workflow)
        for event in events { builder.consume(event) }
        return builder.outcome()
    }

    /// Decodes frames, reusing the decoding of a frame text seen before: decoding is a pure
    /// function of the text, and JSON parsing every frame at every split would take minutes.
    static func decode(_ frames: [SSEEvent], cache: inout [String: DifyStreamEvent]) -> [DifyStreamEvent] {
        frames.compactMap { frame in
            if let event = cache[frame.data] { return event }
            let event = DifyStreamEvent.decode(frame)
            cache[frame.data] = event
            return event
        }
    }

    @Test(arguments: streams)
    func splitAtEveryByteMatchesOneShot(name: String) throws {
        let bytes = [UInt8](try DifyFixture.load(name).body)
        let reference = try Self.parseAll(bytes)
        let referenceEvents = reference.compactMap(DifyStreamEvent.decode)
        let referenceOutcome = Self.outcome(of: referenceEvents)
        #expect(referenceEvents.last?.name == "workflow_finished")
        #expect(referenceOutcome.status != "running")

        var cache: [String: DifyStreamEvent] = [:]
        for split in 0...bytes.count {
            let frames = try Self.parseAll(bytes, splitAt: split)
            guard frames == reference else {
                Issue.record("frames differ when split at byte \(split) of \(name)")
                return
            }
            let events = Self.decode(frames, cache: &cache)
            guard events == referenceEvents, Self.outcome(of: events) == referenceOutcome else {
                Issue.record("events or outcome differ when split at byte \(split) of \(name)")
                return
            }
        }
    }

    @Test(arguments: streams)
    func oneByteChunksMatchOneShot(name: String) throws {
        let bytes = [UInt8](try DifyFixture.load(name).body)
        var parser = SSEParser()
        var frames: [SSEEvent] = []
        for byte in bytes { frames += try parser.feed([byte]) }
        frames += parser.finish()
        #expect(frames == (try Self.parseAll(bytes)))
    }

    @Test(arguments: streams)
    func crlfAndCRLineEndingsMatchLF(name: String) throws {
        let bytes = [UInt8](try DifyFixture.load(name).body)
        let reference = try Self.parseAll(bytes)
        let crlf = bytes.flatMap { $0 == UInt8(ascii: "\n") ? [13, 10] : [$0] }
        let cr = bytes.map { $0 == UInt8(ascii: "\n") ? 13 : $0 }
        #expect(try Self.parseAll(crlf) == reference)
        #expect(try Self.parseAll(cr) == reference)

        // A chunk boundary between \r and \n must not produce an extra blank line.
        for split in crlf.indices where crlf[split] == 10 {
            guard try Self.parseAll(crlf, splitAt: split) == reference else {
                Issue.record("CRLF stream split between CR and LF at byte \(split) differs")
                return
            }
        }
    }

    @Test func pingFramesWithoutDataAreSkipped() throws {
        let bytes = [UInt8](try DifyFixture.load("stop-stream.http").body)
        let frames = try Self.parseAll(bytes)
        #expect(frames.count == 5)
        #expect(frames.allSatisfy { $0.event == nil })
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("event: ping"))
    }

    @Test func multiByteCharacterSplitAnywhere() throws {
        let text = "data: {\"event\":\"text_chunk\",\"data\":{\"text\":\"你好🙂é\"}}\n\n"
        let bytes = Array(text.utf8)
        for split in 0...bytes.count {
            let frames = try Self.parseAll(bytes, splitAt: split)
            #expect(frames == [SSEEvent(data: "{\"event\":\"text_chunk\",\"data\":{\"text\":\"你好🙂é\"}}")])
        }
    }

    @Test func fieldsCommentsAndMultiLineData() throws {
        let text = """
            \u{FEFF}: a comment
            event: custom
            id: 7
            retry: 1500
            data: first
            data:second
            data

            data: {"event":"ping"}
            unknown: ignored

            event: ping

            """
        let frames = try Self.parseAll(Array(text.utf8))
        #expect(frames.count == 2)
        #expect(frames[0] == SSEEvent(event: "custom", data: "first\nsecond\n", id: "7", retry: 1500))
        #expect(frames[1] == SSEEvent(data: #"{"event":"ping"}"#, id: "7"))
        #expect(DifyStreamEvent.decode(frames[1]) == .ping)
    }

    @Test func finishFlushesLastFrameWithoutBlankLine() throws {
        var parser = SSEParser()
        #expect(try parser.feed(Array("data: {\"a\":1}\ndata: x".utf8)).isEmpty)
        #expect(parser.finish() == [SSEEvent(data: "{\"a\":1}\nx")])
        #expect(parser.finish().isEmpty)
    }

    @Test func oversizedFrameThrows() {
        var parser = SSEParser(maxFrameBytes: 64)
        #expect(throws: DifyError.self) {
            _ = try parser.feed(Array(("data: " + String(repeating: "x", count: 100)).utf8))
        }
    }
}
