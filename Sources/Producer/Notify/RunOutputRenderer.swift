import Foundation
import Shared

/// Turns a run's final result into the message its job's `deliver` block names: the
/// answer, one output variable or a template over the outputs, with the run's status and
/// error first when the run did not succeed.
struct RunOutputRenderer: Sendable {
    /// Reason a result has no message to send, recorded in the `output_failed` event.
    struct Failure: Error, Sendable, Hashable {
        var reason: String
        var message: String
    }

    var publicURL: String?

    /// Renders the message for `result` in `language`.
    ///
    /// - Throws: ``Failure`` when the output variable is missing or the template fails.
    func message(for result: RunResult, job: Job, spec: DeliverySpec, language: AlertWording.Language) throws(Failure) -> OutputMessage {
        let content = spec.effectiveContent(kind: job.effectiveKind) ?? .answer
        let zh = language == .chinese
        let link = AlertNotice.runLink(publicURL: publicURL, triggerID: result.triggerID)
        var body: String
        switch content {
        case .answer:
            body = result.answer ?? ""
            if result.ioTruncated == true, !body.isEmpty {
                body += zh ? "\n\n> 回答超过结果大小上限，只保留了开头部分；完整回答见 Dify 中的运行记录。"
                    : "\n\n> The answer was longer than the result size cap and only its start was kept; Dify's run log has all of it."
            }
        case .output:
            body = try outputText(result, path: spec.output ?? "", required: result.status.outcome == .success)
        case .template:
            // Validation compiled the template already; a job read before that check existed
            // fails here with the same message.
            do {
                let template = try DeliveryTemplate.compile(spec.template ?? "")
                body = template.renderText(DeliveryTemplate.context(job: job, result: result, runLink: link))
            } catch {
                throw Failure(reason: "template_invalid", message: "deliver.template: \(error.description)")
            }
        }

        if result.status.outcome != .success {
            var lines = ["**\(zh ? "状态" : "Status")**: \(result.status.rawValue)"]
            if let error = result.error {
                let message = String(error.message.prefix(AlertWording.maxErrorCharacters))
                lines.append("**\(zh ? "错误" : "Error")**: \(MarkupStyle.markdown.escape(message))")
            }
            body = lines.joined(separator: "\n\n") + (body.isEmpty ? "" : "\n\n" + body)
        }

        return OutputMessage(
            title: title(result, job: job, spec: spec, zh: zh), text: body, link: link,
            jobID: result.jobID, triggerID: result.triggerID, status: result.status, content: content.rawValue)
    }

    /// Returns the configured title, or the job id with the scheduled time in the job's zone; a run
    /// that did not succeed adds its status.
    func title(_ result: RunResult, job: Job, spec: DeliverySpec, zh: Bool) -> String {
        var title = spec.title ?? job.id
        if spec.title == nil, let scheduledAt = result.scheduledAt, let format = try? TemplateDateFormat("yyyy-MM-dd HH:mm") {
            let zone = (try? ZoneRules.named(job.schedule.timezone ?? "UTC")) ?? ZoneRules.utc
            title += " · \(format.format(TemplateTime(scheduledAt, zone: zone))) (\(zone.identifier))"
        }
        if result.status.outcome != .success {
            title = (zh ? "【\(result.status.rawValue)】" : "[\(result.status.rawValue)] ") + title
        }
        return title
    }

    /// The text of the output at `path` (`name` or `name.key…`): strings as they are, other
    /// values as JSON in a code block.
    ///
    /// - Parameter required: false for runs that did not succeed, because their outputs are
    ///   often missing. For them a missing output gives an empty text instead of a failure.
    func outputText(_ result: RunResult, path: String, required: Bool) throws(Failure) -> String {
        var value = result.outputs ?? .null
        var walked: [String] = []
        for step in path.split(separator: ".").map(String.init) {
            guard let next = value[step] else {
                guard required else { return "" }
                if result.ioTruncated == true {
                    throw Failure(reason: "output_truncated", message: "the run's outputs were cut to the record size cap, so \"\(path)\" is not in the result: send a smaller output or content: answer")
                }
                let known = (value.objectValue?.keys.sorted() ?? []).joined(separator: ", ")
                let place = walked.isEmpty ? "the run's outputs" : "\"\(walked.joined(separator: "."))\""
                throw Failure(reason: "output_missing", message: "\(place) have no \"\(step)\" (keys: \(known.isEmpty ? "none" : known)): set deliver.output to one of them")
            }
            walked.append(step)
            value = next
        }
        switch value {
        case .null: return ""
        case .string(let text): return text
        case .object, .array: return "```json\n" + Self.prettyJSON(value) + "\n```"
        default: return value.compactText()
        }
    }

    static func prettyJSON(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return value.compactText() }
        return String(decoding: data, as: UTF8.self)
    }
}
