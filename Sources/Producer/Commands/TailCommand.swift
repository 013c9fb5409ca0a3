import Foundation
import Shared

/// `dify-producer tail results|events|alerts|triggers|dlq --config FILE`: prints messages of a
/// topic as they arrive, one line each.
enum TailCommand {
    static let usage = """
        usage: dify-producer tail results|events|alerts|triggers|dlq --config FILE [--from-beginning] [--json]
          --from-beginning   print the messages already in the topic first
          --json             print each message's JSON value as it is
        """

    static func run(arguments: [String]) async -> Int32 {
        guard let kind = arguments.first else {
            printError(usage)
            return 2
        }
        do {
            let options = try CommandArguments(Array(arguments.dropFirst()), options: ["config"], flags: ["from-beginning", "json"])
            let configuration = try ConfigLoading.load(options.all("config"))
            let topics = configuration.kafka.topics
            let topic: String
            switch kind {
            case "results": topic = topics.results
            case "events": topic = topics.events
            case "alerts": topic = topics.alerts
            case "triggers": topic = topics.triggers
            case "dlq": topic = topics.deadLetter
            default:
                printError("dify-producer tail: unknown topic kind \"\(kind)\"\n\(usage)")
                return 2
            }
            try KafkaLibrary.checkVersion()
            try await ConfigLoading.requireBrokers(configuration, files: options.all("config"))
            var settings = configuration.kafka.settings
            settings["auto.offset.reset"] = options.has("from-beginning") ? "earliest" : "latest"
            let kafka = KafkaConfiguration(bootstrapServers: configuration.kafka.bootstrapServers, clientID: "dify-producer-tail", settings: settings)
            let consumer = try KafkaConsumer(configuration: kafka, groupID: "\(topics.prefix)tail.\(UUID().uuidString)")
            try consumer.subscribe(topics: [topic])

            let (signals, continuation) = AsyncStream<Void>.makeStream()
            signal(SIGINT, SIG_IGN)
            signal(SIGTERM, SIG_IGN)
            let sources = [SIGINT, SIGTERM].map { number in
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { continuation.yield() }
                source.resume()
                return source
            }
            let reading = Task {
                for try await message in consumer.messages() {
                    let line = options.has("json") ? String(decoding: message.value ?? [], as: UTF8.self) : TailFormat.line(kind: kind, message: message)
                    FileHandle.standardOutput.write(Data((line + "\n").utf8))
                }
            }
            for await _ in signals { break }
            sources.forEach { $0.cancel() }
            try? await consumer.close()
            reading.cancel()
            return 0
        } catch let error as ConfigErrors {
            printError("dify-producer tail: invalid configuration:\n\(error)")
            return 1
        } catch {
            printError("dify-producer tail: \(error)")
            return 1
        }
    }
}

/// One-line summaries of topic messages for people watching a terminal.
enum TailFormat {
    static func line(kind: String, message: KafkaMessage) -> String {
        let data = Data(message.value ?? [])
        switch kind {
        case "results":
            guard let result = try? MessageCodec.decode(RunResult.self, from: data) else { break }
            var parts = [
                result.finishedAt.map { Timestamp.rfc3339($0) } ?? "-",
                result.jobID ?? "-", result.status.rawValue,
                "scheduled=\(result.scheduledAt.map { Timestamp.rfc3339($0) } ?? "-")",
                "run=\(result.runTimeMilliseconds.map { "\($0)ms" } ?? "-")",
                "queue=\(result.queueDelayMilliseconds.map { "\($0)ms" } ?? "-")",
                "tokens=\(result.totalTokens.map(String.init) ?? "-")",
                "nodes=\(result.nodes?.count ?? 0)",
                "attempts=\(result.attempts?.count ?? 0)",
                "trigger=\(result.triggerID)",
            ]
            if let error = result.error {
                parts.append("error=\(error.code): \(error.message.prefix(maxBytes: 200))")
            }
            return parts.joined(separator: " ")
        case "events":
            guard let event = try? MessageCodec.decode(ScheduleEvent.self, from: data) else { break }
            let detail = event.detail.map { JSONValue.object($0).compactText(sortedKeys: true) } ?? ""
            return "\(Timestamp.rfc3339(event.time)) \(event.type.rawValue) job=\(event.jobID ?? "-") trigger=\(event.triggerID ?? "-") \(detail)"
        case "alerts":
            guard let alert = try? MessageCodec.decode(Alert.self, from: data) else { break }
            return "\(Timestamp.rfc3339(alert.time)) \(alert.severity.rawValue) \(alert.kind.rawValue) job=\(alert.jobID ?? "-") \(alert.message)"
        case "dlq":
            let reason = message.header("dlq.reason")?.stringValue ?? "-"
            return "\(message.timestamp.map { Timestamp.rfc3339($0) } ?? "-") rejected: \(reason) value=\(String(decoding: data, as: UTF8.self).prefix(maxBytes: 200))"
        default:
            break
        }
        return String(decoding: data, as: UTF8.self)
    }
}
