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
        var problems: [ConfigError] = []
        if encoded(new.kafka) != encoded(old.kafka) {
            problems.append(ConfigError(file: new.file, line: 0, path: "kafka", message: "changed, but the worker reads kafka settings only at start: restart the worker to apply them"))
        }
        if encoded(new.worker) != encoded(old.worker) {
            problems.append(ConfigError(file: new.file, line: 0, path: "worker", message: "changed, but the worker reads its worker settings only at start: restart the worker to apply them"))
        }
        return problems
    }

    private static func encoded<T: Encodable>(_ value: T) -> Data? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try? encoder.encode(value)
    }
}
