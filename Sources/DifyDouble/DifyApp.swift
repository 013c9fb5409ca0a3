import Foundation
import Shared

/// One Dify app the double serves, reached with its API key.
struct DifyApp: Sendable {
    enum Mode: String, Sendable, CaseIterable {
        case workflow
        /// A chatflow; `/v1/info` reports it as `advanced-chat`, as Dify does.
        case chat
        case completion

        var infoMode: String {
            switch self {
            case .workflow: "workflow"
            case .chat: "advanced-chat"
            case .completion: "completion"
            }
        }
    }

    let mode: Mode
    let appID: String
    let workflowID: String
    let name: String

    /// Builds an app whose ids derive from `key`, so restarts keep them and keys never show.
    init(key: String, mode: Mode) {
        self.mode = mode
        let digest = StableHash.sha256Hex("dify-double:\(mode.rawValue):\(key)")
        appID = DifyApp.uuid(fromHex: String(digest.prefix(32)))
        workflowID = DifyApp.uuid(fromHex: String(digest.suffix(32)))
        name = mode == .workflow ? "scheduler-fixture-workflow" : "dify-double-\(mode.rawValue)"
    }

    /// Stable id of the end user Dify creates for the `user` string of a request.
    func endUserID(for user: String) -> String {
        DifyApp.uuid(fromHex: String(StableHash.sha256Hex("\(appID):\(user)").prefix(32)))
    }

    static func uuid(fromHex hex: String) -> String {
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }

    /// True when `text` has the 8-4-4-4-12 hexadecimal form PostgreSQL accepts as a UUID.
    static func isUUID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}
