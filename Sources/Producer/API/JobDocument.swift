import Foundation
import Shared

/// A job definition read from a request body in JSON or YAML, with every problem found while
/// reading it.
///
/// The body is YAML when `Content-Type` names YAML (`application/yaml`, `application/x-yaml`,
/// `text/yaml`) and JSON otherwise. Both go through the checks jobs from files get: unknown
/// fields are problems, `managed_by` must be `api` or absent (it becomes `api`), and on a path
/// with an id the body's `id` must match it or be absent. A YAML body keeps its tree, so a
/// problem's field can be mapped to the line it is written on.
struct JobDocument: Sendable {
    enum Format: String, Sendable {
        case json, yaml
    }

    /// One problem with the body or the job, with the line of the field in a YAML body.
    struct Issue: Sendable, Hashable {
        /// Dotted path inside the job, such as `schedule.cron`, or `body` for the body as a whole.
        var field: String
        var message: String
        /// 1-based line in a YAML body; nil for JSON or when the field is not written.
        var line: Int?
    }

    var format: Format
    /// The job as it would be stored: `managed_by: api` and the current version; nil when the
    /// body could not be decoded into a job.
    var job: Job?
    var issues: [Issue] = []
    /// The parsed YAML document, for mapping fields to lines.
    var yamlRoot: YAMLNode?

    /// Media types that make the body YAML.
    static let yamlTypes = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]

    static func format(of request: HTTPRequest) -> Format {
        let contentType = (request.header("Content-Type") ?? "").lowercased()
        return yamlTypes.contains { contentType.hasPrefix($0) } ? .yaml : .json
    }

    /// Reads the job in `request`'s body; `pathID` is the id from the path of a `PUT`.
    static func read(_ request: HTTPRequest, pathID: String?) -> JobDocument {
        switch format(of: request) {
        case .json: readJSON(request.body, pathID: pathID)
        case .yaml: readYAML(request.body, pathID: pathID)
        }
    }

    static func readJSON(_ body: Data, pathID: String?) -> JobDocument {
        var document = JobDocument(format: .json)
        let value: JSONValue
        do {
            value = try JSONValue.parse(body)
        } catch {
            document.issues.append(Issue(field: "body", message: "the body is not valid JSON: \(error)"))
            return document
        }
        guard case .object(var members) = value else {
            document.issues.append(Issue(field: "body", message: "the body must be a JSON object: a job definition"))
            return document
        }

        if let pathID {
            if let bodyID = members["id"], bodyID != .string(pathID) {
                document.issues.append(Issue(field: "id", message: "id in the body differs from the path; a job's id cannot change"))
            }
            members["id"] = .string(pathID)
        }
        for unknown in members.keys.sorted() where !ControlAPI.jobFields.contains(unknown) {
            document.issues.append(Issue(field: unknown, message: "unknown field \"\(unknown)\": a job has \(ControlAPI.jobFields.sorted().joined(separator: ", "))"))
        }
        if let managedBy = members["managed_by"], managedBy != .string("api") {
            document.issues.append(Issue(field: "managed_by", message: managedByMessage))
        }
        members["managed_by"] = .string("api")
        members["v"] = .int(Int64(Job.currentVersion))

        do {
            document.job = try MessageCodec.decode(Job.self, from: Data(JSONValue.object(members).compactText().utf8))
        } catch let error as MessageError {
            document.issues.append(Issue(field: error.field ?? "body", message: error.reason))
        } catch {
            document.issues.append(Issue(field: "body", message: "\(error)"))
        }
        if !document.issues.isEmpty { document.job = nil }
        return document
    }

    static func readYAML(_ body: Data, pathID: String?) -> JobDocument {
        var document = JobDocument(format: .yaml)
        guard let text = String(data: body, encoding: .utf8) else {
            document.issues.append(Issue(field: "body", message: "the body is not UTF-8 text"))
            return document
        }
        var root: YAMLNode
        do {
            root = try YAMLNode.parse(text, file: "body")
        } catch let error as ConfigError {
            document.issues.append(Issue(field: error.path ?? "body", message: error.message, line: error.line > 0 ? error.line : nil))
            return document
        } catch {
            document.issues.append(Issue(field: "body", message: "\(error)"))
            return document
        }
        guard case .mapping(var pairs, let mark) = root else {
            document.issues.append(Issue(field: "body", message: "the body must be a YAML mapping: a job definition with id, app and schedule", line: root.mark.line))
            return document
        }
        document.yamlRoot = root
        if let pathID {
            if let bodyID = root["id"] {
                if bodyID.scalarText != pathID {
                    document.issues.append(Issue(field: "id", message: "id in the body differs from the path; a job's id cannot change", line: bodyID.mark.line))
                }
            } else {
                pairs.append((key: .scalar("id", quoted: false, mark: mark), value: .scalar(pathID, quoted: true, mark: mark)))
                root = .mapping(pairs, mark: mark)
            }
        }
        if let managedBy = root["managed_by"], managedBy.scalarText != "api" {
            document.issues.append(Issue(field: "managed_by", message: managedByMessage, line: managedBy.mark.line))
        }
        do {
            var job = try YAMLDecoder().decode(Job.self, from: root)
            job.managedBy = .api
            job.version = Job.currentVersion
            if document.issues.isEmpty { document.job = job }
        } catch let error as ConfigError {
            document.issues.append(Issue(field: error.path ?? "body", message: error.message, line: error.line > 0 ? error.line : nil))
        } catch {
            document.issues.append(Issue(field: "body", message: "\(error)"))
        }
        return document
    }

    static let managedByMessage = "jobs made through the API are managed_by: api; manage file jobs with dify-producer apply"

    /// Returns the line of `field` (a dotted path such as `schedule.cron` or `alerts.on[1]`) in
    /// a YAML body: the line of the deepest part of the path that is written, or nil.
    func line(of field: String) -> Int? {
        guard var node = yamlRoot else { return nil }
        var line: Int?
        for part in Self.pathParts(field) {
            switch (node, part) {
            case (.mapping(let pairs, _), .key(let key)):
                // The key's line, because a block mapping or list under it starts a line lower.
                guard let pair = pairs.first(where: { $0.key.scalarText == key }) else { return line }
                line = pair.key.mark.line
                node = pair.value
            case (.sequence(let items, _), .index(let index)) where index < items.count:
                node = items[index]
                line = node.mark.line
            default:
                return line
            }
        }
        return line
    }

    private enum PathPart {
        case key(String)
        case index(Int)
    }

    private static func pathParts(_ field: String) -> [PathPart] {
        var parts: [PathPart] = []
        for segment in field.split(separator: ".") {
            var rest = Substring(segment)
            if let bracket = rest.firstIndex(of: "[") {
                parts.append(.key(String(rest[..<bracket])))
                rest = rest[bracket...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                    if let index = Int(rest[rest.index(after: rest.startIndex)..<close]) { parts.append(.index(index)) }
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                parts.append(.key(String(rest)))
            }
        }
        return parts
    }

    /// Returns the entity tag of a stored job: a hash of its canonical JSON, quoted as HTTP
    /// wants. Two reads of an unchanged job give the same tag on every producer.
    static func entityTag(of job: Job) -> String {
        var stored = job
        stored.version = Job.currentVersion
        return "\"" + String(StableHash.hex(StableHash.sha256(MessageCodec.encode(stored))).prefix(24)) + "\""
    }
}
