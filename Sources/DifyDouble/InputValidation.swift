import Foundation
import Shared

/// Checks run inputs against the recorded app's form, with Dify 1.9.2's messages.
///
/// The form: `topic` (text, required, at most 256 characters), `fail` (select `no`/`yes`),
/// `sleep` (number; a numeric string is converted), `mode` (select `plain`/`iterate`). Inputs
/// not in the form are ignored, as Dify's input preparation does, so `_double_*` controls
/// never reach the run's recorded inputs.
enum InputValidation {
    struct Validated {
        var topic: String
        var fail: String?
        var sleep: OrderedJSON?
        var sleepSeconds: Double
        var mode: String?
    }

    static func validate(_ inputs: [String: JSONValue]) throws(DifyDoubleServer.Rejection) -> Validated {
        func reject(_ message: String) -> DifyDoubleServer.Rejection {
            DifyDoubleServer.Rejection(response: DifyResponses.invalidParameter(message))
        }

        guard let topicValue = inputs["topic"], !topicValue.isNull else { throw reject("topic is required in input form") }
        guard let topic = topicValue.stringValue else { throw reject("topic in input form must be a string") }
        guard !topic.isEmpty else { throw reject("topic is required in input form") }
        guard topic.count <= 256 else { throw reject("topic in input form must be less than 256 characters") }

        let fail = try select(inputs["fail"], name: "fail", options: ["no", "yes"], reject: reject)
        let mode = try select(inputs["mode"], name: "mode", options: ["plain", "iterate"], reject: reject)

        var sleep: OrderedJSON?
        var seconds = 0.0
        switch inputs["sleep"] {
        case nil, .null?:
            break
        case .int(let number)?:
            sleep = .int(number)
            seconds = Double(number)
        case .double(let number)?:
            sleep = .double(number)
            seconds = number
        case .string(let text)?:
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { break }
            if !trimmed.contains("."), let number = Int64(trimmed) {
                sleep = .int(number)
                seconds = Double(number)
            } else if let number = Double(trimmed) {
                sleep = .double(number)
                seconds = number
            } else {
                throw reject("sleep in input form must be a valid number")
            }
        default:
            throw reject("sleep in input form must be a valid number")
        }
        return Validated(topic: topic, fail: fail, sleep: sleep, sleepSeconds: max(0, seconds), mode: mode)
    }

    private static func select(
        _ value: JSONValue?,
        name: String,
        options: [String],
        reject: (String) -> DifyDoubleServer.Rejection
    ) throws(DifyDoubleServer.Rejection) -> String? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue, options.contains(text) else {
            let listed = options.map { "'\($0)'" }.joined(separator: ", ")
            throw reject("\(name) in input form must be one of the following: [\(listed)]")
        }
        return text
    }
}
