/// Checks a job's `deliver` block: channels that exist, a content kind that fits the job,
/// an output variable name or a template, and the accepted values of `when` and `overflow`.
struct DeliveryValidator {
    /// Names under `channels:`, or nil when the configuration at hand has none to check against.
    var knownChannels: Set<String>?

    /// Output variable paths: a Dify variable name (a letter or `_`, then letters, digits or
    /// `_`), optionally followed by `.key` steps into an object output.
    static func isValidOutputPath(_ path: String) -> Bool {
        let segments = path.split(separator: ".", omittingEmptySubsequences: false)
        guard !path.isEmpty, path.count <= 256 else { return false }
        return segments.allSatisfy { segment in
            guard let first = segment.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
            return segment.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
        }
    }

    func problems(_ deliver: DeliverySpec, job: Job) -> [JobProblem] {
        var problems: [JobProblem] = []
        let kind = job.effectiveKind

        let channels = deliver.channels ?? []
        if channels.isEmpty {
            problems.append(JobProblem(field: "deliver.channels", message: "name at least one channel from channels: to send the run's output to"))
        }
        var seen: Set<String> = []
        for (index, name) in channels.enumerated() {
            if !seen.insert(name).inserted {
                problems.append(JobProblem(field: "deliver.channels[\(index)]", message: "channel \"\(name)\" is listed twice: list each channel once"))
            } else if let knownChannels, !knownChannels.contains(name) {
                let known = knownChannels.sorted().joined(separator: ", ")
                problems.append(JobProblem(field: "deliver.channels[\(index)]", message: "unknown channel \"\(name)\": define it under channels: (known: \(known.isEmpty ? "none" : known)); contacts and groups are for alerts only"))
            }
        }

        if job.storeIO == false {
            problems.append(JobProblem(field: "deliver", message: "store_io: false keeps the answer and outputs out of the run's result, so there is nothing to deliver: remove store_io: false or the deliver block"))
        }
        if let content = deliver.content, DeliverySpec.Content(rawValue: content) == nil {
            problems.append(JobProblem(field: "deliver.content", message: "unknown content \"\(content)\": use answer, output (with output: VARIABLE) or template (with template: TEXT)"))
        }
        switch deliver.effectiveContent(kind: kind) {
        case nil where deliver.content == nil:
            problems.append(JobProblem(field: "deliver.content", message: "a \(kind.rawValue) job must say what to send: content: output with output: VARIABLE (one of the workflow's outputs), content: template with template: TEXT, or content: answer for the text the workflow streams"))
        case .answer? where kind == .difyCleanup:
            problems.append(JobProblem(field: "deliver.content", message: "a dify_cleanup run has no answer: use content: template over its outputs"))
        case .output?:
            if let output = deliver.output {
                if !Self.isValidOutputPath(output) {
                    problems.append(JobProblem(field: "deliver.output", message: "\"\(output)\" is not an output variable name: use the variable's name as the End node lists it, such as report or report.summary for a key inside an object"))
                }
            } else {
                problems.append(JobProblem(field: "deliver.output", message: "content: output needs output: VARIABLE, the name of the workflow output to send"))
            }
        case .template?:
            if let template = deliver.template, !template.isEmpty {
                do {
                    _ = try DeliveryTemplate.compile(template)
                } catch {
                    problems.append(JobProblem(field: "deliver.template", message: "template in job \"\(job.id)\": \(error.description)"))
                }
            } else {
                problems.append(JobProblem(field: "deliver.template", message: "content: template needs template: TEXT, such as \"Summary: {{ outputs.summary }}\""))
            }
        default:
            break
        }
        let content = deliver.effectiveContent(kind: kind)
        if deliver.output != nil && content != .output && content != nil {
            problems.append(JobProblem(field: "deliver.output", message: "output is used only with content: output: remove it or set content: output"))
        }
        if deliver.template != nil && content != .template && content != nil {
            problems.append(JobProblem(field: "deliver.template", message: "template is used only with content: template: remove it or set content: template"))
        }

        if let when = deliver.when, DeliverySpec.When(rawValue: when) == nil {
            problems.append(JobProblem(field: "deliver.when", message: "unknown value \"\(when)\": use success, failure or always"))
        }
        if let overflow = deliver.overflow, DeliverySpec.Overflow(rawValue: overflow) == nil {
            problems.append(JobProblem(field: "deliver.overflow", message: "unknown value \"\(overflow)\": use split (numbered messages) or cut (one message with a link to the run)"))
        }
        if let maxParts = deliver.maxParts, !DeliverySpec.maxPartsRange.contains(maxParts) {
            problems.append(JobProblem(field: "deliver.max_parts", message: "\(maxParts) is out of range: use \(DeliverySpec.maxPartsRange.lowerBound) to \(DeliverySpec.maxPartsRange.upperBound)"))
        }
        if let title = deliver.title, title.isEmpty || title.count > 200 || title.contains(where: \.isNewline) {
            problems.append(JobProblem(field: "deliver.title", message: "the title must be one line of 1 to 200 characters"))
        }
        return problems
    }
}
