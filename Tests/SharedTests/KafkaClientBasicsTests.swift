import Foundation
import Shared
import Synchronization
import Testing

@Suite("Kafka library, configuration and errors")
struct KafkaClientBasicsTests {
    @Test func loadedLibraryIsSupported() throws {
        let parts = KafkaLibrary.version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count == 3)
        #expect((parts[0], parts[1]) >= (2, 2))
        try KafkaLibrary.checkVersion()
    }

    @Test func errorDescriptionCarriesLibrdkafkaText() {
        let error = KafkaError(code: .deliveryFailed, reason: "message to topic t was not delivered", librdkafkaCode: -192, librdkafkaText: "Local: Message timed out", isRetriable: true)

        #expect(error.description == "Kafka error [delivery_failed]: message to topic t was not delivered (librdkafka -192: Local: Message timed out)")
        #expect(error.code == KafkaError.Code("delivery_failed"))
    }

    @Test func secretSettingValueIsHiddenInErrors() async throws {
        let configuration = KafkaConfiguration(
            bootstrapServers: "127.0.0.1:1",
            settings: ["sasl.passwords": "hunter2-secret"]
        )

        let error = #expect(throws: KafkaError.self) { try KafkaProducer(configuration: configuration) }
        #expect(error?.reason.contains("sasl.passwords") == true)
        #expect(error?.description.contains("hunter2-secret") == false)
    }

    @Test func descriptionHidesSecretSettings() {
        let configuration = KafkaConfiguration(
            bootstrapServers: "broker:9092",
            settings: ["sasl.password": "hunter2-secret", "ssl.key.location": "/etc/kafka/key.pem", "linger.ms": "5"]
        )

        #expect(!configuration.description.contains("hunter2-secret"))
        #expect(configuration.description.contains("sasl.password=[REDACTED]"))
        #expect(configuration.description.contains("ssl.key.location=/etc/kafka/key.pem"))
        #expect(configuration.description.contains("linger.ms=5"))
    }

    @Test func librdkafkaLogLinesReachLogger() async throws {
        let lines = Mutex<[String]>([])
        LogSettings.redirect { line in lines.withLock { $0.append(line) } }
        defer { LogSettings.redirect(to: nil) }

        _ = try KafkaMockCluster(logger: Logger(label: "kafka.log-bridge-test"))

        let bridged = lines.withLock { $0 }.filter { $0.contains("kafka.log-bridge-test") }
        let line = try #require(bridged.first { $0.contains("Mock cluster enabled") })
        #expect(line.contains(" notice "))
        #expect(line.contains("librdkafka: "))
    }
}
