import Foundation
import Shared

/// `dify-producer validate FILE ...`: checks configuration and job files without running.
enum ValidateCommand {
    static let usage = "usage: dify-producer validate FILE [FILE ...]"

    static func run(arguments: [String]) -> Int32 {
        let options: CommandArguments
        do {
            options = try CommandArguments(arguments, options: ["config"])
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
}
