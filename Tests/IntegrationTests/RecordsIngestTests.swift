import Foundation
import Shared
import Testing

/// The producer's records ingest with real processes: restarts resume from committed
/// offsets, and a new store file reads the topics again from the start.
@Suite(.serialized) struct RecordsIngestTests {
    @Test func restartResumesAndNewFileRereads() async throws {
        let cluster = try await SchedulerCluster.start(name: "records-ingest")
        defer { cluster.stop() }
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 6).rounded(.down))
        let config = try cluster.writeConfig("""
            jobs:
              - id: every-second
                app: demo
                schedule: {every: 1s, start: "\(Timestamp.rfc3339(start))", end: "\(Timestamp.rfc3339(start.addingTimeInterval(3)))"}
                inputs: {topic: alpha, mode: plain}
            """)
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "worker-records")
        let first = cluster.directory.appendingPathComponent("first.db").path

        let producer = try startProducer(cluster, config: config, store: first, name: "records-producer-1")
        let base = try await baseURL(producer)
        let runs = try await ConsoleTests.waitForRuns(base: base, count: 4)
        #expect(Set(runs.compactMap { $0["trigger_id"] as? String }).count == 4)
        let events = try await ConsoleTests.getJSON(base + "/v1/events?type=emitted&range=1h")
        #expect((events["items"] as? [[String: Any]])?.count == 4)
        try await Task.sleep(for: .seconds(2))
        #expect(await producer.terminate() == 0)

        // The same file: the store's consumer group resumes after what it stored.
        let again = try startProducer(cluster, config: config, store: first, name: "records-producer-2")
        let againBase = try await baseURL(again)
        try await Task.sleep(for: .seconds(6))
        let metrics = String(decoding: try await ConsoleTests.get(againBase + "/metrics").body, as: UTF8.self)
        #expect(!metrics.contains("dify_producer_records_ingested_total{kind=\"runs\"} 4"), "\(metrics)")
        let page = try await ConsoleTests.getJSON(againBase + "/v1/runs?range=1h")
        #expect((page["items"] as? [[String: Any]])?.count == 4)
        #expect(await again.terminate() == 0)

        // A new file has a new store id, so a new group that reads every topic from the start.
        let fresh = try startProducer(cluster, config: config, store: cluster.directory.appendingPathComponent("second.db").path, name: "records-producer-3")
        let freshRuns = try await ConsoleTests.waitForRuns(base: try await baseURL(fresh), count: 4)
        #expect(freshRuns.count == 4)
        #expect(await fresh.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }

    private func startProducer(_ cluster: SchedulerCluster, config: String, store: String, name: String) throws -> ManagedProcess {
        try ManagedProcess(
            binary: "dify-producer", arguments: ["run", "--config", config],
            environment: cluster.environment.merging(["DIFY_SCHEDULER__PRODUCER__STORE": "sqlite:\(store)"]) { _, new in new },
            logName: name)
    }

    private func baseURL(_ producer: ManagedProcess) async throws -> String {
        try await producer.waitForLog("records ingest started")
        try await producer.waitForLog("http server listening")
        return try ConsoleTests.baseURL(from: producer.log)
    }
}
