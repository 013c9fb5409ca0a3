import Foundation
import Shared

/// The worker's part of a SIGHUP reload, which changes apps (URLs, keys, limits, budgets) and
/// the log level. Calendars and channels are checked with the rest of the file, though the
/// worker itself uses neither.
///
/// Settings the worker reads only at start (`kafka`, `worker`) cannot change while it runs: a
/// reload that changes them is rejected, naming each one, so the operator restarts instead of
/// believing the change is in force.
enum WorkerReload {
    static func register(on reloader: ConfigurationReloader, worker: WorkerService) {
        reloader.register("worker") { new, old in
            var problems = restartOnlyChanges(new: new, old: old)
            problems += new.scheduleCalendars().problems
            guard problems.isEmpty else { throw ConfigErrors(problems) }

            let apps = try WorkerApp.resolveAll(new, environment: reloader.environment())
            let level = LogLevel(name: new.logging.level) ?? .info
            let format = LogFormat(rawValue: new.logging.format) ?? .text
            return {
                LogSettings.configure(level: level, format: format)
                await worker.replaceApps(apps)
            }
        }
    }

    /// Lists the settings read only at start whose value differs in `new`.
    static func restartOnlyChanges(new: Configuration, old: Configuration) -> [ConfigError] {
        [
            StartOnlySetting("kafka", old.kafka).change(to: new.kafka, file: new.file, process: "the worker", detail: "kafka settings"),
            StartOnlySetting("worker", old.worker).change(to: new.worker, file: new.file, process: "the worker", detail: "its worker settings"),
        ].compactMap { $0 }
    }
}
