import Foundation
import Shared
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A producer stopped with SIGSTOP for 70 s and continued: each misfire policy does what it
/// promises, with `misfired` events. The policies run as separate jobs during the same pause.
@Suite(.serialized) struct ProducerMisfireTests {
    @Test func stoppedProducerAppliesEachMisfirePolicyAfterContinuing() async throws {
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
        func pauseInstants() -> [Date] {
            let first = (stoppedAt.timeIntervalSince1970 / 5).rounded(.up) * 5
            return stride(from: first, through: continuedAt.timeIntervalSince1970, by: 5).map { Date(timeIntervalSince1970: $0) }
        }
        let missed = pauseInstants()
        #expect(missed.count >= 13)
        let shortMisfires = missed.filter { continuedAt.timeIntervalSince($0) > 5.5 }
        let events = try await cluster.events()

        func firedDuringPause(_ id: String) async throws -> [Date] {
            try await cluster.scheduledTriggers(of: id).compactMap(\.scheduledAt).filter { $0 >= missed.first! && $0 <= continuedAt }
        }
        func misfiredEvent(_ id: String) -> ScheduleEvent? {
            events.first { $0.type == .misfired && $0.jobID == id }
        }

        // skip: nothing from the misfired instants.
        let skipped = try await firedDuringPause("lag-skip")
        #expect(skipped.allSatisfy { continuedAt.timeIntervalSince($0) <= 6 }, "skip fired \(skipped)")
        #expect(misfiredEvent("lag-skip")?.detail?["policy"] == .string("skip"))
        #expect((misfiredEvent("lag-skip")?.detail?["given_up"]?.intValue ?? 0) >= Int64(shortMisfires.count) - 1)

        // fire_once: exactly one of the misfired instants, the latest.
        let once = try await firedDuringPause("lag-once").filter { continuedAt.timeIntervalSince($0) > 6 }
        #expect(once.count == 1, "fire_once fired \(once)")
        #expect(misfiredEvent("lag-once")?.detail?["caught_up"]?.arrayValue?.count == 1)

        // fire_all inside a 30 s window: the misfired instants of the last 30 s, none older.
        let windowed = try await firedDuringPause("lag-all-window")
        #expect(windowed.allSatisfy { continuedAt.timeIntervalSince($0) <= 31 }, "fire_all fired outside its window: \(windowed)")
        #expect(windowed.count >= 5)

        // fire_all with max_catchup 2: two misfired instants, the latest.
        let capped = try await firedDuringPause("lag-all-max").filter { continuedAt.timeIntervalSince($0) > 6 }
        #expect(capped.count == 2, "max_catchup 2 fired \(capped)")

        // The default threshold of 60 s: instants of the last 60 s fire late, older ones are skipped.
        let lenient = try await firedDuringPause("lag-default")
        #expect(lenient.allSatisfy { continuedAt.timeIntervalSince($0) <= 61 })
        #expect(lenient.count >= 11, "late instants within the threshold must fire: \(lenient)")
        #expect(misfiredEvent("lag-default") != nil)

        let port = try await producer.controlPort()
        let metrics = try await ControlClient(port: port).send("GET", "/metrics")
        #expect(metrics.body.stringValue?.contains("dify_producer_misfires_total{policy=\"skip\"}") == true)
        #expect(await producer.terminate() == 0)
    }
}
