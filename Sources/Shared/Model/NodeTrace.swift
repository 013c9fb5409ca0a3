/// One node execution of a Dify run, as kept in results and records.
///
/// Nodes inside an iteration or a loop name that container's node id in `parentNodeID` and
/// the round in `parentIndex` (from 0).
public struct NodeTrace: Codable, Hashable, Sendable {
    /// Dify's node execution id; for iteration and loop containers Dify sends the node id here.
    public var executionID: String
    public var nodeID: String
    public var nodeType: String
    public var title: String
    /// Dify's node status: `running`, `succeeded`, `failed`, `exception`, `stopped`, …
    public var status: String
    public var elapsedMilliseconds: Int64?
    public var totalTokens: Int64?
    public var totalPrice: Double?
    public var currency: String?
    public var error: String?
    public var inputs: JSONValue?
    public var outputs: JSONValue?
    /// True when `inputs` or `outputs` were cut to the size cap.
    public var truncated: Bool?
    public var parentNodeID: String?
    public var parentKind: String?  // "iteration" or "loop"
    public var parentIndex: Int?
    /// Retries Dify made of this node (`node_retry` events).
    public var retries: Int?
    /// Unix seconds, as Dify reports node times.
    public var startedAt: Int64?
    public var finishedAt: Int64?
    /// True when the run ended before Dify reported this node's end; `status` then keeps the
    /// last status Dify sent (`running`). Dify 1.9.2 sends no `node_finished` for the node
    /// that was running when a run is stopped.
    public var unfinished: Bool?

    public init(
        executionID: String, nodeID: String, nodeType: String, title: String, status: String,
        elapsedMilliseconds: Int64? = nil, totalTokens: Int64? = nil, totalPrice: Double? = nil,
        currency: String? = nil, error: String? = nil, inputs: JSONValue? = nil, outputs: JSONValue? = nil,
        truncated: Bool? = nil, parentNodeID: String? = nil, parentKind: String? = nil, parentIndex: Int? = nil,
        retries: Int? = nil, startedAt: Int64? = nil, finishedAt: Int64? = nil, unfinished: Bool? = nil
    ) {
        self.executionID = executionID
        self.nodeID = nodeID
        self.nodeType = nodeType
        self.title = title
        self.status = status
        self.elapsedMilliseconds = elapsedMilliseconds
        self.totalTokens = totalTokens
        self.totalPrice = totalPrice
        self.currency = currency
        self.error = error
        self.inputs = inputs
        self.outputs = outputs
        self.truncated = truncated
        self.parentNodeID = parentNodeID
        self.parentKind = parentKind
        self.parentIndex = parentIndex
        self.retries = retries
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.unfinished = unfinished
    }

    enum CodingKeys: String, CodingKey {
        case title, status, error, inputs, outputs, truncated, currency, retries, unfinished
        case executionID = "node_execution_id"
        case nodeID = "node_id"
        case nodeType = "node_type"
        case elapsedMilliseconds = "elapsed_ms"
        case totalTokens = "total_tokens"
        case totalPrice = "total_price"
        case parentNodeID = "parent_node_id"
        case parentKind = "parent_kind"
        case parentIndex = "parent_index"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }
}
