/// An app's description from `GET /info`.
public struct DifyAppInfo: Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var tags: [String]
    /// Dify's mode: `workflow`, `advanced-chat`, `chat`, `agent-chat`, `completion`, …
    public var mode: String?
    public var authorName: String?

    /// The kind of endpoints this app takes; nil for a mode this client does not know.
    public var kind: DifyAppKind? { mode.flatMap(DifyAppKind.init(infoMode:)) }

    init(json: JSONValue) {
        name = json.text("name")
        description = json.text("description")
        tags = json.texts("tags") ?? []
        mode = json.text("mode")
        authorName = json.text("author_name")
    }
}

/// One variable of an app's input form, from `GET /parameters`.
public struct DifyInputVariable: Sendable, Hashable {
    /// `text-input`, `paragraph`, `select`, `number`, `file`, `file-list`, `checkbox`,
    /// `json_object`, or what a newer Dify adds.
    public var kind: String
    /// The key to use in `inputs`.
    public var name: String
    public var label: String?
    public var required: Bool
    public var defaultValue: JSONValue?
    /// Allowed values of a `select`.
    public var options: [String]
    public var maxLength: Int?

    public init(
        kind: String, name: String, label: String? = nil, required: Bool, defaultValue: JSONValue? = nil,
        options: [String] = [], maxLength: Int? = nil
    ) {
        self.kind = kind
        self.name = name
        self.label = label
        self.required = required
        self.defaultValue = defaultValue
        self.options = options
        self.maxLength = maxLength
    }
}

/// An app's parameters from `GET /parameters`: its input form and feature switches.
public struct DifyAppParameters: Sendable, Hashable {
    public var inputs: [DifyInputVariable]
    public var fileUploadEnabled: Bool?
    public var openingStatement: String?
    /// The whole response, for fields this client does not read.
    public var raw: JSONValue

    /// Reads `user_input_form`: a list of one-key objects such as `{"text-input": {...}}`.
    /// Entries that are not such objects are skipped.
    init(json: JSONValue) {
        var variables: [DifyInputVariable] = []
        for entry in json["user_input_form"]?.arrayValue ?? [] {
            guard let object = entry.objectValue, object.count == 1, let (kind, spec) = object.first,
                let name = spec.text("variable")
            else { continue }
            variables.append(
                DifyInputVariable(
                    kind: spec.text("type") ?? kind, name: name, label: spec.text("label"),
                    required: spec.flag("required") ?? false, defaultValue: spec.present("default"),
                    options: spec.texts("options") ?? [], maxLength: spec.integer("max_length").map { Int($0) }
                ))
        }
        inputs = variables
        fileUploadEnabled = json["file_upload"]?.flag("enabled")
        openingStatement = json.text("opening_statement")
        raw = json
    }
}
