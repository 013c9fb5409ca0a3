import Foundation
import Shared

/// Where one job's schedule stands, kept in the compacted `scheduler.state` topic keyed by job
/// id, on the same partition number as the job.
///
/// The owner of the job writes it after emitting fires (in batches, once per loop), after a run
/// of the job ends and after a pause or resume. A new owner resumes from it: every instant after
/// `lastScheduledAt` is fired (again, with the same trigger id) or handled as a misfire.
struct JobState: Codable, Hashable, Sendable {
    static let currentVersion = 1

    var version: Int = JobState.currentVersion
    var jobID: String
    /// The last scheduled instant that was fired, skipped or given up as a misfire.
    var lastScheduledAt: Date?
    /// The trigger id of the last emitted fire.
    var lastTriggerID: String?
    /// Fires emitted so far, counted against `max_runs`.
    var runCount: Int = 0
    /// FNV-1a of the schedule the state was made with; a different schedule starts afresh.
    var scheduleFingerprint: String?

    var paused: Bool = false
    var pauseNote: String?
    var pausedBy: String?
    var pausedAt: Date?
    /// The id of the last pause or resume request applied, so a rebuild applies a newer one once.
    var controlID: String?

    /// The trigger whose run is open (emitted, no result yet), for `overlap` and `delay`.
    var openTriggerID: String?
    var openSince: Date?
    /// The instant of the fire held back by `overlap: buffer_one` until the open run ends.
    var bufferedScheduledAt: Date?
    /// When the last run of the job ended, from its result's `finished_at`.
    var lastFinishedAt: Date?
    var updatedAt: Date?

    init(jobID: String) {
        self.jobID = jobID
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case paused
        case jobID = "job_id"
        case lastScheduledAt = "last_scheduled_at"
        case lastTriggerID = "last_trigger_id"
        case runCount = "run_count"
        case scheduleFingerprint = "schedule_fingerprint"
        case pauseNote = "pause_note"
        case pausedBy = "paused_by"
        case pausedAt = "paused_at"
        case controlID = "control_id"
        case openTriggerID = "open_trigger_id"
        case openSince = "open_since"
        case bufferedScheduledAt = "buffered_scheduled_at"
        case lastFinishedAt = "last_finished_at"
        case updatedAt = "updated_at"
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decodeIfPresent(Int.self, forKey: .version) ?? JobState.currentVersion
        jobID = try container.decode(String.self, forKey: .jobID)
        lastScheduledAt = try container.decodeIfPresent(Date.self, forKey: .lastScheduledAt)
        lastTriggerID = try container.decodeIfPresent(String.self, forKey: .lastTriggerID)
        runCount = try container.decodeIfPresent(Int.self, forKey: .runCount) ?? 0
        scheduleFingerprint = try container.decodeIfPresent(String.self, forKey: .scheduleFingerprint)
        paused = try container.decodeIfPresent(Bool.self, forKey: .paused) ?? false
        pauseNote = try container.decodeIfPresent(String.self, forKey: .pauseNote)
        pausedBy = try container.decodeIfPresent(String.self, forKey: .pausedBy)
        pausedAt = try container.decodeIfPresent(Date.self, forKey: .pausedAt)
        controlID = try container.decodeIfPresent(String.self, forKey: .controlID)
        openTriggerID = try container.decodeIfPresent(String.self, forKey: .openTriggerID)
        openSince = try container.decodeIfPresent(Date.self, forKey: .openSince)
        bufferedScheduledAt = try container.decodeIfPresent(Date.self, forKey: .bufferedScheduledAt)
        lastFinishedAt = try container.decodeIfPresent(Date.self, forKey: .lastFinishedAt)
        updatedAt = try container.decodeIfPresent(Date.self, forKey: .updatedAt)
    }

    /// The fingerprint of a schedule, for ``scheduleFingerprint``.
    static func fingerprint(of schedule: ScheduleSpec) -> String {
        String(StableHash.fnv1a64(String(decoding: MessageCodec.encode(schedule), as: UTF8.self)), radix: 16)
    }

    /// The state as JSON for API responses.
    var json: JSONValue {
        (try? JSONValue.parse(MessageCodec.encode(self))) ?? .null
    }
}
