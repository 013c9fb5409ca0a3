import Foundation
import Shared
import Testing

@testable import Worker

@Suite struct AppLaneTests {
    func app(_ limits: AppLimits) throws -> WorkerApp {
        WorkerApp(
            name: "bot", endpoint: try DifyAppEndpoint(name: "bot", baseURL: "http://127.0.0.1:1/v1", apiKey: "app-key-123"),
            limits: limits, mode: .workflow, origin: "http://127.0.0.1:1", acceptsExternal: false)
    }

    func queued(_ id: String, job: String = "job", priority: Int? = nil, expectedTokens: Int64? = nil, offset: Int64 = 0) -> QueuedTrigger {
        var trigger = Trigger(id: id, app: "bot")
        trigger.jobID = job
        var policy = TriggerPolicy()
        policy.priority = priority
        policy.expectedTokens = expectedTokens
        trigger.policy = policy
        return QueuedTrigger(trigger: trigger, partition: 0, offset: offset, receivedAt: Date())
    }

    func started(_ decision: AppLane.Decision) -> String? {
        if case .start(let queued, _) = decision { return queued.trigger.id }
        return nil
    }

    func waitSeconds(_ decision: AppLane.Decision) -> Double? {
        if case .wait(let seconds, _) = decision { return seconds }
        return nil
    }

    @Test func requestRateSpacesStarts() throws {
        var lane = AppLane(app: try app(AppLimits(requestsPerSecond: 1, burst: 1)), now: 0)
        lane.enqueue(queued("a"))
        lane.enqueue(queued("b"))
        #expect(started(lane.next(now: 0, originFree: true)) == "a")
        #expect(waitSeconds(lane.next(now: 0, originFree: true)) == 1)
        #expect(started(lane.next(now: 1, originFree: true)) == "b")
    }

    @Test func concurrencyCapHoldsUntilARunEnds() throws {
        var lane = AppLane(app: try app(AppLimits(maxConcurrency: 1)), now: 0)
        lane.enqueue(queued("a"))
        lane.enqueue(queued("b"))
        #expect(started(lane.next(now: 0, originFree: true)) == "a")
        guard case .full = lane.next(now: 0, originFree: true) else {
            Issue.record("expected the lane to be full")
            return
        }
        lane.finished(jobID: "job", chargedTokens: 0, actualTokens: nil, now: 0)
        #expect(started(lane.next(now: 0, originFree: true)) == "b")
    }

    @Test func sharedDifyCapHoldsStarts() throws {
        var lane = AppLane(app: try app(AppLimits()), now: 0)
        lane.enqueue(queued("a"))
        guard case .full = lane.next(now: 0, originFree: false) else {
            Issue.record("expected the lane to wait for the shared cap")
            return
        }
    }

    @Test func tokenBudgetChargesExpectedAndCorrects() throws {
        var lane = AppLane(app: try app(AppLimits(tokensPerMinute: 600)), now: 0)
        lane.enqueue(queued("a", expectedTokens: 400))
        lane.enqueue(queued("b", expectedTokens: 400))
        #expect(started(lane.next(now: 0, originFree: true)) == "a")
        // 200 tokens left, refilling at 10 per second: b waits 20 s.
        #expect(waitSeconds(lane.next(now: 0, originFree: true)) == 20)
        // The run used only 100 tokens: the 300 refunded let b start at once.
        lane.finished(jobID: "job", chargedTokens: 400, actualTokens: 100, now: 0)
        #expect(started(lane.next(now: 0, originFree: true)) == "b")
    }

    @Test func retryAfterPausesTheApp() throws {
        var lane = AppLane(app: try app(AppLimits(requestsPerSecond: 10, burst: 10)), now: 0)
        lane.throttled(retryAfterSeconds: 3, now: 0)
        lane.enqueue(queued("a"))
        #expect(waitSeconds(lane.next(now: 0, originFree: true)) == 3)
        #expect(started(lane.next(now: 3, originFree: true)) == "a")
    }

    @Test func throttleHalvesTheEffectiveRate() throws {
        var lane = AppLane(app: try app(AppLimits(requestsPerSecond: 4, burst: 1)), now: 0)
        lane.throttled(retryAfterSeconds: nil, now: 0)
        #expect(lane.effectiveRate(now: 0) == 2)
    }

    @Test func priorityLeavesFirst() throws {
        var lane = AppLane(app: try app(AppLimits()), now: 0)
        lane.enqueue(queued("low", priority: 0))
        lane.enqueue(queued("high", priority: 10))
        #expect(started(lane.next(now: 0, originFree: true)) == "high")
        #expect(started(lane.next(now: 0, originFree: true)) == "low")
    }

    @Test func adoptedRunSkipsTheRateLimit() throws {
        var lane = AppLane(app: try app(AppLimits(requestsPerSecond: 1, burst: 1)), now: 0)
        lane.enqueue(queued("a"))
        #expect(started(lane.next(now: 0, originFree: true)) == "a")
        var adopted = queued("b")
        adopted.adopt = RunState(triggerID: "b", jobID: "job", app: "bot", phase: .started, attempt: 1, workerID: "w0")
        lane.enqueue(adopted)
        #expect(started(lane.next(now: 0, originFree: true)) == "b")
    }
}

@Suite struct TriggerCheckTests {
    func apps() throws -> [String: WorkerApp] {
        ["bot": WorkerApp(
            name: "bot", endpoint: try DifyAppEndpoint(name: "bot", baseURL: "http://127.0.0.1:1/v1", apiKey: "app-key-123"),
            limits: AppLimits(), mode: .workflow, origin: "o", acceptsExternal: false)]
    }

    func message(_ text: String) -> KafkaMessage {
        KafkaMessage(topic: "t", partition: 0, offset: 1, key: nil, value: Array(text.utf8), headers: [], timestampMilliseconds: nil)
    }

    func rejection(_ text: String) throws -> TriggerRejection? {
        switch TriggerCheck.decode(message(text)) {
        case .failure(let rejection): return rejection
        case .success(let trigger): return TriggerCheck.validate(trigger, apps: try apps())
        }
    }

    @Test func acceptsAWellFormedTrigger() throws {
        #expect(try rejection(#"{"v":1,"id":"t1","app":"bot","job_id":"j"}"#) == nil)
    }

    @Test func rejectsEachKindOfBadTrigger() throws {
        let cases: [(String, String)] = [
            ("{oops", "not valid JSON"),
            ("[1,2]", "expected a JSON object"),
            (#"{"v":1,"id":"t1"}"#, "app: missing required field"),
            (#"{"v":2,"id":"t1","app":"bot","job_id":"j"}"#, "newer than this reader supports"),
            (#"{"v":1,"id":"t1","app":"other","job_id":"j"}"#, "unknown app \"other\""),
            (#"{"v":1,"id":"t1","app":"bot"}"#, "does not accept ad-hoc triggers"),
            (#"{"v":1,"id":"t1","app":"bot","job_id":"bad id!"}"#, "not a valid job id"),
            (#"{"v":1,"id":"t1","app":"bot","job_id":"j","attempt":0}"#, "attempt 0 is out of range"),
            (#"{"v":1,"id":"t1","app":"bot","job_id":"j","kind":"chatflow","policy":{"query":"q"}}"#, "use kind workflow"),
            (#"{"v":1,"id":"t1","app":"bot","job_id":"j","policy":{"timeout":"soon"}}"#, "invalid duration"),
            (#"{"v":1,"id":"","app":"bot","job_id":"j"}"#, "id must be 1 to 200"),
            (#"{"v":1,"id":"c1","app":"bot","type":"cancel"}"#, "needs target_trigger_id"),
        ]
        for (text, expected) in cases {
            let reason = try rejection(text)?.reason ?? "accepted"
            #expect(reason.contains(expected), "\(text) gave: \(reason)")
        }
    }

    @Test func rejectionNamesTheJobForAResult() throws {
        let found = try rejection(#"{"v":1,"id":"t9","app":"other","job_id":"j9"}"#)
        #expect(found?.jobID == "j9")
        #expect(found?.triggerID == "t9")
    }
}
