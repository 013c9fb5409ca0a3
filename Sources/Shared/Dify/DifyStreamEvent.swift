import Foundation

/// One event of a Dify streaming response, decoded from a `data: {json}` frame.
///
/// Decoding never fails on odd or missing fields: absent and `null` members become nil,
/// numbers may be integers, floats or numeric strings, and times unix seconds or date
/// strings. Event names this client does not know become `.unknown`, because Dify adds
/// events between releases. `agent_message` decodes as `.message` and `message_replace` as
/// `.messageReplace`; `tts_message` and `tts_message_end` both decode as `.tts`.
public enum DifyStreamEvent: Sendable, Hashable {
    case workflowStarted(DifyWorkflowStarted)
    case nodeStarted(DifyNodeEvent)
    case nodeFinished(DifyNodeEvent)
    case nodeRetry(DifyNodeEvent)
    case iterationStarted(DifyContainerEvent)
    case iterationNext(DifyContainerEvent)
    case iterationCompleted(DifyContainerEvent)
    case loopStarted(DifyContainerEvent)
    case loopNext(DifyContainerEvent)
    case loopCompleted(DifyContainerEvent)
    case textChunk(DifyTextChunk)
    case textReplace(DifyTextChunk)
    case workflowFinished(DifyWorkflowSummary)
    case workflowPaused(DifyWorkflowSummary)
    case error(DifyStreamError)
    case message(DifyMessageChunk)
    case messageReplace(DifyMessageChunk)
    case messageEnd(DifyMessageEnd)
    case agentLog(DifyAgentLog)
    case tts(DifyTTSChunk)
    /// A `{"event": "ping"}` frame; Dify's usual ping has no data and never reaches here.
    case ping
    /// An event this client does not decode, with its name and whole JSON payload.
    case unknown(name: String, payload: JSONValue)

    /// Dify's event name, such as `node_finished`.
    public var name: String {
        switch self {
        case .workflowStarted: "workflow_started"
        case .nodeStarted: "node_started"
        case .nodeFinished: "node_finished"
        case .nodeRetry: "node_retry"
        case .iterationStarted: "iteration_started"
        case .iterationNext: "iteration_next"
        case .iterationCompleted: "iteration_completed"
        case .loopStarted: "loop_started"
        case .loopNext: "loop_next"
        case .loopCompleted: "loop_completed"
        case .textChunk: "text_chunk"
        case .textReplace: "text_replace"
        case .workflowFinished: "workflow_finished"
        case .workflowPaused: "workflow_paused"
        case .error: "error"
        case .message: "message"
        case .messageReplace: "message_replace"
        case .messageEnd: "message_end"
        case .agentLog: "agent_log"
        case .tts(let chunk): chunk.isEnd ? "tts_message_end" : "tts_message"
        case .ping: "ping"
        case .unknown(let name, _): name
        }
    }

    /// The `task_id` the event carries (nil for `error` and `ping`), used to stop the run.
    public var taskID: String? {
        switch self {
        case .workflowStarted(let event): event.taskID
        case .nodeStarted(let event), .nodeFinished(let event), .nodeRetry(let event): event.taskID
        case .iterationStarted(let event), .iterationNext(let event), .iterationCompleted(let event),
            .loopStarted(let event), .loopNext(let event), .loopCompleted(let event):
            event.taskID
        case .textChunk(let event), .textReplace(let event): event.taskID
        case .workflowFinished(let event), .workflowPaused(let event): event.taskID
        case .error(let event): event.taskID
        case .message(let event), .messageReplace(let event): event.taskID
        case .messageEnd(let event): event.taskID
        case .agentLog(let event): event.taskID
        case .tts(let event): event.taskID
        case .ping: nil
        case .unknown(_, let payload): payload.text("task_id")
        }
    }

    /// The `workflow_run_id` the event carries, when it has one.
    public var workflowRunID: String? {
        switch self {
        case .workflowStarted(let event): event.runID
        case .nodeStarted(let event), .nodeFinished(let event), .nodeRetry(let event): event.workflowRunID
        case .iterationStarted(let event), .iterationNext(let event), .iterationCompleted(let event),
            .loopStarted(let event), .loopNext(let event), .loopCompleted(let event):
            event.workflowRunID
        case .textChunk(let event), .textReplace(let event): event.workflowRunID
        case .workflowFinished(let event), .workflowPaused(let event): event.runID
        case .error(let event): event.workflowRunID
        case .message(let event), .messageReplace(let event): event.workflowRunID
        case .messageEnd(let event): event.workflowRunID
        case .agentLog, .tts, .ping: nil
        case .unknown(_, let payload): payload.text("workflow_run_id")
        }
    }

    // MARK: - Decoding

    /// Decodes one SSE frame; nil for a frame whose data is not a JSON object.
    ///
    /// Dify names the event in the JSON `event` member; the SSE `event:` field is the
    /// fallback when that member is missing.
    public static func decode(_ frame: SSEEvent) -> DifyStreamEvent? {
        guard let json = try? JSONValue.parse(bytes: Array(frame.data.utf8)), json.objectValue != nil else {
            return nil
        }
        return decode(json, fallbackName: frame.event)
    }

    /// Decodes one event from its parsed JSON object.
    public static func decode(_ json: JSONValue, fallbackName: String? = nil) -> DifyStreamEvent {
        let name = json.text("event") ?? fallbackName ?? "message"
        let data = json.present("data") ?? .object([:])
        let taskID = json.text("task_id")
        let runID = json.text("workflow_run_id")

        switch name {
        case "workflow_started":
            return .workflowStarted(DifyWorkflowStarted(json: json, data: data))
        case "node_started":
            return .nodeStarted(DifyNodeEvent(taskID: taskID, workflowRunID: runID, data: data))
        case "node_finished":
            return .nodeFinished(DifyNodeEvent(taskID: taskID, workflowRunID: runID, data: data))
        case "node_retry":
            return .nodeRetry(DifyNodeEvent(taskID: taskID, workflowRunID: runID, data: data))
        case "iteration_started":
            return .iterationStarted(DifyContainerEvent(taskID: taskID, workflowRunID: runID, data: data))
        case "iteration_next":
            return .iterationNext(DifyContainerEvent(taskID: taskID, workflowRunID: runID, data: data))
        case "iteration_completed":
            return .iterationCompleted(DifyContainerEvent(taskID: taskID, workflowRunID: runID, data: data))
        case "loop_started":
            return .loopStarted(DifyContainerEvent(taskID: taskID, workflowRunID: runID, data: data))
        case "loop_next":
            return .loopNext(DifyContainerEvent(taskID: taskID, workflowRunID: runID, data: data))
        case "loop_completed":
            return .loopCompleted(DifyContainerEvent(taskID: taskID, workflowRunID: runID, data: data))
        case "text_chunk":
            return .textChunk(DifyTextChunk(taskID: taskID, workflowRunID: runID, data: data))
        case "text_replace":
            return .textReplace(DifyTextChunk(taskID: taskID, workflowRunID: runID, data: data))
        case "workflow_finished":
            return .workflowFinished(DifyWorkflowSummary(json: json, data: data))
        case "workflow_paused":
            return .workflowPaused(DifyWorkflowSummary(json: json, data: data))
        case "error":
            return .error(DifyStreamError(json: json))
        case "message", "agent_message":
            return .message(DifyMessageChunk(json: json))
        case "message_replace":
            return .messageReplace(DifyMessageChunk(json: json))
        case "message_end":
            return .messageEnd(DifyMessageEnd(json: json))
        case "agent_log":
            return .agentLog(DifyAgentLog(taskID: taskID, data: data))
        case "tts_message", "tts_message_end":
            return .tts(DifyTTSChunk(json: json, isEnd: name == "tts_message_end"))
        case "ping":
            return .ping
        default:
            return .unknown(name: name, payload: json)
        }
    }
}
