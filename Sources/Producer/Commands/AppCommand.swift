import Foundation
import Shared

/// `dify-producer app inspect APP --config FILE [--json]`: prints an app's input variables as
/// Dify's `GET /parameters` reports them.
enum AppCommand {
    static let usage = """
        usage: dify-producer app inspect APP --config FILE [--config FILE ...] [--json] [--timeout DURATION]
          APP         an app under apps: in the configuration; its key comes from api_key_env or api_key_file
          --json      print JSON instead of a table
          --timeout   time allowed for each call to Dify, such as 5s (default 10s)
        """

    static func run(arguments: [String]) async -> Int32 {
        do {
            guard arguments.first == "inspect" else {
                throw CommandArguments.UsageError(message: arguments.first.map { "unknown subcommand \"\($0)\"" } ?? "missing subcommand inspect")
            }
            let options = try CommandArguments(Array(arguments.dropFirst()), options: ["config", "timeout"], flags: ["json"])
            guard options.positional.count == 1, let app = options.positional.first else {
                throw CommandArguments.UsageError(message: "name exactly one app")
            }
            let timeout = try DurationText.duration(options.value("timeout") ?? "10s")
            let configuration = try ConfigLoading.load(options.all("config"))

            let inspection = try await AppInspection.fetch(app: app, configuration: configuration, timeout: timeout)
            print(options.has("json") ? inspection.json.compactText() : inspection.table)
            return 0
        } catch let error as CommandArguments.UsageError {
            printError("dify-producer app: \(error.message)\n\(usage)")
            return 2
        } catch let errors as ConfigErrors {
            for error in errors.errors { printError(error.description) }
            return 1
        } catch {
            printError("dify-producer app inspect: \(error)")
            return 1
        }
    }
}
