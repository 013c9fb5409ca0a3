import Foundation

/// Settings of an ``HTTPServer``; every field has a default suited to a control API.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind: an IPv4 or IPv6 literal, or `localhost`. `0.0.0.0` or `::` listen on all.
    public var host: String
    /// TCP port; 0 lets the system choose a free one, reported by ``HTTPServer/boundPort``.
    public var port: Int
    /// Number of libmicrohttpd polling threads; handlers run on Swift's pool, not on these.
    public var threads: Int
    /// Largest request body accepted; a larger one is answered 413 without reading it.
    public var maxBodyBytes: Int
    /// Idle time after which a connection that sends nothing is closed (whole seconds).
    public var connectionTimeout: Duration
    /// Most connections open at once; more are refused at accept.
    public var maxConnections: Int
    /// Time `shutdown()` lets in-flight requests finish before it cuts them.
    public var shutdownGracePeriod: Duration
    /// Bytes a streamed body may queue before the producer's `write` waits.
    public var streamHighWaterMark: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        threads: Int = 2,
        maxBodyBytes: Int = 1 << 20,
        connectionTimeout: Duration = .seconds(30),
        maxConnections: Int = 4096,
        shutdownGracePeriod: Duration = .seconds(5),
        streamHighWaterMark: Int = 256 * 1024
    ) {
        self.host = host
        self.port = port
        self.threads = threads
        self.maxBodyBytes = maxBodyBytes
        self.connectionTimeout = connectionTimeout
        self.maxConnections = maxConnections
        self.shutdownGracePeriod = shutdownGracePeriod
        self.streamHighWaterMark = streamHighWaterMark
    }

    /// Parses `HOST:PORT` (`[::1]:8080` for IPv6) into host and port.
    ///
    /// - Throws: ``HTTPServerError`` with code `invalidAddress` naming the text.
    public static func parseListenAddress(_ text: String) throws -> (host: String, port: Int) {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw HTTPServerError.invalidAddress(text)
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw HTTPServerError.invalidAddress(text) }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw HTTPServerError.invalidAddress(text) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw HTTPServerError.invalidAddress(text)
        }
        return (String(host), port)
    }
}
