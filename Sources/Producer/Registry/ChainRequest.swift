import Foundation
import Shared

/// A request to start a chained job after its parent's run ended, written to the `jobs` topic
/// on the partition of the child job so that the producer owning the child emits its trigger.
///
/// The producer that reads the parent's result owns the parent's partition, which is usually
/// not the child's. The key is `chain:<child job id>:<parent trigger id>`, one per chained run.
/// After emitting the trigger the child's owner writes a tombstone under the same key. A
/// rebuild of the partition therefore finds the requests still to do (those without a
/// tombstone), and compaction removes the finished ones. Every request for the same parent run and child
/// carries the same trigger id (``TriggerID/chained(parentTriggerID:childJobID:)``), so a
/// request handled twice starts one run: workers drop trigger ids they have seen.
struct ChainRequest: Codable, Hashable, Sendable {
    static let currentVersion = 1
    static let keyPrefix = "chain:"

    var version: Int = ChainRequest.currentVersion
    /// The child's trigger id.
    var triggerID: String
    var childJobID: String
    var parent: ChainParent
    /// `on_success` or `on_failure`: the list of the parent that named the child.
    var reason: String
    var time: Date

    init(childJobID: String, parent: ChainParent, reason: String, time: Date = Date()) {
        self.triggerID = TriggerID.chained(parentTriggerID: parent.triggerID, childJobID: childJobID)
        self.childJobID = childJobID
        self.parent = parent
        self.reason = reason
        self.time = time
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case parent, reason, time
        case triggerID = "trigger_id"
        case childJobID = "child_job_id"
    }

    var key: String { ChainRequest.keyPrefix + childJobID + ":" + parent.triggerID }

    /// True for the key of a chain request, which never collides with a job id (no `:`).
    static func isKey(_ key: String) -> Bool { key.hasPrefix(keyPrefix) }

    /// Returns the requests a final result starts: one per child in the parent's `on_success` (for
    /// `succeeded` and `partial_succeeded`) or `on_failure` (for `failed`, `timed_out`,
    /// `expired` and `rejected`). Stopped, skipped and paused runs start none.
    static func requests(for result: RunResult, parentJob: Job) -> [ChainRequest] {
        guard let parent = ChainParent(result: result) else { return [] }
        let (children, reason): ([String], String) =
            switch result.status.outcome {
            case .success: (parentJob.onSuccess ?? [], "on_success")
            case .failure: (parentJob.onFailure ?? [], "on_failure")
            case .neither: ([], "")
            }
        return children.map { ChainRequest(childJobID: $0, parent: parent, reason: reason) }
    }
}
