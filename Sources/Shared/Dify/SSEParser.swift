/// One dispatched Server-Sent Events frame.
public struct SSEEvent: Sendable, Hashable {
    /// The `event:` field, or nil when the frame had none (the SSE default type is `message`).
    public var event: String?
    /// The `data:` lines joined with `\n`.
    public var data: String
    /// The last `id:` field seen in the stream, as the SSE specification carries it forward.
    public var id: String?
    /// The `retry:` field of this frame in milliseconds, when it held only digits.
    public var retry: Int?

    public init(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }
}

/// Incremental Server-Sent Events parser, following the WHATWG event-stream rules.
///
/// Feed it the body bytes as they arrive, in chunks of any size: a chunk boundary may fall
/// anywhere, including inside a multi-byte UTF-8 character or between the `\r` and `\n` of
/// a line ending. Lines end with `\n`, `\r\n` or `\r`. A frame is dispatched at the blank
/// line that ends it. Lines starting with `:` are comments. A frame without `data:` lines,
/// such as Dify's `event: ping` keep-alive, is dropped, as the specification requires. Text is
/// decoded as UTF-8 only once a whole line is in, with invalid bytes replaced by U+FFFD.
///
/// Call `finish()` at the end of the stream to dispatch a last frame that was not followed
/// by a blank line.
public struct SSEParser: Sendable {
    /// Largest number of bytes one frame (its lines plus the partial line) may hold.
    public let maxFrameBytes: Int

    private var line: [UInt8] = []
    private var lastLineEndedWithCR = false
    private var atStreamStart = true
    private var eventType: String?
    private var dataLines: [String] = []
    private var dataBytes = 0
    private var retry: Int?
    private var lastEventID: String?

    /// Creates a parser; `maxFrameBytes` bounds the memory one malformed frame can take.
    public init(maxFrameBytes: Int = 32 << 20) {
        self.maxFrameBytes = maxFrameBytes
    }

    /// Consumes `bytes` and returns the frames they complete, in order.
    ///
    /// - Throws: `DifyError` with code `invalidResponse` when one frame grows past
    ///   `maxFrameBytes`; the parser should then be discarded.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(DifyError) -> [SSEEvent] {
        var events: [SSEEvent] = []
        var failure: DifyError?
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(DifyError) { try feed(buffer: buffer, into: &events) } catch { failure = error }
        }
        if handled == nil {
            [UInt8](bytes).withUnsafeBufferPointer { buffer in
                do throws(DifyError) { try feed(buffer: buffer, into: &events) } catch { failure = error }
            }
        }
        if let failure { throw failure }
        return events
    }

    private mutating func feed(buffer: UnsafeBufferPointer<UInt8>, into events: inout [SSEEvent]) throws(DifyError) {
        var index = 0
        if lastLineEndedWithCR, index < buffer.count {
            lastLineEndedWithCR = false
            if buffer[index] == UInt8(ascii: "\n") { index += 1 }
        }
        while index < buffer.count {
            // Copy the run of bytes up to the next line ending in one step.
            var end = index
            while end < buffer.count, buffer[end] != UInt8(ascii: "\n"), buffer[end] != UInt8(ascii: "\r") { end += 1 }
            if end > index {
                line.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<end]))
                if line.count + dataBytes > maxFrameBytes {
                    throw DifyError.frameTooLarge(limit: maxFrameBytes)
                }
            }
            guard end < buffer.count else { break }

            let isCR = buffer[end] == UInt8(ascii: "\r")
            if let event = processLine() { events.append(event) }
            index = end + 1
            if isCR {
                if index < buffer.count {
                    if buffer[index] == UInt8(ascii: "\n") { index += 1 }
                } else {
                    lastLineEndedWithCR = true
                }
            }
        }
    }

    /// Ends the stream: dispatches a frame still open, as if a blank line followed it.
    public mutating func finish() -> [SSEEvent] {
        var events: [SSEEvent] = []
        if !line.isEmpty, let event = processLine() { events.append(event) }
        if let event = dispatch() { events.append(event) }
        lastLineEndedWithCR = false
        return events
    }

    // MARK: - Lines

    private mutating func processLine() -> SSEEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if atStreamStart {
            atStreamStart = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        if line.isEmpty { return dispatch() }
        if line[0] == UInt8(ascii: ":") { return nil }

        let field: String
        let value: String
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: line[..<colon], as: UTF8.self)
            var valueStart = colon + 1
            if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
            value = String(decoding: line[valueStart...], as: UTF8.self)
        } else {
            field = String(decoding: line, as: UTF8.self)
            value = ""
        }

        switch field {
        case "event":
            eventType = value
        case "data":
            dataLines.append(value)
            dataBytes += line.count
        case "id":
            if !value.contains("\u{0}") { lastEventID = value }
        case "retry":
            if !value.isEmpty, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) { retry = Int(value) }
        default:
            break  // The specification ignores unknown fields.
        }
        return nil
    }

    private mutating func dispatch() -> SSEEvent? {
        defer {
            eventType = nil
            dataLines.removeAll()
            dataBytes = 0
            retry = nil
        }
        guard !dataLines.isEmpty else { return nil }
        let type = eventType.flatMap { $0.isEmpty ? nil : $0 }
        return SSEEvent(event: type, data: dataLines.joined(separator: "\n"), id: lastEventID, retry: retry)
    }
}
