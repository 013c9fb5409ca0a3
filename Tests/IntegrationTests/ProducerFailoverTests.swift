import Foundation
import Shared
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Two producers share the jobs; one is killed with SIGKILL and the other takes its jobs over
/// from `scheduler.state` without losing an instant.
@Suite(.serialized) struct ProducerFailoverTests {
    @Test func killedProducerLosesNoInstant() async throws {
        let cluster = try await SchedulerCluster.start(name: "producer-failover")
        defer { cluster.stop() }
        let jobIDs = (1...4).map { "tick-\($0)" }
        let jobs = jobIDs.map { id in
            """
              - id: \(id)
                app: demo
                schedule: {every: 1s}
                inputs: {topic: \(id), mode: plain}
            """
        }.joined(separator: "\n")
        let config = try cluster.writeConfig("jobs:\n" + jobs, partitions: 4)
        try await cluster.createTopics(config: config)

        let worker = try cluster.startWorker(config: config, id: "worker-failover")
        let first = try cluster.startProducer(config: config, id: "producer-a")
        let second = try cluster.startProducer(config: config, id: "producer-b")
        try await ControlClient(port: try await first.controlPort()).waitUntilReady()
        try await ControlClient(port: try await second.controlPort()).waitUntilReady()
        // Let the group settle with both members, then fire for a while.
        try await waitUntilAsync("both producers own partitions", timeout: .seconds(60)) {
            first.log.contains("job partitions rebuilt") && second.log.contains("job partitions rebuilt")
        }
        try await Task.sleep(for: .seconds(6))

        let killedAt = Date()
        first.kill9()
        try await Task.sleep(for: .seconds(18))
        let stoppedAt = Date()
        #expect(await second.terminate() == 0)

        // Every instant between the first fire and the stop appears, none twice under two ids.
        var instantsByJob: [String: Set<Date>] = [:]
        for id in jobIDs {
            let triggers = try await cluster.scheduledTriggers(of: id)
            try #require(!triggers.isEmpty, "no triggers for \(id)")
            var idsByInstant: [Date: Set<String>] = [:]
            for trigger in triggers {
                idsByInstant[trigger.scheduledAt!, default: []].insert(trigger.id)
            }
            #expect(idsByInstant.values.allSatisfy { $0.count == 1 }, "an instant of \(id) got two trigger ids")
            let instants = Set(idsByInstant.keys)
            let firstInstant = instants.min()!.timeIntervalSince1970
            let lastExpected = (stoppedAt.timeIntervalSince1970 - 3).rounded(.down)
            let missing = stride(from: firstInstant, through: lastExpected, by: 1).filter { !instants.contains(Date(timeIntervalSince1970: $0)) }
            #expect(missing.isEmpty, "\(id) lost instants \(missing.map { Timestamp.rfc3339(Date(timeIntervalSince1970: $0)) })")
            #expect(instants.contains { $0 > killedAt.addingTimeInterval(10) }, "\(id) stopped firing after the kill")
            instantsByJob[id] = instants
        }

        // No instant leads to two results: workers drop the duplicates by trigger id.
        try await Task.sleep(for: .seconds(3))
        let results = try await cluster.results().filter { jobIDs.contains($0.jobID ?? "") }
        var resultsByTrigger: [String: Int] = [:]
        for result in results {
            resultsByTrigger[result.triggerID, default: 0] += 1
        }
        #expect(resultsByTrigger.values.allSatisfy { $0 == 1 }, "a trigger got two results")
        #expect(second.log.contains("job partitions rebuilt"))
        _ = await worker.terminate()
    }
}
