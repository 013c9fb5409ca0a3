import Foundation
import Shared

/// `dify-producer apply FILE... [--dry-run] [--prune]`: publishes the jobs of job files to the
/// registry and prints what changed.
enum ApplyCommand {
    static let usage = """
        usage: dify-producer apply FILE [FILE ...] [--config FILE] [--dry-run] [--prune] [--skip-inputs]
          FILE        job or configuration files; their jobs: are applied, merged in order
          --config    more files merged before FILE (Kafka settings, calendars, apps)
          --dry-run   print the changes without writing them
          --prune     delete jobs managed by files (managed_by: file) that the files lack
          --skip-inputs   do not check jobs' inputs against the apps' input forms
        """

    static func run(arguments: [String]) async -> Int32 {
        do {
            let options = try CommandArguments(arguments, options: ["config"], flags: ["dry-run", "prune", "skip-inputs"])
            let files = options.all("config") + options.positional
            guard !options.positional.isEmpty else { throw CommandArguments.UsageError(message: "name at least one job file") }
            // Every job is validated while loading, with the same checks as `validate`; any
            // problem stops here, before anything is written.
            let configuration = try ConfigLoading.load(files)
            // Jobs' inputs are checked against each reachable app's input form before anything is written.
            if !options.has("skip-inputs") { try await JobInputCheck.enforce(configuration) }
            try KafkaLibrary.checkVersion()
            try await ConfigLoading.requireBrokers(configuration, files: files)

            let logger = Logger(label: "dify-producer")
            let kafka = ConfigLoading.kafka(configuration, role: "apply")
            let producer = try KafkaProducer(configuration: kafka, logger: logger)
            let topics = configuration.kafka.topics
            let registry = try JobRegistry(kafka: kafka, producer: producer, topics: topics, logger: logger)
            let publisher = TopicPublisher(producer: producer, topics: topics)
            let actor = "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown")
            let dryRun = options.has("dry-run")
            let outcome = try await JobApplier(registry: registry, publisher: publisher)
                .apply(jobs: configuration.jobs, prune: options.has("prune"), dryRun: dryRun, actor: actor)
            try? await producer.close(timeout: .seconds(10))

            print(describe(outcome, dryRun: dryRun, prune: options.has("prune")))
            return 0
        } catch let error as CommandArguments.UsageError {
            printError("dify-producer apply: \(error.message)\n\(usage)")
            return 2
        } catch let errors as ConfigErrors {
            for error in errors.errors { printError(error.description) }
            printError("nothing applied: \(errors.errors.count) problem\(errors.errors.count == 1 ? "" : "s") found")
            return 1
        } catch {
            printError("dify-producer apply: \(error)")
            return 1
        }
    }

    /// The diff as printed: one line per job, then a summary.
    static func describe(_ outcome: JobApplier.Outcome, dryRun: Bool, prune: Bool) -> String {
        var lines: [String] = []
        for job in outcome.added { lines.append("+ \(job.id)  added") }
        for change in outcome.changed { lines.append("~ \(change.job.id)  changed: \(change.fields.joined(separator: ", "))") }
        for id in outcome.removed { lines.append("- \(id)  removed") }
        for id in outcome.unchanged { lines.append("= \(id)  unchanged") }
        if !prune {
            for id in outcome.kept { lines.append("  \(id)  not in the files (kept; --prune deletes jobs managed by files)") }
        } else {
            for id in outcome.kept { lines.append("  \(id)  not in the files (kept: managed by the API)") }
        }
        let verb = dryRun ? "would apply" : "applied"
        lines.append("\(verb): \(outcome.added.count) added, \(outcome.changed.count) changed, \(outcome.removed.count) removed, \(outcome.unchanged.count) unchanged")
        return lines.joined(separator: "\n")
    }
}
