import Foundation
import Shared
import Testing

@testable import Producer

@Suite struct JobApplierTests {
    func job(_ id: String, every: String = "1m", managedBy: ManagedBy? = nil) -> Job {
        var job = Job(id: id, app: "demo", schedule: ScheduleSpec(every: every))
        job.managedBy = managedBy
        return job
    }

    @Test func diffSortsJobsByChange() {
        let existing: [String: Job] = [
            "same": JobApplier.normalized(job("same")),
            "edited": JobApplier.normalized(job("edited")),
            "gone": JobApplier.normalized(job("gone")),
            "api": job("api", managedBy: .api),
        ]
        let outcome = JobApplier.diff(jobs: [job("same"), job("edited", every: "5m"), job("new")], existing: existing, prune: true)
        #expect(outcome.added.map(\.id) == ["new"])
        #expect(outcome.changed.map(\.job.id) == ["edited"])
        #expect(outcome.changed.first?.fields == ["schedule"])
        #expect(outcome.unchanged == ["same"])
        #expect(outcome.removed == ["gone"])
        #expect(outcome.kept == ["api"])
    }

    @Test func noPruneRemovesNothing() {
        let existing = ["gone": JobApplier.normalized(job("gone"))]
        let outcome = JobApplier.diff(jobs: [], existing: existing, prune: false)
        #expect(outcome.removed.isEmpty)
        #expect(outcome.kept == ["gone"])
        #expect(outcome.isEmpty)
    }

    @Test func unversionedStoredJobIsUnchanged() {
        var stored = job("old")
        stored.managedBy = .file
        #expect(JobApplier.diff(jobs: [job("old")], existing: ["old": stored], prune: false).unchanged == ["old"])
    }
}

@Suite struct KeyPartitionerTests {
    /// Kafka's own test vectors for its murmur2 (`UtilsTest.testMurmur2`).
    @Test func murmur2MatchesJavaClient() {
        let cases: [(String, Int32)] = [
            ("21", -973_932_308), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829), ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            ("abc", 479_470_107),
        ]
        for (key, expected) in cases {
            #expect(Int32(bitPattern: KeyPartitioner.murmur2(Array(key.utf8))) == expected, "\(key)")
        }
    }

    @Test func partitionsMatchLibrdkafka() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("keys", partitions: 7)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        for index in 0..<40 {
            let key = "job-\(index)"
            let report = try await producer.send(topic: "keys", key: key, value: [1])
            #expect(report.partition == KeyPartitioner.partition(of: key, partitions: 7), "\(key)")
        }
        try await producer.close()
    }
}
