import Foundation
import Shared
import TestSupport

/// A whole deployment for end-to-end tests: a Tansu broker, the Dify test double, the topics,
/// and as many producers and workers as a test starts, all on free 127.0.0.1 ports and under a
/// topic prefix of its own.
final class SchedulerCluster: Sendable {
    let broker: TansuBroker
    let double: ManagedProcess
    let doublePort: Int
    let apiKey: String
    let prefix: String
    let directory: URL
    let name: String
    /// API keys of the double's other apps (`--app KEY=MODE`), by app name.
    let appKeys: [String: String]

    var topics: TopicNames { TopicNames(prefix: prefix) }
    var doubleBaseURL: String { "http://127.0.0.1:\(doublePort)/v1" }

    /// Starts the broker and the double; `doubleArguments` are added to the double's command.
    /// - Parameter doubleApps: more apps the double serves, as app name to double mode
    ///   (`chat`, `completion`, `workflow`); each gets its own key in ``environment`` under
    ///   ``keyVariable(of:)``.
    static func start(name: String, doubleArguments: [String] = [], doubleApps: [String: String] = [:]) async throws -> SchedulerCluster {
        let broker = try await TansuBroker.start()
        let apiKey = "app-test-\(UUID().uuidString.prefix(12))"
        var appKeys: [String: String] = [:]
        var appArguments: [String] = []
        for (app, mode) in doubleApps.sorted(by: { $0.key < $1.key }) {
            let key = "app-\(app)-\(UUID().uuidString.prefix(8))"
            appKeys[app] = key
            appArguments += ["--app", "\(key)=\(mode)"]
        }
        let port = try FreePort.next()
        let double = try ManagedProcess(
            binary: "dify-double", arguments: ["--listen", "127.0.0.1:\(port)", "--api-key", apiKey] + appArguments + doubleArguments,
            logName: "\(name)-double")
        try await double.waitForLog("listening on", timeout: .seconds(20))

        let directory = ManagedProcess.outputDirectory.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return SchedulerCluster(broker: broker, double: double, doublePort: port, apiKey: apiKey, prefix: "t\(UUID().uuidString.prefix(8).lowercased()).", directory: directory, name: name, appKeys: appKeys)
    }

    private init(broker: TansuBroker, double: ManagedProcess, doublePort: Int, apiKey: String, prefix: String, directory: URL, name: String, appKeys: [String: String]) {
        self.broker = broker
        self.double = double
        self.doublePort = doublePort
        self.apiKey = apiKey
        self.prefix = prefix
        self.directory = directory
        self.name = name
        self.appKeys = appKeys
    }

    /// Returns the environment variable that contains the key of the double's app `app`.
    static func keyVariable(of app: String) -> String {
        "TEST_DIFY_KEY_" + app.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    func stop() {
        double.kill9()
        broker.stop()
    }

    /// The base configuration; `extra` is appended as more YAML (jobs, more apps).
    /// - Parameters:
    ///   - appSettings: more YAML lines for the `demo` app, such as `limits: {max_concurrency: 2}`.
    ///   - workerSettings: more YAML lines for the `worker` section.
    ///   - extraApps: more apps, as YAML lines indented under `apps`.
    ///   - producerSettings: more YAML lines for the `producer` section. Without a `store:`
    ///     line the records go to `records.db` in the cluster's folder, so no test reads
    ///     another's runs.
    ///   - openOnLoopback: serve the producer's HTTP interface without a token, as a browser
    ///     test of the console needs until the console signs in.
    func writeConfig(
        _ extra: String = "", file: String = "config.yaml", partitions: Int = 2, appSettings: String = "", workerSettings: String = "",
        extraApps: String = "", producerSettings: String = "", openOnLoopback: Bool = false
    ) throws -> String {
        let text = """
            kafka:
              bootstrap_servers: \(broker.bootstrapServers)
              topic_prefix: "\(prefix)"
              partitions: \(partitions)
              settings:
                session.timeout.ms: "6000"
                heartbeat.interval.ms: "500"
            apps:
              demo:
                base_url: \(doubleBaseURL)
                api_key_env: TEST_DIFY_KEY
                mode: workflow
                \(appSettings)
            \(extraApps)
            worker:
              shutdown_grace: 10s
              \(workerSettings)
            producer:
              listen: 127.0.0.1:0
              \(producerSettings.contains("store:") ? "" : "store: sqlite:\(directory.path)/records.db")
              \(producerSettings)
            logging:
              level: debug
            \(TestTokens.authSection)
            \(openOnLoopback ? "  open_on_loopback: true" : "")
            \(extra)
            """
        let path = directory.appendingPathComponent(file).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var environment: [String: String] {
        var variables = ["TEST_DIFY_KEY": apiKey]
        for (app, key) in appKeys { variables[Self.keyVariable(of: app)] = key }
        return variables
    }

    func createTopics(config: String) async throws {
        let process = try ManagedProcess(binary: "dify-producer", arguments: ["topics", "create", "--config", config], environment: environment, logName: "\(name)-topics")
        guard await process.waitForExit(timeout: .seconds(60)) else { throw ProcessError(reason: "topics create hung:\n\(process.log)") }
        guard !process.log.contains("dify-producer topics:") else { throw ProcessError(reason: "topics create failed:\n\(process.log)") }
    }

    /// Starts a worker; `environment` is added to the cluster's.
    func startWorker(config: String, id: String, arguments: [String] = [], environment extra: [String: String] = [:]) throws -> ManagedProcess {
        try ManagedProcess(
            binary: "dify-worker", arguments: ["run", "--config", config, "--id", id] + arguments,
            environment: environment.merging(extra) { _, new in new }, logName: "\(name)-\(id)")
    }

    /// Starts a producer; `environment` is added to the cluster's.
    func startProducer(config: String, id: String = "producer", environment extra: [String: String] = [:]) throws -> ManagedProcess {
        try ManagedProcess(
            binary: "dify-producer", arguments: ["run", "--config", config],
            environment: environment.merging(extra) { _, new in new }, logName: "\(name)-\(id)")
    }

    var kafka: KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: broker.bootstrapServers, settings: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"])
    }

    /// Reads every message the topic contains now, from the beginning.
    func readAll(_ topic: String) async throws -> [KafkaMessage] {
        try await KafkaPartitionReader(configuration: kafka).readAll(topic: topic, timeout: .seconds(30))
    }

    func results() async throws -> [RunResult] {
        try await readAll(topics.results).compactMap { message in
            message.value.flatMap { try? MessageCodec.decode(RunResult.self, from: Data($0)) }
        }
    }

    func events() async throws -> [ScheduleEvent] {
        try await readAll(topics.events).compactMap { message in
            message.value.flatMap { try? MessageCodec.decode(ScheduleEvent.self, from: Data($0)) }
        }
    }

    /// Waits until the results topic satisfies `condition`, returning the results then.
    func waitForResults(_ what: String, timeout: Duration = .seconds(60), _ condition: @escaping @Sendable ([RunResult]) -> Bool) async throws -> [RunResult] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let results = try await results()
            if condition(results) { return results }
            guard ContinuousClock.now < deadline else {
                throw TestTimeout(activity: "\(what); results so far: \(results.map { "\($0.jobID ?? "-"):\($0.status.rawValue)" })", timeout: timeout)
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Publishes raw bytes to the trigger topic, as an external system would.
    func publishRaw(topic: String, key: String?, value: [UInt8]) async throws {
        let producer = try KafkaProducer(configuration: kafka)
        _ = try await producer.send(topic: topic, key: key.map { Array($0.utf8) }, value: value)
        try await producer.close()
    }
}
