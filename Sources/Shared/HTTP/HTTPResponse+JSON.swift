import Foundation

extension HTTPResponse {
    /// A JSON response with `Content-Type: application/json`.
    public static func json(_ status: Int = 200, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [("Content-Type", "application/json")],
            bytes: Array(value.compactText(sortedKeys: true).utf8)
        )
    }

    /// A JSON response encoding `value` with sorted keys and ISO 8601 dates.
    ///
    /// A value that cannot be encoded gives the bare 500 of ``HTTPError/internalError``.
    public static func json(_ status: Int = 200, encoding value: some Encodable) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(value) else { return HTTPError.internalError.response }
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], bytes: Array(data))
    }
}

extension HTTPRequest {
    /// Parses the body as JSON.
    ///
    /// - Throws: ``HTTPError`` 400 `invalid_json` naming the position of the first problem.
    public func jsonBody() throws -> JSONValue {
        do {
            return try JSONValue.parse(body)
        } catch {
            throw HTTPError(status: 400, code: "invalid_json", message: "request body is not valid JSON: \(error)")
        }
    }

    /// Decodes the body as JSON into `type`.
    ///
    /// - Throws: ``HTTPError`` 400 `invalid_json` with the decoder's description of the problem.
    public func decodeBody<Value: Decodable>(_ type: Value.Type) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch let error as DecodingError {
            throw HTTPError(status: 400, code: "invalid_json", message: "request body does not match: \(Self.describe(error))")
        } catch {
            throw HTTPError(status: 400, code: "invalid_json", message: "request body is not valid JSON")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map(\.stringValue).joined(separator: ".")
            return text.isEmpty ? "body" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(key.stringValue)' in \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context)): \(MessageText.reason(error))"
        case .dataCorrupted(let context):
            return "invalid value at \(path(context)): \(MessageText.reason(error))"
        @unknown default:
            return "invalid body"
        }
    }
}
