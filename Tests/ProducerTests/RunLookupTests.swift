import Foundation
import Shared
import Testing

@testable import Producer

/// How the control API reads a trigger's state from its events, and which inputs a re-run sends.
@Suite struct RunLookupTests {
    func event(_ type: EventType, at seconds: TimeInterval, detail: JSONValue? = nil) -> EventRecord {
        let json: JSONValue = [
            "id": .string("e-\(type.rawValue)-\(seconds)"), "time": .string(Timestamp.rfc3339(Date(timeIntervalSince1970: seconds))),
            "type": .string(type.rawValue), "job_id": "job", "trigger_id": "m-1", "app": "demo", "detail": detail ?? .null,
        ]
        return try! MessageCodec.decode(EventRecord.self, from: Data(json.compactText().utf8))
    }

    func state(_ events: [EventRecord]) -> RunLookup.State {
        RunLookup.fromEvents(triggerID: "m-1", events).state
    }

    @Test func stateFromEvents() {
        #expect(state([event(.jobTriggered, at: 1)]) == .queued)
        #expect(state([event(.jobTriggered, at: 1), event(.throttled, at: 2)]) == .queued)
        #expect(state([event(.jobTriggered, at: 1), event(.runStarted, at: 2)]) == .running)
        #expect(state([event(.runStarted, at: 2), event(.retryScheduled, at: 3)]) == .queued)
        #expect(state([event(.runStarted, at: 2), event(.retryScheduled, at: 3), event(.runStarted, at: 9)]) == .running)
        #expect(state([event(.runStarted, at: 2), event(.runFinished, at: 3, detail: ["status": "failed"])]) == .ended)
        #expect(state([event(.expired, at: 2)]) == .ended)
    }

    @Test func lookupKeepsAppJobAndOriginal() {
        let lookup = RunLookup.fromEvents(triggerID: "m-1", [
            event(.rerunTriggered, at: 1, detail: ["rerun_of": "t-0"]),
            event(.runStarted, at: 2),
            event(.runFinished, at: 3, detail: ["status": "stopped"]),
        ])
        #expect(lookup.app == "demo")
        #expect(lookup.jobID == "job")
        #expect(lookup.rerunOf == "t-0")
        #expect(lookup.status == "stopped")
    }

    func record(inputs: JSONValue?) -> RunRecord {
        let json: JSONValue = [
            "trigger_id": "t-0", "job_id": "job", "app": "demo", "status": "succeeded", "sort_at": "2026-12-04T00:00:00Z",
            "attempt_count": 1, "node_count": 0, "inputs": inputs ?? .null,
        ]
        return try! MessageCodec.decode(RunRecord.self, from: Data(json.compactText().utf8))
    }

    @Test func rerunInputsMergeOverrides() throws {
        let inputs = try RunControlAPI.rerunInputs(
            original: record(inputs: ["topic": "a", "mode": "plain"]), overrides: ["topic": "b"], triggerID: "t-0")
        #expect(inputs == ["topic": "b", "mode": "plain"])
    }

    @Test func rerunInputsWhenNotStored() throws {
        let cut: JSONValue = ["truncated": true, "size": 900_000, "preview": "{\"topic\""]
        for stored in [nil, cut] {
            let error = #expect(throws: HTTPError.self) {
                _ = try RunControlAPI.rerunInputs(original: record(inputs: stored), overrides: [:], triggerID: "t-0")
            }
            #expect(error?.status == 409)
            #expect(error?.code == "inputs_unavailable")
            let given = try RunControlAPI.rerunInputs(original: record(inputs: stored), overrides: ["topic": "c"], triggerID: "t-0")
            #expect(given == ["topic": "c"])
        }
    }

    @Test func rerunInputsKeepAnInputNamedTruncated() throws {
        // Only the exact shape the store writes counts as cut.
        let inputs = try RunControlAPI.rerunInputs(original: record(inputs: ["truncated": true, "topic": "a"]), overrides: [:], triggerID: "t-0")
        #expect(inputs == ["truncated": true, "topic": "a"])
    }
}
