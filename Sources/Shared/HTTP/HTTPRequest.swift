import Foundation

/// One HTTP request as the server received it, with its whole body.
public struct HTTPRequest: Sendable {
    /// Request method in upper case, as sent (`GET`, `POST`).
    public var method: String
    /// Percent-decoded path without the query string, for example `/v1/workflows/run`.
    public var path: String
    /// Decoded query parameters in the order sent; a repeated name appears once per value.
    public var queryItems: [(name: String, value: String)]
    /// Header fields with lower-cased names; repeated fields are joined with `, `.
    public var headers: [String: String]
    public var body: Data
    /// Client address as `host:port`, or `unknown` when the socket did not report it.
    public var remoteAddress: String

    public init(
        method: String,
        path: String,
        queryItems: [(name: String, value: String)] = [],
        headers: [String: String] = [:],
        body: Data = Data(),
        remoteAddress: String = "unknown"
    ) {
        self.method = method
        self.path = path
        self.queryItems = queryItems
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// Returns the first value of the query parameter `name`, or nil when it is absent.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Returns the header field `name` (any case), or nil when it is absent.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}
