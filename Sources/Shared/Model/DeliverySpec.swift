/// A job's `deliver` block: which channels receive the run's output, what that output is,
/// and for which outcomes it is sent.
///
/// ```yaml
/// deliver:
///   channels: [team-chat, ops-mail]
///   content: output          # answer, output or template
///   output: report           # the workflow output variable, for content: output
///   when: success            # success (default), failure or always
///   title: Daily sales report
///   overflow: split          # split (default) or cut
///   max_parts: 5
/// ```
///
/// Values stay text so that validation can name a wrong value and the accepted ones; the
/// `effective…` accessors return the typed values.
public struct DeliverySpec: Codable, Hashable, Sendable {
    /// Names under `channels:`.
    public var channels: [String]?
    /// `answer`, `output` or `template`; defaults to `answer` for chatflow and completion jobs.
    public var content: String?
    /// The output variable sent for `content: output`.
    public var output: String?
    /// The template rendered over the run's outputs for `content: template`.
    public var template: String?
    /// `success`, `failure` or `always`.
    public var when: String?
    /// The message title; defaults to the job id.
    public var title: String?
    /// Handling of output longer than one message: `split` into numbered parts, or `cut`
    /// with a link to the run.
    public var overflow: String?
    /// Maximum number of messages one delivery sends on a chat channel before the rest is cut
    /// (default 5).
    public var maxParts: Int?

    public init(
        channels: [String]? = nil, content: String? = nil, output: String? = nil, template: String? = nil,
        when: String? = nil, title: String? = nil, overflow: String? = nil, maxParts: Int? = nil
    ) {
        self.channels = channels
        self.content = content
        self.output = output
        self.template = template
        self.when = when
        self.title = title
        self.overflow = overflow
        self.maxParts = maxParts
    }

    enum CodingKeys: String, CodingKey {
        case channels, content, output, template, when, title, overflow
        case maxParts = "max_parts"
    }

    /// Kind of content a delivery sends.
    public enum Content: String, Sendable, Hashable, CaseIterable {
        /// The chatflow or completion answer, or the text a workflow streamed.
        case answer
        /// One output variable of a workflow.
        case output
        /// A template over the outputs.
        case template
    }

    /// Run outcomes that are delivered.
    public enum When: String, Sendable, Hashable, CaseIterable {
        case success
        case failure
        case always

        /// Returns whether a run that ended with `status` is delivered.
        public func includes(_ status: RunStatus) -> Bool {
            switch self {
            case .always: true
            case .success: status.outcome == .success
            case .failure: status.outcome == .failure
            }
        }
    }

    /// Handling of output longer than one message.
    public enum Overflow: String, Sendable, Hashable, CaseIterable {
        case split
        case cut
    }

    public static let defaultMaxParts = 5
    public static let maxPartsRange = 1...20

    /// Returns the content kind, or nil when it is neither given nor implied by the job's kind.
    public func effectiveContent(kind: JobKind) -> Content? {
        if let content { return Content(rawValue: content) }
        if output != nil { return .output }
        if template != nil { return .template }
        return kind == .chatflow || kind == .completion ? .answer : nil
    }

    public var effectiveWhen: When { when.flatMap(When.init(rawValue:)) ?? .success }
    public var effectiveOverflow: Overflow { overflow.flatMap(Overflow.init(rawValue:)) ?? .split }
    public var effectiveMaxParts: Int { maxParts ?? Self.defaultMaxParts }
}
