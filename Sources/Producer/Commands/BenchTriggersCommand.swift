import Foundation
import Shared

/// `dify-producer bench-triggers --config FILE --app APP --count N [--inputs JSON]`: writes N
/// triggers for APP to the trigger topic as fast as the broker takes them, for worker
/// benchmarks that need a backlog or a burst.
enum BenchTriggersCommand {
    static func run(arguments: [String]) async -> Int32 {
        do {
            let options = try CommandArguments(arguments, options: ["config", "app", "count", "inputs", "job", "policy", "rate"])
            let configuration = try ConfigLoading.load(options.all("config"))
            let count = try options.integer("count", default: 1000, range: 1...10_000_000)
            let app = try options.require("app")
            let inputs = try options.value("inputs").map { try JSONValue.parse($0).objectValue ?? [:] } ?? ["topic": "bench", "mode": "plain"]
            let policyValue = try options.value("policy").map { try JSONValue.parse($0) }
            let policy = try policyValue.map { try JSONDecoder().decode(TriggerPolicy.self, from: $0.compactData()) }
            let jobID = options.value("job") ?? "bench-\(app)"
            // Triggers per second; without it they are written as fast as the broker takes them.
            let rate = try options.value("rate").map { text -> Double in
                guard let value = Double(text), value > 0 else { throw CommandArguments.UsageError(message: "--rate \"\(text)\" is not a positive number") }
                return value
            }

            let producer = try KafkaProducer(configuration: ConfigLoading.kafka(configuration, role: "bench"))
            let publisher = TopicPublisher(producer: producer, topics: configuration.kafka.topics, signer: try configuration.kafka.triggerSigner())
            let started = ContinuousClock.now
            func makeTrigger(_ index: Int) -> Trigger {
                var trigger = Trigger(id: "bench-\(app)-\(index)-\(UUID().uuidString.prefix(8))", app: app)
                trigger.jobID = jobID
                trigger.inputs = inputs
                trigger.user = "bench"
                trigger.scheduledAt = Date()
                trigger.emittedAt = Date()
                trigger.source = .api
                trigger.policy = policy
                return trigger
            }
            if let rate {
                let interval = Duration.seconds(1 / rate)
                var next = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<count {
                        try await Task.sleep(until: next, tolerance: .milliseconds(1))
                        next += interval
                        let trigger = makeTrigger(index)
                        group.addTask { try await publisher.publish(trigger: trigger) }
                    }
                    try await group.waitForAll()
                }
            } else {
                try await withThrowingTaskGroup(of: Void.self) { group in
                let senders = min(500, count)
                for sender in 0..<senders {
                    group.addTask {
                        for index in stride(from: sender, to: count, by: senders) {
                            try await publisher.publish(trigger: makeTrigger(index))
                        }
                    }
                }
                try await group.waitForAll()
                }
            }
            let elapsed = ContinuousClock.now - started
            try await producer.close()
            print("wrote \(count) triggers for \(app) in \(String(format: "%.2f", elapsed.seconds)) s")
            return 0
        } catch {
            printError("dify-producer bench-triggers: \(error)")
            return 1
        }
    }
}
