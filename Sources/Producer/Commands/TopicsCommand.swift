import Foundation
import Shared

/// `dify-producer topics create|list --config FILE`: creates or lists the project's topics.
enum TopicsCommand {
    static let usage = "usage: dify-producer topics create|list --config FILE [--config FILE ...]"

    static func run(arguments: [String]) async -> Int32 {
        guard let action = arguments.first, ["create", "list"].contains(action) else {
            printError(usage)
            return 2
        }
        do {
            let options = try CommandArguments(Array(arguments.dropFirst()), options: ["config"])
            let configuration = try ConfigLoading.load(options.all("config"))
            try KafkaLibrary.checkVersion()
            try await ConfigLoading.requireBrokers(configuration, files: options.all("config"))
            let admin = try KafkaAdmin(configuration: ConfigLoading.kafka(configuration, role: "admin"))
            let topics = configuration.kafka.topics

            if action == "create" {
                let specifications = topics.all.map { topic in
                    KafkaTopicSpecification(
                        name: topic.name, partitions: configuration.kafka.partitions,
                        replicationFactor: configuration.kafka.replicationFactor,
                        configs: topic.compacted ? ["cleanup.policy": "compact"] : [:])
                }
                let created = try await admin.createTopics(specifications)
                print("topics ready: \(topics.all.count) under prefix \"\(topics.prefix)\" with \(configuration.kafka.partitions) partitions (\(created.count) created now)")
            } else {
                let existing = try await admin.topics()
                for topic in topics.all {
                    let partitions = existing[topic.name].map { "\($0) partitions" } ?? "missing"
                    print("\(topic.name)\t\(partitions)")
                }
            }
            return 0
        } catch let error as ConfigErrors {
            printError("dify-producer topics: invalid configuration:\n\(error)")
            return 1
        } catch {
            printError("dify-producer topics: \(error)")
            return 1
        }
    }
}
