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
/// such as Dify's `event: ping` keep-alive, is dropped, as the specification says. Text is
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
        for byte in bytes {
            if lastLineEndedWithCR {
                lastLineEndedWithCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"):
                if let event = processLine() { events.append(event) }
            case UInt8(ascii: "\r"):
                lastLineEndedWithCR = true
                if let event = processLine() { events.append(event) }
            default:
                line.append(byte)
                if line.count + dataBytes > maxFrameBytes {
                    throw DifyError.frameTooLarge(limit: maxFrameBytes)
                }
            }
        }
        return events
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
