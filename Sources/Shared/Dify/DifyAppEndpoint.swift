import Foundation

/// Where and how to call one Dify app: its configured name, API base URL and API key.
///
/// The base URL is the API base that Dify's API Access page shows, ending in `/v1`
/// (`https://api.dify.ai/v1`, `http://HOST/v1`). Paths such as `/workflows/run` are appended
/// to it, and a trailing slash is accepted. The key is sent as `Authorization: Bearer` and
/// never appears in descriptions, errors or logs.
public struct DifyAppEndpoint: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let name: String
    /// The base URL without a trailing slash.
    public let baseURL: URL
    let apiKey: String

    /// - Throws: `DifyError` with code `invalidConfiguration` when the URL is not an absolute
    ///   http or https URL without query or fragment, or the key is empty or contains whitespace.
    public init(name: String, baseURL: String, apiKey: String) throws {
        let trimmed = baseURL.trimmingCharacters(in: .whitespaces)
        let withoutSlash = trimmed.hasSuffix("/") ? String(trimmed.dropLast()) : trimmed
        guard let url = URL(string: withoutSlash),
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil
        else {
            throw DifyError(
                code: .invalidConfiguration,
                reason: "base_url \"\(baseURL)\" of app '\(name)' is not an http or https URL without query; use "
                    + "the API base that Dify's API Access page shows, such as http://dify.internal/v1.",
                retryable: false, app: name)
        }
        guard !apiKey.isEmpty, !apiKey.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw DifyError(
                code: .invalidConfiguration,
                reason: "The API key of app '\(name)' is empty or contains whitespace; check the value that "
                    + "api_key_env or api_key_file of app '\(name)' provides (a trailing newline in a key file "
                    + "must be trimmed).",
                retryable: false, app: name)
        }
        self.name = name
        self.baseURL = url
        self.apiKey = apiKey
    }

    /// Returns the URL of `path` (starting with `/`) under the base URL, with `query` items.
    func url(_ path: String, query: [URLQueryItem] = []) -> URL {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)!
        components.percentEncodedPath += path
        if !query.isEmpty { components.queryItems = query }
        return components.url!
    }

    public var description: String { "DifyAppEndpoint(\(name), \(baseURL.absoluteString))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["name": name, "baseURL": baseURL, "apiKey": "[REDACTED]"])
    }
}
