import Foundation
import Testing

@testable import Shared

@Suite struct RunTraceBuilderTests {
    static func events(_ fixture: String) throws -> [DifyStreamEvent] {
        var parser = SSEParser()
        let frames = try parser.feed(try DifyFixture.load(fixture).body) + parser.finish()
        return frames.compactMap(DifyStreamEvent.decode)
    }

    static func build(_ events: [DifyStreamEvent], kind: DifyAppKind = .workflow) -> RunTraceBuilder {
        var builder = RunTraceBuilder(kind: kind)
        for event in events { builder.consume(event) }
        return builder
    }

    static func event(_ json: String) throws -> DifyStreamEvent {
        DifyStreamEvent.decode(try JSONValue.parse(json))
    }

    @Test func successRecordingGivesOutcome() throws {
        let builder = Self.build(try Self.events("workflows-run-streaming-success.http"))
        let outcome = builder.outcome()
        #expect(builder.isFinished)
        #expect(outcome.runID == "5d03ab57-a307-4718-b363-d52e1266c892")
        #expect(outcome.taskID == "075b4766-7bd5-418e-9fd4-2230b8aadf1c")
        #expect(outcome.status == "succeeded")
        #expect(outcome.totalSteps == 4)
        #expect(outcome.totalTokens == 0)
        #expect(outcome.elapsedMilliseconds == 38)
        #expect(outcome.createdAt == Date(timeIntervalSince1970: 1_796_413_527))
        #expect(outcome.outputs?["topic"] == "alpha")
        #expect(outcome.text.hasPrefix("200\n{\"ok\": true"))
        #expect(outcome.text.hasSuffix("\nalpha"))
        #expect(outcome.nodes.map(\.nodeID) == ["start", "http_main", "branch", "end_plain"])
        #expect(outcome.nodes.allSatisfy { $0.status == "succeeded" })
        #expect(outcome.nodes.allSatisfy { $0.unfinished == nil })
        #expect(outcome.nodes[1].elapsedMilliseconds == 30)
        #expect(outcome.nodes[1].startedAt == 1_796_413_527)
        #expect(outcome.totalPrice == nil)
    }

    @Test func iterationNodesSitUnderTheirIteration() throws {
        let outcome = Self.build(try Self.events("workflows-run-streaming-iteration.http")).outcome()
        #expect(outcome.status == "succeeded")
        #expect(outcome.nodes.map(\.nodeID) == ["start", "http_main", "branch", "clock", "iter", "http_item", "end_iter"])

        let iteration = try #require(outcome.nodes.first { $0.nodeID == "iter" })
        #expect(iteration.nodeType == "iteration")
        #expect(iteration.status == "succeeded")
        #expect(iteration.elapsedMilliseconds == 121)
        #expect(iteration.parentNodeID == nil)

        let inner = try #require(outcome.nodes.first { $0.nodeID == "http_item" })
        #expect(inner.parentNodeID == "iter")
        #expect(inner.parentKind == "iteration")
        #expect(inner.parentIndex == 0)
        #expect(inner.status == "succeeded")
        #expect(outcome.nodes.filter { $0.parentNodeID != nil }.count == 1)
        // The iteration reports a price of its own; inner nodes reported none.
        #expect(outcome.totalPrice == nil)
    }

    @Test func iterationRoundComesFromIterationNext() throws {
        let events = [
            try Self.event(#"{"event":"iteration_started","task_id":"t","data":{"id":"it","node_id":"it","title":"I"}}"#),
            try Self.event(#"{"event":"iteration_next","data":{"id":"it","node_id":"it","index":0}}"#),
            try Self.event(#"{"event":"node_started","data":{"id":"a","node_id":"n","iteration_id":"it"}}"#),
            try Self.event(#"{"event":"iteration_next","data":{"id":"it","node_id":"it","index":1}}"#),
            try Self.event(#"{"event":"node_started","data":{"id":"b","node_id":"n","iteration_id":"it"}}"#),
            try Self.event(#"{"event":"node_finished","data":{"id":"b","node_id":"n","status":"succeeded","iteration_id":"it"}}"#),
            try Self.event(#"{"event":"node_finished","data":{"id":"a","node_id":"n","status":"succeeded","iteration_id":"it"}}"#),
            try Self.event(#"{"event":"loop_started","data":{"id":"lp","node_id":"lp"}}"#),
            try Self.event(#"{"event":"loop_next","data":{"id":"lp","node_id":"lp","index":3}}"#),
            try Self.event(#"{"event":"node_started","data":{"id":"c","node_id":"m","loop_id":"lp"}}"#),
        ]
        let nodes = Self.build(events).outcome().nodes
        #expect(nodes.first { $0.executionID == "a" }?.parentIndex == 0)
        #expect(nodes.first { $0.executionID == "b" }?.parentIndex == 1)
        let inLoop = try #require(nodes.first { $0.executionID == "c" })
        #expect(inLoop.parentNodeID == "lp")
        #expect(inLoop.parentKind == "loop")
        #expect(inLoop.parentIndex == 3)
    }

    @Test func failureRecordingCountsRetryAndKeepsError() throws {
        let outcome = Self.build(try Self.events("workflows-run-streaming-failure.http")).outcome()
        #expect(outcome.status == "failed")
        #expect(outcome.error == "Reached maximum retries (0) for URL http://127.0.0.1:8765/work?topic=gamma&fail=yes&sleep=")
        #expect(outcome.exceptionsCount == 2)
        #expect(outcome.outputs == .object([:]))

        let node = try #require(outcome.nodes.first { $0.nodeID == "http_main" })
        #expect(node.status == "failed")
        #expect(node.retries == 1)
        #expect(node.error == outcome.error)
        #expect(node.elapsedMilliseconds == 223)
        #expect(outcome.nodes.count == 2)
    }

    @Test func stopRecordingMarksRunningNodeUnfinished() throws {
        let outcome = Self.build(try Self.events("stop-stream.http")).outcome()
        #expect(outcome.status == "failed")
        #expect(outcome.error == "Aborted: User requested stop")
        #expect(outcome.totalSteps == 2)
        let running = try #require(outcome.nodes.first { $0.nodeID == "http_main" })
        #expect(running.status == "running")
        #expect(running.unfinished == true)
        #expect(outcome.nodes.first { $0.nodeID == "start" }?.unfinished == nil)
    }

    @Test func partialStreamLeavesRunningNodesOpen() throws {
        let events = Array(try Self.events("stop-stream.http").dropLast())
        let builder = Self.build(events)
        #expect(!builder.isFinished)
        #expect(!builder.canEndHere)
        #expect(builder.runID == "f913f51d-e116-4bd8-99bf-7c82357e1beb")
        #expect(builder.taskID == "806c86f7-47fe-422f-bd3b-8df6c35cd07b")
        let outcome = builder.outcome()
        #expect(outcome.status == "running")
        #expect(outcome.nodes.last?.unfinished == nil)
    }

    @Test func priceIsSummedFromNodes() throws {
        let events = [
            try Self.event(#"{"event":"node_finished","data":{"id":"a","node_id":"llm1","status":"succeeded","execution_metadata":{"total_tokens":120,"total_price":"0.0012","currency":"USD"}}}"#),
            try Self.event(#"{"event":"node_finished","data":{"id":"b","node_id":"llm2","status":"succeeded","execution_metadata":{"total_tokens":80,"total_price":0.0008,"currency":"USD"}}}"#),
        ]
        let outcome = Self.build(events).outcome()
        #expect(outcome.nodes[0].totalTokens == 120)
        #expect(abs((outcome.totalPrice ?? 0) - 0.002) < 1e-12)
        #expect(outcome.currency == "USD")
    }

    @Test func chatflowWaitsForMessageEndAndWorkflowFinished() throws {
        let started = try Self.event(#"{"event":"workflow_started","task_id":"t1","workflow_run_id":"r1","data":{"id":"r1"}}"#)
        let message = try Self.event(#"{"event":"message","task_id":"t1","message_id":"m1","conversation_id":"c1","answer":"Hel"}"#)
        let message2 = try Self.event(#"{"event":"message","task_id":"t1","message_id":"m1","answer":"lo"}"#)
        let end = try Self.event(
            #"{"event":"message_end","task_id":"t1","message_id":"m1","metadata":{"usage":{"total_tokens":12,"total_price":"0.01","currency":"USD","latency":1.5}}}"#)
        let finished = try Self.event(#"{"event":"workflow_finished","task_id":"t1","data":{"id":"r1","status":"succeeded","total_steps":3}}"#)

        for order in [[end, finished], [finished, end]] {
            var builder = Self.build([started, message, message2], kind: .chat)
            builder.consume(order[0])
            #expect(!builder.isFinished)
            builder.consume(order[1])
            #expect(builder.isFinished)
            let outcome = builder.outcome()
            #expect(outcome.answer == "Hello")
            #expect(outcome.conversationID == "c1")
            #expect(outcome.messageID == "m1")
            #expect(outcome.usage?.totalTokens == 12)
            #expect(outcome.totalPrice == 0.01)
            #expect(outcome.status == "succeeded")
            #expect(outcome.runID == "r1")
        }
    }

    @Test func completionFinishesAtMessageEnd() throws {
        var builder = RunTraceBuilder(kind: .completion)
        builder.consume(try Self.event(#"{"event":"message","task_id":"t","message_id":"m","answer":"Hi"}"#))
        #expect(!builder.isFinished)
        builder.consume(try Self.event(#"{"event":"message_end","task_id":"t","message_id":"m","metadata":{}}"#))
        #expect(builder.isFinished)
        #expect(builder.outcome().status == "succeeded")
        #expect(builder.outcome().answer == "Hi")
    }

    @Test func errorEventEndsStream() throws {
        var builder = RunTraceBuilder(kind: .workflow)
        builder.consume(
            try Self.event(#"{"event":"error","workflow_run_id":null,"status":400,"code":"provider_quota_exceeded","message":"quota"}"#))
        #expect(builder.isFinished)
        #expect(builder.streamError?.code == "provider_quota_exceeded")
        #expect(builder.outcome().status == "failed")
    }
}
