import Foundation

/// A recorded Dify exchange from `Fixtures/dify/*.http`: the request as sent and the
/// response status, headers and body exactly as received.
struct DifyFixture {
    var requestBody: String
    var status: Int
    var headers: [String: String]
    var body: Data

    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("dify")
    }

    static func names(prefix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".http") }
            .sorted()
    }

    static func load(_ name: String) throws -> DifyFixture {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        let text = String(decoding: data, as: UTF8.self)
        guard let requestRange = text.range(of: "### REQUEST\n"), let responseRange = text.range(of: "### RESPONSE\n")
        else { throw FixtureError(name: name) }

        let request = text[requestRange.upperBound..<responseRange.lowerBound]
        let requestBody = request.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)

        // The body is kept as bytes: it starts after the first blank line of the response.
        let responseStart = text.utf8.distance(from: text.utf8.startIndex, to: responseRange.upperBound.samePosition(in: text.utf8)!)
        let response = data[(data.startIndex + responseStart)...]
        guard let blank = response.firstRange(of: Data("\n\n".utf8)) else { throw FixtureError(name: name) }
        let head = String(decoding: response[..<blank.lowerBound], as: UTF8.self).split(separator: "\n")
        let statusParts = head[0].split(separator: " ")
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return DifyFixture(
            requestBody: requestBody, status: Int(statusParts[1])!, headers: headers,
            body: Data(response[blank.upperBound...]))
    }

    struct FixtureError: Error { var name: String }
}
