import CMicroHTTPD
import Foundation
import Synchronization

// The C callbacks libmicrohttpd calls on its polling threads, and the per-request state they
// share with the Swift tasks that run handlers and stream producers.

/// Access handler: called once when headers arrive, once per body piece, and once more at the
/// end of the body, then again after each resume.
let mhdAccessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadDataSize, requestSlot in
    guard let cls, let connection, let uploadDataSize, let requestSlot else { return MHD_Result.NO }
    let core = Unmanaged<HTTPServerCore>.fromOpaque(cls).takeUnretainedValue()

    guard let existing = requestSlot.pointee else {
        let request = MHDRequest(
            core: core,
            connection: connection,
            method: method.map { String(cString: $0) } ?? "GET",
            path: url.map { String(cString: $0) } ?? "/"
        )
        requestSlot.pointee = Unmanaged.passRetained(request).toOpaque()
        return request.headersReceived()
    }

    let request = Unmanaged<MHDRequest>.fromOpaque(existing).takeUnretainedValue()
    if uploadDataSize.pointee > 0 {
        request.bodyReceived(UnsafeRawBufferPointer(start: uploadData, count: uploadDataSize.pointee))
        uploadDataSize.pointee = 0
        return MHD_Result.YES
    }
    return request.bodyComplete()
}

/// Completion callback: the request ended (sent, failed, timed out, or the daemon stopped).
let mhdRequestCompleted: MHD_RequestCompletedCallback = { _, _, requestSlot, termination in
    guard let requestSlot, let pointer = requestSlot.pointee else { return }
    requestSlot.pointee = nil
    let request = Unmanaged<MHDRequest>.fromOpaque(pointer).takeRetainedValue()
    request.completed(cleanly: termination == .REQUEST_TERMINATED_COMPLETED_OK)
}

/// Content reader of streamed bodies; `cls` is a retained ``MHDRequest``.
let mhdStreamReader: MHD_ContentReaderCallback = { cls, _, buffer, maximum in
    guard let cls, let buffer else { return MHD_CONTENT_READER_END_WITH_ERROR }
    let request = Unmanaged<MHDRequest>.fromOpaque(cls).takeUnretainedValue()
    return request.readStream(into: UnsafeMutableRawPointer(buffer), maximum: maximum)
}

let mhdStreamReaderFree: MHD_ContentReaderFreeCallback = { cls in
    guard let cls else { return }
    Unmanaged<MHDRequest>.fromOpaque(cls).release()
}

/// Error log callback: formats libmicrohttpd's printf-style message into the server's logger.
///
/// The `va_list` parameter is declared as a raw pointer because Swift cannot spell `va_list` in
/// a C function type; on the Linux x86-64 and AArch64 conventions a `va_list` argument is passed
/// as a pointer to the argument area, which is what `CVaListPointer` wraps on x86-64.
let mhdLog: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    cls, format, arguments in
    guard let cls, let format else { return }
    let core = Unmanaged<HTTPServerCore>.fromOpaque(cls).takeUnretainedValue()
    var message = String(cString: format)
    #if arch(x86_64)
    if let arguments {
        var text = [CChar](repeating: 0, count: 1024)
        let length = vsnprintf(&text, text.count, format, CVaListPointer(_fromUnsafeMutablePointer: arguments))
        let bytes = text.prefix(max(0, min(Int(length), text.count - 1))).map { UInt8(bitPattern: $0) }
        message = String(decoding: bytes, as: UTF8.self)
    }
    #endif
    // Messages about one connection (a client that went away, a cut stream) are routine.
    let level: LogLevel = message.localizedCaseInsensitiveContains("connection")
        || message.localizedCaseInsensitiveContains("socket") ? .debug : .warning
    core.logger.log(level, "libmicrohttpd reported an error", ["mhd.message": message.trimmingCharacters(in: .whitespacesAndNewlines)])
}

/// One request on one connection, from its headers to the completion callback.
///
/// - Important: the fields without a lock are touched only by libmicrohttpd on the
///   connection's polling thread, which runs the access handler, the content reader and the
///   completion callback one at a time. `shared` is also used by handler tasks, the disconnect
///   watcher and shutdown. Whoever flips `shared.suspended` from true to false makes the one
///   `MHD_resume_connection` call, so a connection is never resumed twice or while running.
final class MHDRequest: @unchecked Sendable {
    private enum Phase {
        case receiving
        case rejected
        case handling
        case streaming
    }

    private struct Shared {
        var suspended = false
        var response: HTTPResponse?
        var handlerTask: Task<Void, Never>?
        var producerTask: Task<Void, Never>?
        var writer: HTTPBodyWriter?
        var aborted = false
        var completed = false
    }

    let id: UInt64
    private let core: HTTPServerCore
    private let connection: OpaquePointer
    private let method: String
    private let path: String
    private var headers: [String: String] = [:]
    private var body = Data()
    private var phase = Phase.receiving
    private var writer: HTTPBodyWriter?
    private let shared = Mutex(Shared())

    init(core: HTTPServerCore, connection: OpaquePointer, method: String, path: String) {
        self.id = core.nextRequestID()
        self.core = core
        self.connection = connection
        self.method = method
        self.path = path
    }

    // MARK: - Access handler steps

    func headersReceived() -> MHD_Result {
        headers = Self.values(of: connection, kind: .HEADER_KIND)
        if let length = headers["content-length"].flatMap(Int.init), length > core.configuration.maxBodyBytes {
            phase = .rejected
            return queue(core.payloadTooLarge())
        }
        return MHD_Result.YES
    }

    func bodyReceived(_ piece: UnsafeRawBufferPointer) {
        guard phase == .receiving else { return }
        if body.count + piece.count > core.configuration.maxBodyBytes {
            phase = .rejected
            body = Data()
            return
        }
        body.append(contentsOf: piece)
    }

    func bodyComplete() -> MHD_Result {
        switch phase {
        case .rejected:
            return queue(core.payloadTooLarge())
        case .receiving:
            return startHandler()
        case .handling:
            return sendResponse()
        case .streaming:
            return MHD_Result.YES
        }
    }

    private func startHandler() -> MHD_Result {
        phase = .handling
        if core.isStopping {
            return queue(core.serviceUnavailable())
        }

        let request = HTTPRequest(
            method: method,
            path: path,
            queryItems: Self.pairs(of: connection, kind: .GET_ARGUMENT_KIND),
            headers: headers,
            body: body,
            remoteAddress: MHDVariadic.clientAddress(of: connection)
        )
        body = Data()
        core.register(self)
        if let socket = MHDVariadic.socket(of: connection) {
            core.watcher.watch(socket: socket, requestID: id)
        }

        // Suspend before the task exists, so its resume always finds the connection suspended.
        MHD_suspend_connection(connection)
        shared.withLock { $0.suspended = true }
        let task = Task { [core] in
            let response = await core.respond(to: request)
            self.deliver(response)
        }
        let cancelNow = shared.withLock { state -> Bool in
            state.handlerTask = task
            return state.aborted
        }
        if cancelNow { task.cancel() }
        return MHD_Result.YES
    }

    private func sendResponse() -> MHD_Result {
        let response = shared.withLock { $0.response }
        guard let response else {
            // Resumed without a response: the client went away or the server is stopping.
            return core.isStopping ? queue(core.serviceUnavailable()) : MHD_Result.NO
        }
        return queue(response)
    }

    private func queue(_ response: HTTPResponse) -> MHD_Result {
        switch response.body {
        case .bytes(let bytes):
            let handle = bytes.withUnsafeBytes { buffer in
                MHD_create_response_from_buffer(
                    buffer.count,
                    UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                    .RESPMEM_MUST_COPY
                )
            }
            guard let handle else { return MHD_Result.NO }
            defer { MHD_destroy_response(handle) }
            Self.addHeaders(response.headers, to: handle)
            return MHD_queue_response(connection, UInt32(response.status), handle)

        case .stream(let produce):
            return queueStream(status: response.status, headers: response.headers, produce: produce)
        }
    }

    private func queueStream(
        status: Int,
        headers: [(name: String, value: String)],
        produce: @escaping @Sendable (HTTPBodyWriter) async throws -> Void
    ) -> MHD_Result {
        let writer = HTTPBodyWriter(highWaterMark: core.configuration.streamHighWaterMark)
        writer.setWakeHook { [self] in MHD_resume_connection(self.connection) }
        self.writer = writer

        let readerReference = Unmanaged.passRetained(self)
        guard let handle = MHD_create_response_from_callback(
            UInt64.max, 16 * 1024, mhdStreamReader, readerReference.toOpaque(), mhdStreamReaderFree
        ) else {
            readerReference.release()
            return MHD_Result.NO
        }
        defer { MHD_destroy_response(handle) }
        Self.addHeaders(headers, to: handle)
        let result = MHD_queue_response(connection, UInt32(status), handle)
        guard result == MHD_Result.YES else { return result }
        phase = .streaming

        let task = Task { [logger = core.logger, path] in
            do {
                try await produce(writer)
                writer.finish(failed: false)
            } catch is HTTPBodyWriter.ClientGone {
                writer.finish(failed: true)
            } catch is CancellationError {
                writer.finish(failed: true)
            } catch {
                logger.debug("stream producer failed, closing the connection", [LogKey.path: path, LogKey.error: "\(error)"])
                writer.finish(failed: true)
            }
        }
        let cancelNow = shared.withLock { state -> Bool in
            state.producerTask = task
            state.writer = writer
            return state.aborted
        }
        if cancelNow {
            task.cancel()
            if writer.markClientGone() { MHD_resume_connection(connection) }
        }
        return result
    }

    // MARK: - Other threads

    /// Stores the handler's response and resumes the connection so MHD sends it.
    private func deliver(_ response: HTTPResponse) {
        let resume = shared.withLock { state -> Bool in
            guard !state.completed else { return false }
            state.response = response
            return Self.takeSuspension(&state)
        }
        if resume { MHD_resume_connection(connection) }
    }

    /// Ends the request early: the client went away, or the server is stopping.
    ///
    /// Cancels the handler or producer task and resumes the connection if it waits, so MHD
    /// notices the closed socket (or sends 503 while stopping) and completes the request.
    func abort() {
        let (resume, handlerTask, producerTask, writer) = shared.withLock { state in
            state.aborted = true
            return (Self.takeSuspension(&state), state.handlerTask, state.producerTask, state.writer)
        }
        handlerTask?.cancel()
        producerTask?.cancel()
        if resume { MHD_resume_connection(connection) }
        if let writer, writer.markClientGone() {
            MHD_resume_connection(connection)
        }
    }

    // MARK: - Polling thread, after the response was queued

    func readStream(into buffer: UnsafeMutableRawPointer, maximum: Int) -> Int {
        guard let writer else { return MHD_CONTENT_READER_END_WITH_ERROR }
        switch writer.read(into: buffer, maximum: maximum) {
        case .bytes(let count):
            return count
        case .end:
            return MHD_CONTENT_READER_END_OF_STREAM
        case .failed:
            return MHD_CONTENT_READER_END_WITH_ERROR
        case .empty:
            MHD_suspend_connection(connection)
            if !writer.noteSuspended() {
                MHD_resume_connection(connection)
            }
            return 0
        }
    }

    func completed(cleanly: Bool) {
        // Clearing the tasks, the writer and its wake hook breaks the reference cycles
        // between this request, its writer and the tasks, so all of them are freed.
        let (handlerTask, producerTask, writer) = shared.withLock { state in
            state.completed = true
            defer {
                state.handlerTask = nil
                state.producerTask = nil
                state.writer = nil
            }
            return (state.handlerTask, state.producerTask, state.writer)
        }
        handlerTask?.cancel()
        if let writer {
            _ = writer.markClientGone()
            writer.clearWakeHook()
        }
        producerTask?.cancel()
        self.writer = nil
        core.unregister(self)
    }

    // MARK: - Helpers

    private static func takeSuspension(_ state: inout Shared) -> Bool {
        guard state.suspended else { return false }
        state.suspended = false
        return true
    }

    private static func addHeaders(_ headers: [(name: String, value: String)], to response: OpaquePointer) {
        for header in headers {
            _ = MHD_add_response_header(response, header.name, header.value)
        }
    }

    private final class PairCollector {
        var pairs: [(name: String, value: String)] = []
    }

    private static func pairs(of connection: OpaquePointer, kind: MHD_ValueKind) -> [(name: String, value: String)] {
        let collector = PairCollector()
        let unmanaged = Unmanaged.passUnretained(collector)
        _ = MHD_get_connection_values(connection, kind, { cls, _, key, value in
            guard let cls, let key else { return MHD_Result.YES }
            let collector = Unmanaged<PairCollector>.fromOpaque(cls).takeUnretainedValue()
            collector.pairs.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
            return MHD_Result.YES
        }, unmanaged.toOpaque())
        return collector.pairs
    }

    private static func values(of connection: OpaquePointer, kind: MHD_ValueKind) -> [String: String] {
        var result: [String: String] = [:]
        for pair in pairs(of: connection, kind: kind) {
            let name = pair.name.lowercased()
            if let existing = result[name] {
                result[name] = existing + ", " + pair.value
            } else {
                result[name] = pair.value
            }
        }
        return result
    }
}

/// Unescape callback: decodes `%HH` in the path and in query arguments as libmicrohttpd's
/// default does, except that `%00` becomes DEL (0x7F).
///
/// The access handler reads the path as a C string, so a decoded NUL would cut it short and
/// `/v1/jobs/%00` would reach the route for `/v1/jobs/`. DEL is a control character like NUL,
/// and ``Router`` rejects a path holding any control character with 400.
let mhdUnescape: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafeMutablePointer<CChar>?) -> Int = { _, _, text in
    guard let text else { return 0 }
    func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
    var read = 0
    var written = 0
    while text[read] != 0 {
        let byte = UInt8(bitPattern: text[read])
        if byte == 0x25, text[read + 1] != 0, text[read + 2] != 0,
            let high = hexValue(UInt8(bitPattern: text[read + 1])), let low = hexValue(UInt8(bitPattern: text[read + 2]))
        {
            let decoded = high << 4 | low
            text[written] = CChar(bitPattern: decoded == 0 ? 0x7F : decoded)
            read += 3
        } else {
            text[written] = text[read]
            read += 1
        }
        written += 1
    }
    text[written] = 0
    return written
}
