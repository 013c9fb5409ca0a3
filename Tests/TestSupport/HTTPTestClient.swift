import Foundation

/// A blocking HTTP/1.1 client over a plain socket, for tests that need to see chunks as they
/// arrive or to drop a connection mid-response. Every call runs on a thread of its own.
public final class HTTPTestClient: @unchecked Sendable {
    // Used by one test task at a time; the socket and buffer are never shared.
    /// A whole response: status, headers with lowercased names, and the body.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// A failed connect, send or read, or a response that is not HTTP/1.1.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private let socket: Int32
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:`port`. Each read times out after `readTimeout`.
    public init(port: Int, readTimeout: Duration = .seconds(30)) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            Glibc.close(socket)
            throw Failure(description: "connect to 127.0.0.1:\(port) failed, errno \(errno)")
        }
        let (seconds, attoseconds) = readTimeout.components
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { Glibc.close(socket) }

    /// Shuts the connection down both ways, as a client that goes away mid-response.
    public func close() {
        shutdown(socket, Int32(SHUT_RDWR))
    }

    /// Sends a request head and `body`. A POST always carries a `Content-Length`.
    public func send(method: String, path: String, headers: [String: String] = [:], body: [UInt8] = []) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try sendAll(Array(head.utf8) + body)
    }

    /// Sends raw bytes, for requests the `send` method would not write.
    public func sendAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send failed, errno \(errno)") }
            offset += sent
        }
    }

    /// Reads the status line and headers.
    public func readHead() throws -> (status: Int, headers: [String: String]) {
        let head = try readUntil([13, 10, 13, 10])
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line '\(lines[0])'")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }

    /// Reads one chunk of a chunked body; an empty array is the final chunk.
    public func readChunk() throws -> [UInt8] {
        let sizeLine = String(decoding: try readUntil([13, 10]), as: UTF8.self)
        guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
            throw Failure(description: "bad chunk size '\(sizeLine)'")
        }
        let data = try readExactly(size)
        _ = try readExactly(2)
        return data
    }

    /// Reads a whole response, chunked or with a length.
    public func readResponse() throws -> Response {
        let (status, headers) = try readHead()
        var body: [UInt8] = []
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            while true {
                let chunk = try readChunk()
                if chunk.isEmpty { break }
                body += chunk
            }
        } else if let length = headers["content-length"].flatMap(Int.init) {
            body = try readExactly(length)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// True when the server closed the connection (read returns 0 or an error).
    public func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        return recv(socket, &byte, 1, 0) <= 0
    }

    /// Reads until the server closes the connection or a read times out, and returns every
    /// byte not read before.
    public func readToEnd() -> [UInt8] {
        var received = buffer
        buffer.removeAll()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(socket, &chunk, chunk.count, 0)
            if count <= 0 { return received }
            received += chunk[0..<count]
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(socket, &chunk, chunk.count, 0)
        guard count > 0 else { throw Failure(description: "connection closed or timed out (recv \(count), errno \(errno))") }
        buffer += chunk[0..<count]
    }

    private func readUntil(_ marker: [UInt8]) throws -> [UInt8] {
        while true {
            if let range = buffer.firstRange(of: marker) {
                let result = Array(buffer[..<range.lowerBound])
                buffer.removeSubrange(..<range.upperBound)
                return result
            }
            try fill()
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count { try fill() }
        let result = Array(buffer[..<count])
        buffer.removeSubrange(..<count)
        return result
    }

    // MARK: - Async wrappers

    /// Runs `body` on a thread of its own: ``onOwnThread(_:)``.
    public static func blocking<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await onOwnThread(body)
    }

    /// Sends one request on a new connection and reads the whole response.
    public static func fetch(
        port: Int,
        method: String = "GET",
        path: String,
        headers: [String: String] = [:],
        body: [UInt8] = []
    ) async throws -> Response {
        try await blocking {
            let client = try HTTPTestClient(port: port)
            try client.send(method: method, path: path, headers: headers, body: body)
            return try client.readResponse()
        }
    }
}

/// The name the integration tests first gave this client; new tests use `HTTPTestClient`.
public typealias DifyDoubleTestClient = HTTPTestClient
