import Foundation
import Testing

@testable import Shared

@Suite struct DifyStreamEventTests {
    @Test func decodesOddFieldShapes() throws {
        let event = DifyStreamEvent.decode(
            try JSONValue.parse(
                #"{"event":"node_finished","task_id":"t","data":{"id":"x","node_id":"n","index":"3","elapsed_time":"1.5","created_at":"Fri, 04 Dec 2026 19:47:37 GMT","finished_at":1796413657.9,"execution_metadata":{"total_tokens":12.0,"total_price":null},"inputs":null}}"#
            ))
        guard case .nodeFinished(let node) = event else {
            Issue.record("decoded as \(event.name)")
            return
        }
        #expect(node.index == 3)
        #expect(node.elapsedTime == 1.5)
        #expect(node.createdAt == Date(timeIntervalSince1970: 1_796_413_657))
        #expect(node.finishedAt == Date(timeIntervalSince1970: 1_796_413_657.9))
        #expect(node.totalTokens == 12)
        #expect(node.totalPrice == nil)
        #expect(node.inputs == nil)
        #expect(node.status == nil)
    }

    @Test func unknownAndMissingDataAreTolerated() throws {
        let unknown = DifyStreamEvent.decode(try JSONValue.parse(#"{"event":"human_input_required","data":{"x":1}}"#))
        #expect(unknown.name == "human_input_required")
        let bare = DifyStreamEvent.decode(try JSONValue.parse(#"{"event":"workflow_finished"}"#))
        guard case .workflowFinished(let summary) = bare else {
            Issue.record("decoded as \(bare.name)")
            return
        }
        #expect(summary.status == nil)
        #expect(DifyStreamEvent.decode(SSEEvent(data: "not json")) == nil)
        #expect(DifyStreamEvent.decode(SSEEvent(data: "[1]")) == nil)
        let named = DifyStreamEvent.decode(SSEEvent(event: "text_chunk", data: #"{"data":{"text":"a"}}"#))
        #expect(named?.name == "text_chunk")
    }

    @Test func decodesEveryRecordedEvent() throws {
        let events = try RunTraceBuilderTests.events("workflows-run-streaming-iteration.http")
        #expect(!events.contains { if case .unknown = $0 { true } else { false } })
        let names = Set(events.map(\.name))
        #expect(names.isSuperset(of: ["iteration_started", "iteration_next", "iteration_completed", "text_chunk"]))
        #expect(events.allSatisfy { $0.taskID == "667a0692-986a-4a60-bc52-565064b5f5c0" })
        #expect(events.allSatisfy { $0.workflowRunID == "7d0032ed-4609-40c0-84b1-8101cb8d2b03" })
        guard case .iterationStarted(let iteration) = events.first(where: { $0.name == "iteration_started" }) else {
            Issue.record("no iteration_started")
            return
        }
        #expect(iteration.length == 1)
    }

    @Test(arguments: [
        ("Fri, 04 Dec 2026 19:47:37 GMT", 1_796_413_657.0),
        ("Fri, 04 Dec 2026 19:47:37 -0000", 1_796_413_657.0),
        ("04 Dec 2026 20:47:37 +0100", 1_796_413_657.0),
        ("Friday, 04-Dec-26 19:47:37 GMT", 1_796_413_657.0),
        ("Fri Dec  4 19:47:37 2026", 1_796_413_657.0),
        ("2026-12-04T19:47:37Z", 1_796_413_657.0),
        ("1796413657", 1_796_413_657.0),
    ])
    func parsesDifyTimes(text: String, seconds: Double) {
        #expect(JSONValue.date(from: .string(text)) == Date(timeIntervalSince1970: seconds))
    }

    @Test func rejectsBadDates() {
        #expect(JSONValue.date(from: .string("yesterday")) == nil)
        #expect(JSONValue.date(from: .string("31 Feb 2026 10:00:00 GMT")) == nil)
        #expect(JSONValue.date(from: .null) == nil)
    }
}
