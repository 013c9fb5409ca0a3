import Foundation
import Shared

/// Loading the configuration files named by `--config` and applying its logging settings.
enum ConfigLoading {
    static func load(_ files: [String]) throws -> Configuration {
        guard !files.isEmpty else { throw CommandArguments.UsageError(message: "missing --config FILE") }
        let configuration = try ConfigurationLoader().load(paths: files)
        LogSettings.configure(
            level: LogLevel(name: configuration.logging.level) ?? .info,
            format: LogFormat(rawValue: configuration.logging.format) ?? .text)
        return configuration
    }

    static func kafka(_ configuration: Configuration, role: String) -> KafkaConfiguration {
        KafkaConfiguration(
            bootstrapServers: configuration.kafka.bootstrapServers, clientID: "dify-producer-\(role)",
            settings: configuration.kafka.settings)
    }
}

extension ConfigLoading {
    /// How long a one-shot command waits for the brokers before it gives up.
    static let brokerWait: Duration = .seconds(8)

    /// Kafka did not answer a one-shot command within ``brokerWait``.
    struct BrokerUnreachable: Error, CustomStringConvertible {
        var bootstrapServers: String
        var files: [String]
        var detail: String

        var description: String {
            let source = bootstrapServers == KafkaSettings().bootstrapServers
                ? "the default: no file sets kafka.bootstrap_servers" : "from \(files.joined(separator: ", "))"
            return "cannot reach Kafka at \(bootstrapServers) (\(source)) within \(brokerWait.components.seconds)s: \(detail). "
                + "Start the brokers there, or pass --config FILE whose kafka: section names yours (bootstrap_servers, and settings such as security.protocol)"
        }
    }

    /// Reads the cluster's metadata once, so that a command that only talks to Kafka briefly
    /// (apply, tail, topics) fails within seconds with the address and the fix, instead of
    /// waiting minutes while librdkafka retries. The long-running `run` does not call this:
    /// it waits for the brokers to come back.
    ///
    /// - Throws: ``BrokerUnreachable`` when no broker answers within ``brokerWait``.
    static func requireBrokers(_ configuration: Configuration, files: [String]) async throws {
        var settings = configuration.kafka.settings
        // The failure is reported once below; librdkafka's own connect errors add nothing.
        settings["log_level"] = "0"
        let probe = KafkaConfiguration(bootstrapServers: configuration.kafka.bootstrapServers, clientID: "dify-producer-probe", settings: settings)
        do {
            let admin = try KafkaAdmin(configuration: probe, logger: Logger(label: "kafka.probe"))
            _ = try await admin.topics(timeout: brokerWait)
        } catch let error as KafkaError {
            throw BrokerUnreachable(bootstrapServers: configuration.kafka.bootstrapServers, files: files, detail: error.reason)
        }
    }
}
