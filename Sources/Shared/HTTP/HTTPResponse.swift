import Foundation

/// An HTTP response: a status, header fields and a body that is either complete or streamed.
///
/// A streamed body is produced by a closure that writes chunks through an ``HTTPBodyWriter``
/// for as long as it likes. The response ends when the closure returns. When the closure
/// throws, the connection is closed without the final chunk so the client sees a cut
/// response. When the client goes away, the closure's task is cancelled and its next write
/// throws ``HTTPBodyWriter/ClientGone``.
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        case stream(@Sendable (HTTPBodyWriter) async throws -> Void)
    }

    public var status: Int
    /// Header fields in the order they are sent; a name may repeat.
    public var headers: [(name: String, value: String)]
    public var body: Body

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, headers: [(name: String, value: String)] = [], bytes: [UInt8]) {
        self.init(status: status, headers: headers, body: .bytes(bytes))
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [("Content-Type", "text/plain; charset=utf-8")],
            bytes: Array(text.utf8)
        )
    }

    /// A streamed response; `produce` writes the body and returns when it is complete.
    public static func stream(
        status: Int = 200,
        headers: [(name: String, value: String)],
        produce: @escaping @Sendable (HTTPBodyWriter) async throws -> Void
    ) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: .stream(produce))
    }

    /// Returns the first value of header `name`, compared without case.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// The complete body bytes, or nil for a streamed body.
    public var bodyBytes: [UInt8]? {
        if case .bytes(let bytes) = body { return bytes }
        return nil
    }
}
