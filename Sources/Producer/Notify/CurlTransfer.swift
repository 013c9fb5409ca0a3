import CCurl
import Foundation

/// One libcurl easy handle: an HTTP POST or an SMTP send with connect and total timeouts.
///
/// Every call blocks its thread until the transfer ends or times out; run it on a thread of
/// its own (``DeliveryThreads``), never on Swift's cooperative pool.
final class CurlTransfer {
    /// The outcome of a transfer that reached the server.
    struct Response: Sendable, Hashable {
        var status: Int
        var body: [UInt8]
    }

    /// A transfer that failed before an answer: the libcurl code and its message.
    struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        var code: Int
        var message: String
        var timedOut: Bool { code == Int(CURLE_OPERATION_TIMEDOUT.rawValue) }
        var description: String { "\(message) (libcurl \(code))" }
    }

    private let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>

    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    init() throws {
        guard Self.globalInit, let handle = curl_easy_init() else {
            throw Failure(code: -1, message: "libcurl could not start a transfer")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 1)
    }

    deinit {
        if let headerList { curl_slist_free_all(headerList) }
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// POSTs `body` to `url` and returns the status and body of the answer (capped at 64 KiB).
    func post(url: String, headers: [String: String], body: [UInt8], connectTimeoutMilliseconds: Int, timeoutMilliseconds: Int, caFile: String?) throws -> Response {
        setCommon(connectTimeoutMilliseconds: connectTimeoutMilliseconds, timeoutMilliseconds: timeoutMilliseconds, caFile: caFile)
        _ = ccurl_setopt_string(handle, CURLOPT_URL, url)
        // A webhook URL comes from an environment variable or file; it must not read files.
        _ = ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        headerList = curl_slist_append(headerList, "Expect:")
        _ = ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
        _ = ccurl_setopt_long(handle, CURLOPT_POST, 1)
        let sink = ResponseSink()
        let source = RequestSource(body)
        _ = ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE_LARGE, body.count)
        return try withTransferContext(sink: sink, source: source) {
            var status = 0
            _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            return Response(status: status, body: sink.bytes)
        }
    }

    /// Sends `message` over SMTP, with STARTTLS required when `starttls` is true.
    func sendMail(
        host: String, port: Int, starttls: Bool, username: String?, password: String?, from: String, recipients: [String],
        message: [UInt8], connectTimeoutMilliseconds: Int, timeoutMilliseconds: Int, caFile: String?
    ) throws {
        setCommon(connectTimeoutMilliseconds: connectTimeoutMilliseconds, timeoutMilliseconds: timeoutMilliseconds, caFile: caFile)
        _ = ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "smtp")
        _ = ccurl_setopt_string(handle, CURLOPT_URL, "smtp://\(host):\(port)")
        if starttls {
            _ = ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        }
        if let username { _ = ccurl_setopt_string(handle, CURLOPT_USERNAME, username) }
        if let password { _ = ccurl_setopt_string(handle, CURLOPT_PASSWORD, password) }
        _ = ccurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(from)>")
        for recipient in recipients {
            headerList = curl_slist_append(headerList, "<\(recipient)>")
        }
        _ = ccurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, headerList)
        _ = ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_INFILESIZE_LARGE, message.count)
        let sink = ResponseSink()
        try withTransferContext(sink: sink, source: RequestSource(message)) {}
    }

    private func setCommon(connectTimeoutMilliseconds: Int, timeoutMilliseconds: Int, caFile: String?) {
        _ = ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, connectTimeoutMilliseconds)
        _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
        if let caFile { _ = ccurl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        _ = ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
    }

    private func withTransferContext<T>(sink: ResponseSink, source: RequestSource, _ finish: () -> T) throws -> T {
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        let sourcePointer = Unmanaged.passUnretained(source).toOpaque()
        _ = ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer)
        _ = ccurl_setopt_write_function(handle) { data, size, count, context in
            guard let data, let context else { return 0 }
            let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            if sink.bytes.count < ResponseSink.cap {
                sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: min(length, ResponseSink.cap - sink.bytes.count)))
            }
            return length
        }
        _ = ccurl_setopt_pointer(handle, CURLOPT_READDATA, sourcePointer)
        _ = ccurl_setopt_read_function(handle) { buffer, size, count, context in
            guard let buffer, let context else { return 0 }
            let source = Unmanaged<RequestSource>.fromOpaque(context).takeUnretainedValue()
            return source.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
        }
        let code = withExtendedLifetime((sink, source)) { curl_easy_perform(handle) }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw Failure(code: Int(code.rawValue), message: message)
        }
        return finish()
    }

    /// Collects the answer's body.
    private final class ResponseSink {
        static let cap = 65_536
        var bytes: [UInt8] = []
    }

    /// Hands the request body to libcurl in pieces.
    private final class RequestSource {
        let bytes: [UInt8]
        var offset = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
            let count = min(buffer.count, bytes.count - offset)
            guard count > 0 else { return 0 }
            bytes.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + count]))
            }
            offset += count
            return count
        }
    }
}
