import Foundation

/// JSON encoding and decoding of topic messages, with errors that name the field.
///
/// Instants are RFC 3339 UTC text. Unknown fields are ignored, so readers of adjacent versions
/// can run side by side; a message whose `v` is newer than the reader's is rejected.
public enum MessageCodec {
    /// Upper bound on the size of one message value, against hostile input.
    public static let maxMessageBytes = 1_048_576

    public static func encode<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.rfc3339Auto(date))
        }
        // Encoding these plain value types cannot fail: no infinite doubles reach here because
        // JSONValue writes them as null and every other Double comes from finite arithmetic.
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    /// Decodes a message of type `T`.
    ///
    /// - Throws: ``MessageError`` naming the missing or invalid field.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, maxVersion: Int = 1) throws -> T {
        guard data.count <= maxMessageBytes else {
            throw MessageError(reason: "message of \(data.count) bytes exceeds the limit of \(maxMessageBytes) bytes")
        }
        // A strict syntax check first, with a nesting limit that Foundation's parser lacks.
        let document: JSONValue
        do {
            document = try JSONValue.parse(data)
        } catch let error as JSONValueError {
            throw MessageError(reason: "not valid JSON: \(error.description)")
        }
        guard case .object(let members) = document else {
            throw MessageError(reason: "expected a JSON object")
        }
        if let version = members["v"] {
            guard let number = version.intValue else {
                throw MessageError(field: "v", reason: "must be a whole number")
            }
            guard number <= maxVersion else {
                throw MessageError(field: "v", reason: "version \(number) is newer than this reader supports (\(maxVersion)): upgrade dify-scheduler")
            }
        }

        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "\"\(text)\" is not an RFC 3339 instant such as 2026-03-29T01:00:00Z")
            }
            return date
        }
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw MessageError(decoding: error)
        }
    }
}

/// A message that could not be decoded, naming the field and the problem.
public struct MessageError: Error, Sendable, CustomStringConvertible {
    public var field: String?
    public var reason: String

    public init(field: String? = nil, reason: String) {
        self.field = field
        self.reason = reason
    }

    init(decoding error: DecodingError) {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingPrefix(".").description
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            self.init(field: parent.isEmpty ? key.stringValue : "\(parent).\(key.stringValue)", reason: "missing required field")
        case .valueNotFound(_, let context), .typeMismatch(_, let context), .dataCorrupted(let context):
            self.init(field: path(context.codingPath), reason: MessageText.reason(error))
        @unknown default:
            self.init(reason: "\(error)")
        }
    }

    public var description: String {
        if let field, !field.isEmpty {
            return "\(field): \(reason)"
        }
        return reason
    }
}
