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
