import Foundation

/// Filters, order and page of a run list; every filter given must match.
public struct RunQuery: Sendable, Hashable {
    public var apps: [String] = []
    public var jobIDs: [String] = []
    public var statuses: [String] = []
    public var sources: [String] = []
    /// Runs whose sort instant (scheduled, else emitted, started or finished) is at or after this.
    public var from: Date?
    /// Runs whose sort instant is before this.
    public var to: Date?
    public var triggerID: String?
    /// Dify's workflow run id.
    public var workflowRunID: String?
    /// Runs that re-run this trigger id.
    public var rerunOf: String?
    /// Text that the job id must contain, compared without case.
    public var jobSearch: String?
    public var limit: Int = 50
    public var cursor: RecordCursor?
    /// Oldest first when true; newest first by default.
    public var ascending = false

    public init() {}

    public static let maxLimit = 500
}

/// Filters, order and page of an event or alert list.
public struct EventQuery: Sendable, Hashable {
    public var apps: [String] = []
    public var jobIDs: [String] = []
    public var triggerID: String?
    /// Event types (`emitted`, `misfired`, …) or, for alerts, alert kinds.
    public var types: [String] = []
    public var from: Date?
    public var to: Date?
    public var limit: Int = 50
    public var cursor: RecordCursor?
    public var ascending = false

    public init() {}
}

/// The position after the last item of a page: its sort instant and id.
///
/// Sent to clients as opaque URL-safe base64 text, so that they pass it back unchanged.
public struct RecordCursor: Sendable, Hashable {
    public var sortAt: Int64
    public var id: String

    public init(sortAt: Int64, id: String) {
        self.sortAt = sortAt
        self.id = id
    }

    public var token: String {
        Data("\(sortAt):\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Parses a token made by ``token``; nil for anything else.
    public init?(token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":"), let sortAt = Int64(text[..<colon])
        else { return nil }
        self.init(sortAt: sortAt, id: String(text[text.index(after: colon)...]))
    }
}

/// One page of a list and the cursor of the next page, nil on the last page.
public struct RecordPage<Item: Sendable & Encodable>: Sendable, Encodable {
    public var items: [Item]
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        // Written as null on the last page, so clients can test for it.
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}
