import Foundation
import Shared

/// `dify-producer bench-kafka --config FILE`: the broker's raw produce rate and produce-to-consume
/// round trip, measured by `make bench` next to the product's own figures.
enum BenchKafkaCommand {
    static func run(arguments: [String]) async -> Int32 {
        do {
            let options = try CommandArguments(arguments, options: ["config", "messages", "round-trips"])
            let configuration = try ConfigLoading.load(options.all("config"))
            let messages = try options.integer("messages", default: 100_000, range: 1...10_000_000)
            let roundTrips = try options.integer("round-trips", default: 2000, range: 1...1_000_000)
            let kafka = ConfigLoading.kafka(configuration, role: "bench")
            let admin = try KafkaAdmin(configuration: kafka)
            let topic = configuration.kafka.topicPrefix + "bench.\(UUID().uuidString.prefix(8))"
            _ = try await admin.createTopics([KafkaTopicSpecification(name: topic, partitions: 1)])

            let rate = try await KafkaBenchmark.produceRate(configuration: kafka, topic: topic, messages: messages, messageSize: 300)
            print("raw produce: \(rate)")
            var latencySettings = configuration.kafka.settings
            latencySettings["linger.ms"] = "0"
            latencySettings["fetch.wait.max.ms"] = "5"
            let latencyKafka = KafkaConfiguration(bootstrapServers: configuration.kafka.bootstrapServers, clientID: "bench", settings: latencySettings)
            let roundTrip = try await KafkaBenchmark.roundTrip(configuration: latencyKafka, topic: topic, messages: roundTrips, interval: .milliseconds(5))
            print("raw round trip: \(roundTrip)")
            try? await admin.deleteTopics([topic])
            return 0
        } catch {
            printError("dify-producer bench-kafka: \(error)")
            return 1
        }
    }
}
