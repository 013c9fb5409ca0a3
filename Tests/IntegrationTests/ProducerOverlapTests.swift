import Foundation
import Shared
import TestSupport
import Testing

/// `overlap` and fixed `delay` against slow runs of the test double (its input `sleep` makes a
/// run last that many seconds), all in one producer with one worker.
@Suite(.serialized) struct ProducerOverlapTests {
    @Test func overlapAndDelayFollowSlowRuns() async throws {
        let cluster = try await SchedulerCluster.start(name: "producer-overlap")
        defer { cluster.stop() }
        // Fires every 2 s, runs take 5 s.
        let config = try cluster.writeConfig("""
            jobs:
              - {id: slow-skip, app: demo, schedule: {every: 2s}, overlap: skip, inputs: {topic: s, mode: plain, sleep: 5}}
              - {id: slow-buffer, app: demo, schedule: {every: 2s}, overlap: buffer_one, inputs: {topic: b, mode: plain, sleep: 5}}
              - {id: slow-cancel, app: demo, schedule: {every: 4s}, overlap: cancel_previous, inputs: {topic: c, mode: plain, sleep: 30}}
              - {id: slow-delay, app: demo, schedule: {delay: 2s}, inputs: {topic: d, mode: plain, sleep: 3}}
            """)
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "worker-overlap")
        try await worker.waitForLog("partition assigned")
        let producer = try cluster.startProducer(config: config)
        try await ControlClient(port: try await producer.controlPort()).waitUntilReady()
        try await Task.sleep(for: .seconds(24))
        #expect(await producer.terminate() == 0)
        try await Task.sleep(for: .seconds(2))

        let results = try await cluster.results()
        let events = try await cluster.events()

        // skip: no fire while a run is open, so runs never overlap, and skipped instants are events.
        let skipTriggers = try await cluster.scheduledTriggers(of: "slow-skip")
        let skipResults = results.filter { $0.jobID == "slow-skip" }
        #expect(skipTriggers.count >= 3 && skipTriggers.count <= 5, "skip emitted \(skipTriggers.count)")
        for (earlier, later) in zip(skipTriggers, skipTriggers.dropFirst()) {
            let finished = skipResults.first { $0.triggerID == earlier.id }?.finishedAt
            #expect(finished != nil && later.emittedAt! >= finished!.addingTimeInterval(-1), "skip overlapped \(earlier.id)")
        }
        let skippedEvents = events.filter { $0.type == .skippedOverlap && $0.jobID == "slow-skip" }
        #expect(skippedEvents.count >= 5)
        #expect(skippedEvents.allSatisfy { $0.detail?["reason"] == .string("run_open") })

        // buffer_one: one waiting fire, written as soon as the open run ends; later ones skipped.
        let bufferTriggers = try await cluster.scheduledTriggers(of: "slow-buffer")
        let bufferResults = results.filter { $0.jobID == "slow-buffer" }
        #expect(bufferTriggers.count >= 3)
        for (earlier, later) in zip(bufferTriggers, bufferTriggers.dropFirst()) {
            guard let finished = bufferResults.first(where: { $0.triggerID == earlier.id })?.finishedAt else { continue }
            #expect(later.emittedAt!.timeIntervalSince(finished) < 2, "the buffered fire waited after the run ended")
            #expect(later.scheduledAt! < finished, "the buffered fire is an instant from while the run was open")
        }
        #expect(events.contains { $0.type == .skippedOverlap && $0.jobID == "slow-buffer" && $0.detail?["reason"] == .string("buffer_full") })

        // cancel_previous: each new fire first asks the worker to stop the open run.
        let cancels = try await cluster.triggers().filter { $0.effectiveType == .cancel && $0.jobID == "slow-cancel" }
        let cancelTriggers = try await cluster.scheduledTriggers(of: "slow-cancel")
        #expect(cancels.count >= 3)
        #expect(Set(cancels.compactMap(\.targetTriggerID)).isSubset(of: Set(cancelTriggers.map(\.id))))
        #expect(cancels.allSatisfy { $0.actor == "scheduler:overlap" })
        let stopped = results.filter { $0.jobID == "slow-cancel" && $0.status == .stopped }
        #expect(stopped.count >= 2, "stopped runs: \(results.filter { $0.jobID == "slow-cancel" }.map(\.status))")

        // delay: each run starts two seconds after the previous one ended.
        let delayTriggers = try await cluster.scheduledTriggers(of: "slow-delay")
        let delayResults = results.filter { $0.jobID == "slow-delay" }
        #expect(delayTriggers.count >= 3)
        for (earlier, later) in zip(delayTriggers, delayTriggers.dropFirst()) {
            let finished = try #require(delayResults.first { $0.triggerID == earlier.id }?.finishedAt)
            let gap = later.scheduledAt!.timeIntervalSince(finished)
            #expect(gap >= 2 && gap < 3, "delay gap \(gap)")
        }
        _ = await worker.terminate()
    }

    @Test func newOwnerWaitsForOpenRun() async throws {
        let cluster = try await SchedulerCluster.start(name: "producer-open-run")
        defer { cluster.stop() }
        let config = try cluster.writeConfig("""
            jobs:
              - {id: long-run, app: demo, schedule: {every: 2s}, overlap: skip, inputs: {topic: l, mode: plain, sleep: 20}}
            """)
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "worker-open-run")
        try await worker.waitForLog("partition assigned")
        let first = try cluster.startProducer(config: config, id: "producer-first")
        try await waitUntilAsync("the first fire", timeout: .seconds(30)) { try await !cluster.scheduledTriggers(of: "long-run").isEmpty }
        try await Task.sleep(for: .seconds(1))
        first.kill9()

        // The next owner rebuilds the open run from scheduler.state and skips until it ends.
        let second = try cluster.startProducer(config: config, id: "producer-second")
        let results = try await cluster.waitForResults("the first run ends", timeout: .seconds(60)) { $0.contains { $0.jobID == "long-run" } }
        try await waitUntilAsync("a fire after the run ended", timeout: .seconds(20)) { try await cluster.scheduledTriggers(of: "long-run").count >= 2 }
        let triggers = try await cluster.scheduledTriggers(of: "long-run")
        let finished = try #require(results.first { $0.triggerID == triggers[0].id }?.finishedAt)
        #expect(triggers[1].emittedAt! >= finished.addingTimeInterval(-1), "the new owner fired while the run was open")
        #expect(second.log.contains("job partitions rebuilt"))
        let skipped = try await cluster.events().filter { $0.type == .skippedOverlap && $0.jobID == "long-run" }
        #expect(skipped.count >= 2)
        #expect(await second.terminate() == 0)
        _ = await worker.terminate()
    }
}
