import Foundation
import Shared
import Synchronization
import TestSupport
import Testing

/// The notifier in a real dify-producer against Tansu and a local webhook receiver: alerts are
/// delivered once, and a producer restarted after downtime sends no stale alerts.
@Suite(.serialized) struct AlertRestartTests {
    final class Receiver: Sendable {
        let bodies = Mutex<[JSONValue]>([])
        var alertIDs: [String] { bodies.withLock { $0.compactMap { $0["alert"]?["id"]?.stringValue } } }
    }

    @Test func restartedProducerSendsNoStaleAlertsAndNothingTwice() async throws {
        let broker = try await TansuBroker.start()
        defer { broker.stop() }
        let receiver = Receiver()
        let server = HTTPServer(configuration: HTTPServerConfiguration(), logger: Logger(label: "receiver")) { request in
            if let body = try? JSONValue.parse(request.body) { receiver.bodies.withLock { $0.append(body) } }
            return .text(200, "ok")
        }
        try server.start()
        let port = try #require(server.boundPort)
        defer { Task { await server.shutdown() } }

        let prefix = "t\(UUID().uuidString.prefix(8).lowercased())."
        let directory = ManagedProcess.outputDirectory.appendingPathComponent("alert-restart")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("config.yaml").path
        try """
            kafka:
              bootstrap_servers: \(broker.bootstrapServers)
              topic_prefix: "\(prefix)"
              partitions: 2
              settings:
                session.timeout.ms: "6000"
                heartbeat.interval.ms: "500"
            producer:
              listen: 127.0.0.1:0
              public_url: http://console.example
              store: sqlite:\(directory.path)/records.db
            channels:
              hook:
                type: webhook
                webhook_env: TEST_ALERT_HOOK
                timeout: 2s
            alerts:
              max_age: 20s
            logging:
              level: debug
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let environment = ["TEST_ALERT_HOOK": "http://127.0.0.1:\(port)/hook"]
        let topics = TopicNames(prefix: prefix)
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)

        let create = try ManagedProcess(binary: "dify-producer", arguments: ["topics", "create", "--config", config], logName: "alert-restart-topics")
        #expect(await create.waitForExit(timeout: .seconds(60)))

        func publish(_ alert: Alert) async throws {
            let producer = try KafkaProducer(configuration: kafka)
            _ = try await TopicPublisher(producer: producer, topics: topics).publish(alert: alert)
            try await producer.close()
        }
        func alert(_ trigger: String, age: TimeInterval) -> Alert {
            Alert(kind: .failure, severity: .critical, jobID: "job-\(trigger)", app: "demo", triggerID: trigger, status: .failed,
                message: "boom", channels: ["hook"], time: Date().addingTimeInterval(-age))
        }
        func waitForIDs(_ count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(40)
            while receiver.alertIDs.count < count {
                guard ContinuousClock.now < deadline else { throw TestTimeout(activity: "waiting for \(count) deliveries, got \(receiver.alertIDs)", timeout: .seconds(40)) }
                try await Task.sleep(for: .milliseconds(200))
            }
        }

        var producer = try ManagedProcess(binary: "dify-producer", arguments: ["run", "--config", config], environment: environment, logName: "alert-restart-producer-1")
        try await producer.waitForLog("notifier took over partitions", timeout: .seconds(60))
        let first = alert("t-first", age: 0)
        try await publish(first)
        try await waitForIDs(1)
        #expect(await producer.terminate() == 0)

        // Down time: one alert goes stale, one stays fresh.
        let stale = alert("t-stale", age: 120)
        let fresh = alert("t-fresh", age: 0)
        try await publish(stale)
        try await publish(fresh)
        producer = try ManagedProcess(binary: "dify-producer", arguments: ["run", "--config", config], environment: environment, logName: "alert-restart-producer-2")
        try await producer.waitForLog("notifier took over partitions", timeout: .seconds(60))
        try await waitForIDs(2)
        // Give a stale or repeated delivery the time to show up.
        try await Task.sleep(for: .seconds(3))
        #expect(receiver.alertIDs.sorted() == [first.id, fresh.id].sorted())

        let events = try await KafkaPartitionReader(configuration: kafka).readAll(topic: topics.events).compactMap { message in
            message.value.flatMap { try? MessageCodec.decode(ScheduleEvent.self, from: Data($0)) }
        }
        let sent = events.filter { $0.type == .alertSent }.compactMap { $0.detail?["alert_id"]?.stringValue }
        let held = events.filter { $0.type == .alertFailed }
        #expect(sent.sorted() == [first.id, fresh.id].sorted())
        #expect(held.count == 1)
        #expect(held.first?.detail?["alert_id"]?.stringValue == stale.id)
        #expect(held.first?.detail?["reason"] == .string("too_old"))
        #expect(await producer.terminate() == 0)
    }
}
