import Foundation
import Shared

/// `dify-worker bench-runs --url URL --api-key KEY [--count N] [--concurrency N]`: the worker's
/// own CPU cost per run without a broker, for `scripts/bench/worker-cpu.sh`.
///
/// Runs `count` streaming workflow runs against Dify (the test double), `concurrency` at a time,
/// through the worker's Dify client. For each run it then builds the result and encodes the six
/// messages a run publishes (three run states, the result and two events) as ``TopicPublisher``
/// does, without sending them. It prints runs per second and the CPU time per run.
enum BenchRunsCommand {
    static func run(arguments: [String]) async -> Int32 {
        do {
            let options = try CommandArguments(arguments, options: ["url", "api-key", "count", "concurrency"])
            guard let url = options.value("url"), let key = options.value("api-key") else {
                throw CommandArguments.UsageError(message: "bench-runs needs --url http://127.0.0.1:PORT/v1 and --api-key KEY")
            }
            let count = try options.integer("count", default: 5000, range: 1...10_000_000)
            let concurrency = try options.integer("concurrency", default: 64, range: 1...10_000)
            let endpoint = try DifyAppEndpoint(name: "bench", baseURL: url, apiKey: key)
            let client = DifyClient(configuration: DifyClientConfiguration(maxConnectionsPerHost: concurrency))

            // Warm the connections up before measuring.
            _ = try await runMany(client: client, endpoint: endpoint, count: concurrency, concurrency: concurrency, encode: false)
            let cpuBefore = cpuSeconds()
            let started = ContinuousClock.now
            let encodeSeconds = try await runMany(client: client, endpoint: endpoint, count: count, concurrency: concurrency, encode: true)
            let elapsed = (ContinuousClock.now - started).seconds
            let cpu = cpuSeconds() - cpuBefore
            print(String(format: "worker without Kafka: %d runs in %.2f s: %.0f runs/s", count, elapsed, Double(count) / elapsed))
            print(String(
                format: "worker CPU per run: %.3f ms (encoding the six messages: %.3f ms of it)",
                cpu / Double(count) * 1000, encodeSeconds / Double(count) * 1000))
            return 0
        } catch let error as CommandArguments.UsageError {
            printError("dify-worker bench-runs: \(error.message)")
            return 2
        } catch {
            printError("dify-worker bench-runs: \(error)")
            return 1
        }
    }

    /// Runs `count` runs, `concurrency` at a time; returns the thread CPU time spent encoding.
    private static func runMany(client: DifyClient, endpoint: DifyAppEndpoint, count: Int, concurrency: Int, encode: Bool) async throws -> Double {
        try await withThrowingTaskGroup(of: Double.self) { group in
            var next = 0
            var encodeSeconds = 0.0
            func add() {
                let index = next
                next += 1
                group.addTask { try await oneRun(client: client, endpoint: endpoint, index: index, encode: encode) }
            }
            while next < min(count, concurrency) { add() }
            while let seconds = try await group.next() {
                encodeSeconds += seconds
                if next < count { add() }
            }
            return encodeSeconds
        }
    }

    private static func oneRun(client: DifyClient, endpoint: DifyAppEndpoint, index: Int, encode: Bool) async throws -> Double {
        var trigger = Trigger(id: "t-bench-\(index)", app: "bench")
        trigger.jobID = "bench-job"
        trigger.scheduledAt = Date()
        trigger.inputs = ["topic": .string("bench"), "mode": .string("plain")]
        let startedAt = Date()
        let progress = RunProgress()
        let request = WorkflowRunRequest(inputs: trigger.inputs ?? [:], user: "dify-scheduler", responseMode: .streaming, traceID: trigger.id)
        let outcome = try await client.runWorkflow(app: endpoint, request: request) { event in
            if case .workflowStarted(let started) = event { _ = progress.record(runID: started.runID, taskID: started.taskID) }
        }
        guard encode else { return 0 }

        let cpuBefore = threadCPUSeconds()
        var started = RunState(triggerID: trigger.id, jobID: trigger.jobID, app: "bench", phase: .started, attempt: 1, workerID: "bench")
        started.startedAt = startedAt
        var withRun = started
        withRun.workflowRunID = outcome.runID
        withRun.taskID = outcome.taskID
        var result = ResultFactory.result(for: trigger, outcome: outcome, workerID: "bench", settings: RunExecutor.ExecutionSettings())
        result.startedAt = startedAt
        result.finishedAt = Date()
        result.attempts = [AttemptRecord(number: 1, startedAt: startedAt, finishedAt: result.finishedAt, workerID: "bench", difyRunID: outcome.runID)]
        var final = withRun
        final.phase = .final
        final.status = result.status
        let runStarted = ScheduleEvent(type: .runStarted, jobID: trigger.jobID, triggerID: trigger.id, app: "bench", detail: [
            "workflow_run_id": .string(outcome.runID ?? ""), "task_id": .string(outcome.taskID ?? ""), "worker_id": .string("bench"),
        ])
        let runFinished = ScheduleEvent(type: .runFinished, jobID: trigger.jobID, triggerID: trigger.id, app: "bench", detail: [
            "status": .string(result.status.rawValue), "run_time_ms": .int(1),
        ])
        var bytes = 0
        bytes += MessageCodec.encodeBytes(started).count
        bytes += MessageCodec.encodeBytes(withRun).count
        bytes += MessageCodec.encodeBytes(result).count
        bytes += MessageCodec.encodeBytes(final).count
        bytes += MessageCodec.encodeBytes(runStarted).count
        bytes += MessageCodec.encodeBytes(runFinished).count
        precondition(bytes > 0)
        return threadCPUSeconds() - cpuBefore
    }

    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// CPU time of the calling thread; the encoding has no suspension point, so it stays on one thread.
    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private static func seconds(_ value: timeval) -> Double {
        Double(value.tv_sec) + Double(value.tv_usec) / 1e6
    }
}
