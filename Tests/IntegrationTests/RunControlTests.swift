import Foundation
import Shared
import TestSupport
import Testing

/// Stop, cancel and re-run through the control API, with real processes: Tansu, the Dify test
/// double, dify-producer and dify-worker.
@Suite(.serialized) struct RunControlTests {
    static let operatorActor = TestTokens.name(of: .operator)

    /// Starts a cluster whose demo app runs one request at a time, with the jobs `slow`,
    /// `report` and `flaky` (which waits 8 s before its second attempt). Triggers are signed,
    /// so every stop, cancel, re-run and retry here also checks that its message is signed.
    static func start(_ name: String) async throws -> (SchedulerCluster, ManagedProcess, ManagedProcess, ControlClient) {
        let cluster = try await SchedulerCluster.start(name: name)
        let config = try cluster.writeConfig("""
            jobs:
              - id: slow
                app: demo
                schedule: {every: 1h, start: "2099-01-01T00:00:00Z"}
                inputs: {topic: slow, mode: plain}
              - id: report
                app: demo
                schedule: {every: 1h, start: "2099-01-01T00:00:00Z"}
                inputs: {topic: first, mode: plain}
              - id: flaky
                app: demo
                schedule: {every: 1h, start: "2099-01-01T00:00:00Z"}
                inputs: {topic: flaky, mode: plain}
                retry: {max_attempts: 3, initial_backoff: 8s, max_backoff: 8s}
            """, appSettings: "limits: {max_concurrency: 1}")
        let signed = try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "kafka:\n", with: "kafka:\n  trigger_signing: {key_env: TEST_TRIGGER_KEY}\n")
        try signed.write(toFile: config, atomically: true, encoding: .utf8)
        let environment = ["TEST_TRIGGER_KEY": String(repeating: "7c", count: 32)]
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "\(name)-worker", environment: environment)
        let producer = try cluster.startProducer(config: config, environment: environment)
        let api = ControlClient(port: try await producer.controlPort())
        try await api.waitUntilReady()
        try await worker.waitForLog("partition assigned")
        return (cluster, producer, worker, api)
    }

    @Test func stopRunningAndCancelQueued() async throws {
        let (cluster, producer, worker, api) = try await Self.start("run-control-stop")
        defer { cluster.stop() }

        // The first run takes 30 s in Dify; with one slot, the next three wait in the worker's queue.
        let running = try await trigger(api, job: "slow", inputs: ["topic": "running", "sleep": 30])
        try await waitForState(api, running, "running")
        let single = try await trigger(api, job: "slow", inputs: ["topic": "queued-single"])
        let first = try await trigger(api, job: "slow", inputs: ["topic": "queued-a"])
        let second = try await trigger(api, job: "slow", inputs: ["topic": "queued-b"])
        try await waitForState(api, single, "queued")

        let cancelOne = try await api.send("POST", "/v1/runs/\(single)/stop", body: ["note": "not needed"], actor: Self.operatorActor)
        #expect(cancelOne.status == 202, "\(cancelOne.body)")
        #expect(cancelOne.body["state"] == "queued")
        let cancelJob = try await api.send("POST", "/v1/jobs/slow/cancel-queued", actor: Self.operatorActor)
        #expect(cancelJob.status == 202, "\(cancelJob.body)")
        let stop = try await api.send("POST", "/v1/runs/\(running)/stop", actor: Self.operatorActor)
        #expect(stop.status == 202, "\(stop.body)")
        #expect(stop.body["state"] == "running")

        let results = try await cluster.waitForResults("four stopped results", timeout: .seconds(40)) { results in
            Set(results.filter { $0.status == .stopped }.map(\.triggerID)).isSuperset(of: [running, single, first, second])
        }
        let stopped = try #require(results.first { $0.triggerID == running })
        #expect(stopped.stoppedBy == Self.operatorActor)
        #expect(stopped.error?.code == "stopped")
        #expect(stopped.workflowRunID != nil)
        for id in [single, first, second] {
            let cancelled = try #require(results.first { $0.triggerID == id })
            #expect(cancelled.stoppedBy == Self.operatorActor, "\(id)")
            #expect(cancelled.error?.code == "cancelled", "\(id)")
            #expect(cancelled.startedAt == nil, "\(id)")
        }
        #expect(results.filter { [running, single, first, second].contains($0.triggerID) }.count == 4)

        // The double saw the stop of the running task and never a run of the cancelled triggers.
        let requests = try await cluster.doubleRequests()
        let paths = requests.compactMap { $0["path"]?.stringValue }
        let taskID = try #require(stopped.taskID)
        #expect(paths.contains("/v1/workflows/tasks/\(taskID)/stop"), "\(paths)")
        let topics = requests.compactMap { $0["body"]?["inputs"]?["topic"]?.stringValue }
        #expect(topics.contains("running"))
        #expect(!topics.contains { $0.hasPrefix("queued") }, "\(topics)")

        // Audit events name the caller; a run that ended cannot be stopped again.
        _ = try await cluster.waitForEvent("run_stop_requested for the running run") {
            $0.type == .runStopRequested && $0.triggerID == running && $0.actor == Self.operatorActor
        }
        _ = try await cluster.waitForEvent("run_stop_requested for the job's queue") {
            $0.type == .runStopRequested && $0.triggerID == nil && $0.jobID == "slow" && $0.detail?["scope"] == "queued"
        }
        let record = try await waitForRecord(api, running)
        #expect(record["status"] == "stopped")
        #expect(record["stopped_by"] == .string(Self.operatorActor))
        let again = try await api.send("POST", "/v1/runs/\(running)/stop", actor: Self.operatorActor)
        #expect(again.status == 409)
        #expect(again.body["error"]?["code"] == "run_ended")
        let unknown = try await api.send("POST", "/v1/runs/t-no-such-trigger/stop", actor: Self.operatorActor)
        #expect(unknown.status == 404)

        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }

    @Test func rerunWithEditedInputs() async throws {
        let (cluster, producer, worker, api) = try await Self.start("run-control-rerun")
        defer { cluster.stop() }

        let original = try await trigger(api, job: "report", inputs: [:])
        let originalRecord = try await waitForRecord(api, original)
        #expect(originalRecord["status"] == "succeeded")

        let invalid = try await api.send("POST", "/v1/runs/\(original)/rerun", body: ["inputs": ["mode": "bogus"]], actor: Self.operatorActor)
        #expect(invalid.status == 400, "\(invalid.body)")
        #expect(invalid.body["error"]?["field"] == "inputs.mode")
        let notObject = try await api.send("POST", "/v1/runs/\(original)/rerun", body: ["inputs": "topic"], actor: Self.operatorActor)
        #expect(notObject.status == 400)
        let unknown = try await api.send("POST", "/v1/runs/t-no-such-run/rerun", actor: Self.operatorActor)
        #expect(unknown.status == 404)
        let viewer = try await api.send("POST", "/v1/runs/\(original)/rerun", actor: TestTokens.name(of: .viewer))
        #expect(viewer.status == 403)

        // The control view offers each role only what it may do.
        let viewerActions = try await api.send("GET", "/v1/runs/\(original)/control", actor: TestTokens.name(of: .viewer)).body
        #expect(viewerActions["state"] == "ended")
        #expect(viewerActions["actions"]?["rerun"] == false)
        let operatorActions = try await api.send("GET", "/v1/runs/\(original)/control", actor: Self.operatorActor).body
        #expect(operatorActions["actions"]?["rerun"] == true)
        #expect(operatorActions["actions"]?["stop"] == false)
        #expect(operatorActions["role"] == "operator")

        let reply = try await api.send("POST", "/v1/runs/\(original)/rerun", body: ["inputs": ["topic": "second"]], actor: Self.operatorActor)
        #expect(reply.status == 202, "\(reply.body)")
        #expect(reply.body["edited_inputs"] == ["topic"])
        let rerun = try #require(reply.body["trigger_id"]?.stringValue)

        let results = try await cluster.waitForResults("the re-run's result") { $0.contains { $0.triggerID == rerun } }
        let result = try #require(results.first { $0.triggerID == rerun })
        #expect(result.status == .succeeded)
        #expect(result.rerunOf == original)
        #expect(result.source == .manual)
        #expect(result.outputs?["topic"] == "second")
        let sent = try await cluster.doubleRequests().compactMap { $0["body"]?["inputs"] }
        #expect(sent.contains { $0["topic"] == "second" && $0["mode"] == "plain" }, "\(sent)")

        // Linked both ways in the records, and audited with the caller.
        let record = try await waitForRecord(api, rerun)
        #expect(record["rerun_of"] == .string(original))
        let originalAgain = try await api.send("GET", "/v1/runs/\(original)")
        #expect(originalAgain.body["reruns"] == .array([.string(rerun)]))
        let listed = try await api.send("GET", "/v1/runs?rerun_of=\(original)")
        #expect(listed.body["items"]?.arrayValue?.map { $0["trigger_id"] } == [.string(rerun)])
        let event = try await cluster.waitForEvent("rerun_triggered") { $0.type == .rerunTriggered && $0.triggerID == rerun }
        #expect(event.actor == Self.operatorActor)
        #expect(event.detail?["rerun_of"] == .string(original))

        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }

    @Test func cancelWhileWaitingForRetry() async throws {
        let (cluster, producer, worker, api) = try await Self.start("run-control-retry")
        defer { cluster.stop() }

        // The first attempt gets a 503, so the trigger waits 8 s for its second attempt.
        try await cluster.double("POST", "/_double/config", body: ["status": 503, "count": 1])
        let waiting = try await trigger(api, job: "flaky", inputs: [:])
        let retry = try await cluster.waitForEvent("retry_scheduled") { $0.type == .retryScheduled && $0.triggerID == waiting }
        try await waitForState(api, waiting, "queued")

        let stop = try await api.send("POST", "/v1/runs/\(waiting)/stop", actor: Self.operatorActor)
        #expect(stop.status == 202, "\(stop.body)")
        let results = try await cluster.waitForResults("the cancelled retry's result") { $0.contains { $0.triggerID == waiting } }
        let result = try #require(results.first { $0.triggerID == waiting })
        #expect(result.status == .stopped)
        #expect(result.stoppedBy == Self.operatorActor)
        #expect(result.error?.code == "cancelled")
        #expect(result.error?.message.contains("waiting for attempt 2") == true)
        #expect(result.attempts?.count == 1)

        // Past the moment the second attempt was due, Dify saw only the first.
        let due = retry.time.addingTimeInterval(10)
        try await Task.sleep(for: .seconds(max(0, due.timeIntervalSinceNow)))
        let runs = try await cluster.doubleRequests().filter { $0["path"] == "/v1/workflows/run" }
        #expect(runs.count == 1)
        #expect(try await cluster.results().filter { $0.triggerID == waiting }.count == 1)

        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }

    // MARK: - Helpers

    /// Triggers `job` now through the API with `inputs` over the job's and returns the trigger id.
    private func trigger(_ api: ControlClient, job: String, inputs: [String: JSONValue]) async throws -> String {
        let reply = try await api.send("POST", "/v1/jobs/\(job)/trigger", body: ["inputs": .object(inputs)], actor: Self.operatorActor)
        #expect(reply.status == 202, "\(reply.body)")
        return try #require(reply.body["trigger_id"]?.stringValue)
    }

    /// Waits until `GET /v1/runs/{id}/control` reports `state`.
    private func waitForState(_ api: ControlClient, _ triggerID: String, _ state: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        var last: JSONValue = .null
        while ContinuousClock.now < deadline {
            let reply = try await api.send("GET", "/v1/runs/\(triggerID)/control")
            last = reply.body
            if reply.body["state"] == .string(state) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestTimeout(activity: "waiting for \(triggerID) to be \(state); last answer \(last.compactText())", timeout: timeout)
    }

    /// Waits until the records store has the run of `triggerID` and returns it.
    private func waitForRecord(_ api: ControlClient, _ triggerID: String, timeout: Duration = .seconds(40)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let reply = try await api.send("GET", "/v1/runs/\(triggerID)")
            if reply.status == 200 { return reply.body }
            try await Task.sleep(for: .milliseconds(300))
        }
        throw TestTimeout(activity: "waiting for the record of \(triggerID)", timeout: timeout)
    }
}
