import Foundation
import Shared
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A producer stopped with SIGSTOP for 70 s and continued: each misfire policy does what it
/// promises, with `misfired` events. The policies run as separate jobs during the same pause.
@Suite(.serialized) struct ProducerMisfireTests {
    @Test func stoppedProducerAppliesMisfirePolicies() async throws {
        let cluster = try await SchedulerCluster.start(name: "producer-misfire")
        defer { cluster.stop() }
        // Jobs fire every 5 s. Their own threshold of 5 s makes most of the pause misfires; the
        // last job keeps the default threshold of 60 s, so only the first 10 s are misfires.
        let config = try cluster.writeConfig("""
            jobs:
              - {id: lag-skip, app: demo, schedule: {every: 5s}, misfire: skip, misfire_threshold: 5s}
              - {id: lag-once, app: demo, schedule: {every: 5s}, misfire: fire_once, misfire_threshold: 5s}
              - {id: lag-all-window, app: demo, schedule: {every: 5s}, misfire: fire_all, misfire_threshold: 5s, catchup_window: 30s}
              - {id: lag-all-max, app: demo, schedule: {every: 5s}, misfire: fire_all, misfire_threshold: 5s, max_catchup: 2}
              - {id: lag-default, app: demo, schedule: {every: 5s}, misfire: skip}
            """)
        try await cluster.createTopics(config: config)
        let producer = try cluster.startProducer(config: config)
        try await ControlClient(port: try await producer.controlPort()).waitUntilReady()
        try await Task.sleep(for: .seconds(7))

        producer.signal(SIGSTOP)
        let stoppedAt = Date()
        try await Task.sleep(for: .seconds(70))
        producer.signal(SIGCONT)
        let continuedAt = Date()
        try await Task.sleep(for: .seconds(4))
        try await producer.waitForLog("fire loop woke late")

        // Instants of the pause: after the last fire before SIGSTOP, up to SIGCONT.
        let firstMissed = Date(timeIntervalSince1970: (stoppedAt.timeIntervalSince1970 / 5).rounded(.up) * 5)
        let missed = stride(from: firstMissed.timeIntervalSince1970, through: continuedAt.timeIntervalSince1970, by: 5).map { Date(timeIntervalSince1970: $0) }
        #expect(missed.count >= 13)
        let events = try await cluster.events()

        /// The job's misfired instants and those caught up, as its `misfired` event lists them.
        func misfire(_ id: String) throws -> (instants: [Date], caughtUp: [Date], policy: String?) {
            let event = try #require(events.first { $0.type == .misfired && $0.jobID == id }, "no misfired event for \(id)")
            let instants = (event.detail?["instants"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(Timestamp.parse) }
            let caughtUp = (event.detail?["caught_up"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(Timestamp.parse) }
            return (instants, caughtUp, event.detail?["policy"]?.stringValue)
        }
        /// Instants of the pause that got a trigger.
        func fired(_ id: String) async throws -> Set<Date> {
            Set(try await cluster.scheduledTriggers(of: id).compactMap(\.scheduledAt).filter { $0 >= firstMissed && $0 <= continuedAt })
        }

        for id in ["lag-skip", "lag-once", "lag-all-window", "lag-all-max", "lag-default"] {
            let (instants, caughtUp, _) = try misfire(id)
            let triggered = try await fired(id)
            // Misfires are the oldest instants of the pause; the rest fire late as normal fires.
            #expect(instants == Array(missed.prefix(instants.count)), "\(id) misfired \(instants)")
            #expect(missed.dropFirst(instants.count).allSatisfy { triggered.contains($0) }, "\(id) lost a late instant")
            // Exactly the caught-up misfires fired.
            #expect(Set(instants).intersection(triggered) == Set(caughtUp), "\(id) fired \(triggered.sorted()) caught up \(caughtUp)")
        }

        // skip: none of the misfires; fire_once: the latest; fire_all: those inside the 30 s
        // window, or the latest two with max_catchup 2.
        let skip = try misfire("lag-skip")
        #expect(skip.policy == "skip")
        #expect(skip.caughtUp.isEmpty)
        #expect(skip.instants.count >= 11)
        let once = try misfire("lag-once")
        #expect(once.caughtUp == [once.instants.last!])
        let windowed = try misfire("lag-all-window")
        #expect(!windowed.caughtUp.isEmpty)
        #expect(windowed.caughtUp == windowed.instants.filter { continuedAt.timeIntervalSince($0) <= 31 && windowed.caughtUp.first! <= $0 })
        #expect(windowed.caughtUp.allSatisfy { continuedAt.timeIntervalSince($0) <= 31 })
        #expect(windowed.instants.count > windowed.caughtUp.count)
        let capped = try misfire("lag-all-max")
        #expect(capped.caughtUp == Array(capped.instants.suffix(2)))
        // The default threshold of 60 s: only the first 10 s of the pause are misfires.
        let lenient = try misfire("lag-default")
        #expect((1...3).contains(lenient.instants.count), "default threshold misfired \(lenient.instants)")

        let port = try await producer.controlPort()
        let metrics = try await ControlClient(port: port).send("GET", "/metrics")
        #expect(metrics.body.stringValue?.contains("dify_producer_misfires_total{policy=\"skip\"}") == true)
        #expect(await producer.terminate() == 0)
    }
}
