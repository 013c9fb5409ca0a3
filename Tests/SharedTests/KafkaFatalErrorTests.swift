import Foundation
@testable import Shared
import TestSupport
import Testing

@Suite("Kafka fatal errors")
struct KafkaFatalErrorTests {
    @Test func producerFailsSendsAfterFatalError() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("fatal", partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        _ = try await producer.send(topic: "fatal", value: [1])

        producer.client.raiseTestFatalError()
        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.send(topic: "fatal", value: [2])
        }
        #expect(error?.isFatal == true, "\(String(describing: error))")
        #expect(error?.isRetriable == false)
        try? await producer.close(timeout: .seconds(1))
    }
}

@Suite("Kafka consumer fatal errors")
struct KafkaConsumerFatalErrorTests {
    @Test func messageSequenceThrowsAfterFatalError() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("fatal-consumer", partitions: 1)
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), groupID: "fatal-group")
        try consumer.subscribe(topics: ["fatal-consumer"])
        let sequence = consumer.messages()

        consumer.client.raiseTestFatalError()
        let error = await #expect(throws: KafkaError.self) {
            try await withDeadline(.seconds(10), activity: "waiting for the fatal error") {
                for try await _ in sequence {}
            }
        }
        #expect(error?.isFatal == true)
        try? await consumer.close()
    }
}
