import Foundation
import Shared
import Synchronization

/// Outcome of one call to Dify, with the run and task ids learned during the call.
struct DifyCall: Sendable {
    enum Ending: Sendable {
        case completed(DifyRunOutcome)
        case failed(DifyError)
        /// The worker stopped waiting without a final frame; a stop was sent to Dify only when
        /// a task id was known.
        case abandoned(StopReason)
    }

    var ending: Ending
    var runID: String?
    var taskID: String?
    /// Set when the worker stopped the run; it decides the result's status.
    var stopReason: StopReason?
    var partialOutcome: DifyRunOutcome?
}

/// Writes of one run's state, kept in order without making the run wait for each one.
///
/// The state written before calling Dify is not awaited, so the request goes out at once;
/// later writes (the run id, the final state) queue behind it and reach the partition in order.
final class SerialWrites: Sendable {
    private let last = Mutex<Task<Void, Never>?>(nil)

    @discardableResult
    func enqueue(_ body: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        last.withLock { previous in
            let before = previous
            let task = Task {
                await before?.value
                await body()
            }
            previous = task
            return task
        }
    }
}

/// Ids of the run as Dify reports them while the stream goes on.
final class RunProgress: Sendable {
    private let ids = Mutex<(runID: String?, taskID: String?)>((nil, nil))

    func record(runID: String?, taskID: String?) -> Bool {
        ids.withLock { ids in
            let isNew = ids.runID == nil && runID != nil
            if let runID { ids.runID = runID }
            if let taskID { ids.taskID = taskID }
            return isNew
        }
    }

    var runID: String? { ids.withLock { $0.runID } }
    var taskID: String? { ids.withLock { $0.taskID } }
}

extension RunExecutor {
    private enum Signal: Sendable {
        case finished(Result<DifyRunOutcome, DifyError>)
        case stop(StopReason)
    }

    /// Calls Dify for the trigger's kind and waits for the first of: the run's end, the job's
    /// timeout, or a stop request. A stop or timeout of a streaming run asks Dify to stop the
    /// task (with the user that started it) and waits briefly for the final frame.
    func callDify(
        trigger: Trigger, app: WorkerApp, user: String, control: RunControl, startedAt: Date, partition: Int,
        stateWrites: SerialWrites, log: Logger
    ) async -> DifyCall {
        let progress = RunProgress()
        let responseMode: DifyResponseMode = trigger.policy?.responseMode == .blocking ? .blocking : .streaming
        let onEvent = runEventHandler(
            trigger: trigger, app: app, user: user, partition: partition, progress: progress, startedAt: startedAt,
            stateWrites: stateWrites, log: log)

        let signal = FirstOutcome<Signal>()
        let call = Task {
            do {
                let outcome = try await run(trigger: trigger, app: app, user: user, mode: responseMode, onEvent: onEvent)
                signal.offer(.finished(.success(outcome)))
                return Result<DifyRunOutcome, DifyError>.success(outcome)
            } catch let error as DifyError {
                signal.offer(.finished(.failure(error)))
                return .failure(error)
            } catch {
                let wrapped = DifyError(code: .network, reason: "\(error)", retryable: true)
                signal.offer(.finished(.failure(wrapped)))
                return .failure(wrapped)
            }
        }
        let remaining = timeout(of: trigger) - .seconds(Date().timeIntervalSince(startedAt))
        let timer = Task {
            try? await Task.sleep(for: max(remaining, .zero))
            if !Task.isCancelled { signal.offer(.stop(.timeout)) }
        }
        let stopWatcher = Task {
            if let reason = await control.waitForStop() { signal.offer(.stop(reason)) }
        }
        defer {
            timer.cancel()
            stopWatcher.cancel()
        }

        let first = await withTaskCancellationHandler {
            await signal.value()
        } onCancel: {
            signal.offer(.stop(.shutdown))
        }

        switch first {
        case .finished(.success(let outcome)):
            return DifyCall(ending: .completed(outcome), runID: outcome.runID ?? progress.runID, taskID: outcome.taskID ?? progress.taskID)
        case .finished(.failure(let error)):
            return DifyCall(ending: .failed(error), runID: error.runID ?? progress.runID, taskID: progress.taskID)
        case .stop(let reason):
            log.notice("stopping the run", ["reason": "\(reason)", LogKey.difyTaskID: progress.taskID ?? ""])
            await publishEvent(.stopRequested, trigger: trigger, detail: ["reason": .string("\(reason)"), "task_id": progress.taskID.map(JSONValue.string) ?? .null])

            guard responseMode == .streaming, let taskID = progress.taskID else {
                call.cancel()
                return DifyCall(ending: .abandoned(reason), runID: progress.runID, taskID: progress.taskID, stopReason: reason)
            }
            do {
                try await client.stopTask(app: app.endpoint, taskID: taskID, user: user, kind: difyKind(trigger.effectiveKind))
            } catch {
                log.warning("stop request failed", [LogKey.difyTaskID: taskID, LogKey.error: "\(error)"])
            }

            // Wait briefly for the final frame, which carries outputs and the node trace.
            let grace = FirstOutcome<Result<DifyRunOutcome, DifyError>?>()
            let graceTimer = Task {
                try? await Task.sleep(for: settings.stopGrace)
                grace.offer(nil)
            }
            let waiter = Task { grace.offer(await call.value) }
            let ending = await grace.value()
            graceTimer.cancel()
            waiter.cancel()

            switch ending {
            case .success(let outcome)?:
                return DifyCall(ending: .completed(outcome), runID: outcome.runID ?? progress.runID, taskID: taskID, stopReason: reason)
            default:
                call.cancel()
                return DifyCall(ending: .abandoned(reason), runID: progress.runID, taskID: taskID, stopReason: reason)
            }
        }
    }

    private func run(
        trigger: Trigger, app: WorkerApp, user: String, mode: DifyResponseMode,
        onEvent: @escaping @Sendable (DifyStreamEvent) -> Void
    ) async throws -> DifyRunOutcome {
        let inputs = trigger.inputs ?? [:]
        let traceID = trigger.traceID ?? trigger.id
        switch trigger.effectiveKind {
        case .workflow, .difyCleanup:
            let request = WorkflowRunRequest(inputs: inputs, user: user, responseMode: mode, traceID: traceID)
            return try await client.runWorkflow(app: app.endpoint, request: request, onEvent: onEvent)
        case .chatflow:
            let conversation = trigger.policy?.conversation
            let request = ChatRequest(
                query: trigger.policy?.query ?? "", inputs: inputs, user: user, responseMode: mode,
                conversationID: conversation == "new" ? nil : conversation, traceID: traceID)
            return try await client.runChat(app: app.endpoint, request: request, onEvent: onEvent)
        case .completion:
            let request = CompletionRequest(inputs: inputs, user: user, responseMode: mode, traceID: traceID)
            return try await client.runCompletion(app: app.endpoint, request: request, onEvent: onEvent)
        }
    }

    /// Records the run and task ids as soon as Dify sends them, in run state and as a
    /// `run_started` event, so another worker can adopt the run if this one dies.
    private func runEventHandler(
        trigger: Trigger, app: WorkerApp, user: String, partition: Int, progress: RunProgress, startedAt: Date,
        stateWrites: SerialWrites, log: Logger
    ) -> @Sendable (DifyStreamEvent) -> Void {
        let publisher = self.publisher
        let workerID = self.workerID
        return { [self] event in
            let ids: (runID: String?, taskID: String?)
            switch event {
            case .workflowStarted(let started):
                ids = (started.runID, started.taskID)
            case .message(let chunk):
                ids = (nil, chunk.taskID)
            default:
                return
            }
            guard progress.record(runID: ids.runID, taskID: ids.taskID), let runID = ids.runID else { return }

            var state = RunState(triggerID: trigger.id, jobID: trigger.jobID, app: app.name, phase: .started, attempt: trigger.effectiveAttempt, workerID: workerID)
            state.workflowRunID = runID
            state.taskID = ids.taskID
            state.user = user
            state.kind = trigger.effectiveKind
            state.startedAt = startedAt
            log.debug("run started in Dify", [LogKey.difyRunID: runID])
            stateWrites.enqueue { [state] in
                await publishReliably("run state") { try await publisher.publish(runState: state, partition: partition) }
            }
            Task {
                await publishEvent(.runStarted, trigger: trigger, detail: ["workflow_run_id": .string(runID), "task_id": ids.taskID.map(JSONValue.string) ?? .null, "worker_id": .string(workerID)])
            }
        }
    }
}
