import Foundation
import Shared

/// `dify-producer validate FILE ...`: checks configuration and job files without running.
enum ValidateCommand {
    static let usage = """
        usage: dify-producer validate FILE [FILE ...] [--skip-inputs]
          --skip-inputs   do not check jobs' inputs against the apps' input forms (GET /parameters)
        """

    static func run(arguments: [String]) async -> Int32 {
        let options: CommandArguments
        do {
            options = try CommandArguments(arguments, options: ["config"], flags: ["skip-inputs"])
        } catch {
            printError("dify-producer validate: \(error)\n\(usage)")
            return 2
        }
        let files = options.positional + options.all("config")
        guard !files.isEmpty else {
            printError("dify-producer validate: name at least one file\n\(usage)")
            return 2
        }
        do {
            let configuration = try ConfigurationLoader().load(paths: files)
            for warning in uncheckedReferences(configuration, files: files) { printError("warning: \(warning)") }
            if !options.has("skip-inputs") { try await JobInputCheck.enforce(configuration) }
            print("valid: \(configuration.jobs.count) jobs, \(configuration.apps.count) apps, \(configuration.calendars.count) calendars in \(files.joined(separator: ", "))")
            return 0
        } catch let errors as ConfigErrors {
            for error in errors.errors {
                printError(error.description)
            }
            printError("\(errors.errors.count) problem\(errors.errors.count == 1 ? "" : "s") found")
            return 1
        } catch {
            printError("dify-producer validate: \(error)")
            return 1
        }
    }

    /// Warnings for names the files could not check: jobs' apps when no file defines `apps:`,
    /// and delivery or alert channels when none defines `channels:` (a job file given alone).
    static func uncheckedReferences(_ configuration: Configuration, files: [String]) -> [String] {
        var warnings: [String] = []
        let named = files.joined(separator: ", ")
        let example = "dify-producer validate config.yaml \(files.joined(separator: " "))"
        let apps = Set(configuration.jobs.filter { $0.effectiveKind != .difyCleanup }.map(\.app)).sorted()
        if configuration.apps.isEmpty, !apps.isEmpty {
            warnings.append("apps not checked (\(apps.joined(separator: ", "))): \(named) defines no apps:; pass the configuration file too, as in \(example)")
        }
        let channels = Set(configuration.jobs.flatMap { ($0.deliver?.channels ?? []) + ($0.alerts?.channels ?? []) }).sorted()
        if configuration.channels.isEmpty, !channels.isEmpty {
            warnings.append("channels not checked (\(channels.joined(separator: ", "))): \(named) defines no channels:; pass the configuration file too, as in \(example)")
        }
        return warnings
    }
}
