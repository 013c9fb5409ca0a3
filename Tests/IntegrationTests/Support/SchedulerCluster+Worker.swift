import Foundation
import Shared

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension SchedulerCluster {
    /// A trigger for job `jobID` of the demo app, scheduled now, as the producer would write it.
    func trigger(_ id: String, job jobID: String = "job", inputs: [String: JSONValue] = ["topic": "t", "mode": "plain"], policy: TriggerPolicy = TriggerPolicy()) -> Trigger {
        var trigger = Trigger(id: id, app: "demo")
        trigger.jobID = jobID
        trigger.kind = .workflow
        trigger.inputs = inputs
        trigger.user = "user-\(jobID)"
        trigger.scheduledAt = Date()
        trigger.emittedAt = Date()
        trigger.attempt = 1
        trigger.source = .manual
        trigger.policy = policy
        return trigger
    }

    func publish(_ triggers: [Trigger]) async throws {
        let producer = try KafkaProducer(configuration: kafka)
        for trigger in triggers {
            _ = try await producer.send(topic: topics.triggers, key: trigger.app, value: Array(MessageCodec.encode(trigger)))
        }
        try await producer.close()
    }

    /// Sends a JSON request to the test double and returns the parsed answer.
    @discardableResult
    func double(_ method: String, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(doublePort)\(path)")!)
        request.httpMethod = method
        if let body {
            request.httpBody = body.compactData()
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, _) = try await URLSession.shared.data(for: request)
        return (try? JSONValue.parse(data)) ?? .null
    }

    /// Requests the test double received, oldest first.
    func doubleRequests() async throws -> [JSONValue] {
        let answer = try await double("GET", "/_double/requests")
        return answer["requests"]?.arrayValue ?? answer.arrayValue ?? []
    }

    /// The worker's metrics text from its listener.
    func metrics(port: Int) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        return String(decoding: data, as: UTF8.self)
    }
}
