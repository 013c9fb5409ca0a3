import Foundation
import Shared

/// A trigger's state as the records store shows it: from its run record when it ended, else
/// from its events.
///
/// The store learns of a trigger from its first event: `job_triggered` or `rerun_triggered`
/// for triggers made through the API, `throttled`, `run_started` or `retry_scheduled` from
/// the worker. A scheduled fire that waits in a worker's queue has no event yet, so it is
/// unknown here until it starts. Records arrive through the ingest service, a fraction of a
/// second behind the topics.
struct RunLookup: Sendable {
    enum State: String, Sendable {
        /// Emitted and not started, or waiting for its next attempt.
        case queued
        /// An attempt is running in Dify.
        case running
        /// It has a result, or an event reports that it finished.
        case ended
    }

    var triggerID: String
    var state: State
    var app: String?
    var jobID: String?
    /// The final status, when the run ended.
    var status: String?
    /// The finished run, when the store has its record.
    var record: RunRecord?
    /// The trigger this one re-runs, from its record or its `rerun_triggered` event.
    var rerunOf: String?

    /// Maximum length of a trigger id in a path, the same bound workers apply.
    static let maxIDLength = 200

    /// Finds `triggerID` in `store`; returns nil when the store has neither a record nor an event of it.
    ///
    /// - Throws: ``HTTPError`` 400 for an id that is empty or too long, ``StoreError`` when the
    ///   store cannot be read.
    static func find(_ triggerID: String, in store: RecordStore) async throws -> RunLookup? {
        guard !triggerID.isEmpty, triggerID.count <= maxIDLength else {
            throw HTTPError.badRequest("a trigger id has 1 to \(maxIDLength) characters", field: "trigger_id")
        }
        if let record = try await store.run(triggerID: triggerID) {
            return RunLookup(
                triggerID: triggerID, state: .ended, app: record.app, jobID: record.jobID, status: record.status, record: record,
                rerunOf: record.rerunOf)
        }
        var query = EventQuery()
        query.triggerID = triggerID
        query.ascending = true
        query.limit = 500
        let events = try await store.events(query).items
        guard !events.isEmpty else { return nil }
        return fromEvents(triggerID: triggerID, events)
    }

    /// Derives the state from a trigger's events, oldest first.
    static func fromEvents(triggerID: String, _ events: [EventRecord]) -> RunLookup {
        var lookup = RunLookup(triggerID: triggerID, state: .queued)
        var lastStart: Date?
        var lastRetry: Date?
        for event in events {
            lookup.app = lookup.app ?? event.app
            lookup.jobID = lookup.jobID ?? event.jobID
            switch EventType(rawValue: event.type) {
            case .runStarted?, .runAdopted?, .stopRequested?, .zombie?:
                lastStart = max(lastStart ?? event.time, event.time)
            case .retryScheduled?:
                lastRetry = max(lastRetry ?? event.time, event.time)
            case .runFinished?:
                lookup.state = .ended
                lookup.status = event.detail?["status"]?.stringValue ?? lookup.status
            case .expired?, .rejected?:
                lookup.state = .ended
                lookup.status = event.type
            case .rerunTriggered?:
                lookup.rerunOf = event.detail?["rerun_of"]?.stringValue
            case .skippedOverlap?:
                lookup.state = .ended
                lookup.status = RunStatus.skipped.rawValue
            default:
                break
            }
        }
        guard lookup.state != .ended else { return lookup }
        // A retry scheduled after the latest start means the trigger waits for its next attempt.
        if let lastStart, lastStart >= (lastRetry ?? .distantPast) {
            lookup.state = .running
        }
        return lookup
    }
}
