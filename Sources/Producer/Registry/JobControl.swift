import Foundation
import Shared

/// An operator's pause or resume request, written to the `jobs` topic under the key
/// `control:<job id>` on the partition of the job, so that whichever producer owns the job
/// applies it and records the outcome in `scheduler.state`.
///
/// Job ids never contain `:`, so control keys never collide with job keys. A rebuild applies
/// the latest request of a job once: the state remembers the id of the last one applied.
struct JobControl: Codable, Hashable, Sendable {
    static let currentVersion = 1
    static let keyPrefix = "control:"

    enum Action: String, Codable, Sendable, CaseIterable, TextChoice {
        case pause
        case resume
    }

    var version: Int = JobControl.currentVersion
    var id: String
    var jobID: String
    var action: Action
    var note: String?
    var actor: String?
    var time: Date

    init(jobID: String, action: Action, note: String?, actor: String?, time: Date = Date()) {
        self.id = "c-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        self.jobID = jobID
        self.action = action
        self.note = note
        self.actor = actor
        self.time = time
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case id, action, note, actor, time
        case jobID = "job_id"
    }

    static func key(jobID: String) -> String { keyPrefix + jobID }

    /// The job id of a control key, or nil for a job key.
    static func jobID(fromKey key: String) -> String? {
        key.hasPrefix(keyPrefix) ? String(key.dropFirst(keyPrefix.count)) : nil
    }
}
