import Foundation
import Shared
import Synchronization

/// Runs the double has started: their records for `GET /v1/workflows/run/{id}` and the logs,
/// and the tasks of running ones so that a stop can reach them.
///
/// Keeps at least the latest `capacity` runs; older records are dropped in batches.
final class RunStore: Sendable {
    struct Record: Sendable {
        let setup: RunSetup
        var outcome: RunOutcome?
        var logID: String
    }

    private struct State {
        var records: [String: Record] = [:]
        var order: [String] = []
        var running: [String: Task<RunOutcome, Never>] = [:]
        var runByTask: [String: String] = [:]
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func started(_ setup: RunSetup) {
        state.withLock { state in
            state.records[setup.runID] = Record(setup: setup, outcome: nil, logID: UUID().uuidString.lowercased())
            state.order.append(setup.runID)
            state.runByTask[setup.taskID] = setup.runID
            // Drop the oldest tenth at once, so eviction costs O(1) per run on average.
            if state.order.count > capacity + capacity / 10 {
                let dropped = state.order.prefix(state.order.count - capacity)
                for runID in dropped { state.records[runID] = nil }
                state.order.removeFirst(dropped.count)
            }
        }
    }

    /// Keeps the task of a run so a stop can cancel it, unless the run has already ended.
    func attach(_ task: Task<RunOutcome, Never>, to setup: RunSetup) {
        state.withLock { state in
            guard state.records[setup.runID]?.outcome == nil, state.runByTask[setup.taskID] != nil else { return }
            state.running[setup.taskID] = task
        }
    }

    func finished(_ setup: RunSetup, outcome: RunOutcome) {
        state.withLock { state in
            state.records[setup.runID]?.outcome = outcome
            state.running[setup.taskID] = nil
            state.runByTask[setup.taskID] = nil
        }
    }

    /// Stops the running task `taskID` of `appID`. Unknown or finished tasks are ignored,
    /// because Dify 1.9.2 returns success for them too.
    func stop(taskID: String, appID: String) {
        let task = state.withLock { state -> Task<RunOutcome, Never>? in
            guard let runID = state.runByTask[taskID], state.records[runID]?.setup.app.appID == appID else { return nil }
            return state.running[taskID]
        }
        task?.cancel()
    }

    func record(runID: String, appID: String) -> Record? {
        state.withLock { state in
            guard let record = state.records[runID], record.setup.app.appID == appID else { return nil }
            return record
        }
    }

    /// Finished runs of `appID`, newest first.
    func finishedRecords(appID: String) -> [Record] {
        state.withLock { state in
            state.order.reversed().compactMap { runID in
                guard let record = state.records[runID], record.setup.app.appID == appID, record.outcome != nil else { return nil }
                return record
            }
        }
    }

    /// Stops every running task and removes every run record.
    func reset() {
        let tasks = state.withLock { state -> [Task<RunOutcome, Never>] in
            let tasks = Array(state.running.values)
            state = State()
            return tasks
        }
        for task in tasks { task.cancel() }
    }
}
