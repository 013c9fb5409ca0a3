import Foundation
import Shared

/// What a SIGHUP reload changes in a running producer: API tokens and console sessions
/// (`auth`, `producer.public_url`), the log level, and through ``register(on:context:notifier:)``
/// the calendars and apps jobs are compiled with, and the channels and alert settings.
///
/// The shared ``ConfigurationReloader`` loads the files and runs every component's check
/// first. An invalid file, a bad calendar or a channel whose secret is missing rejects the
/// whole reload with a logged error, and the old configuration stays in force. Settings read
/// only at start (`kafka`, `producer` other than `public_url`) cannot change while the
/// producer runs: a reload that changes them is rejected, naming each one. Work in progress is
/// not interrupted: requests being served keep the caller they were authenticated as, and
/// fires, triggers and deliveries go on.
enum ProducerReload {
    static func register(
        on reloader: ConfigurationReloader, authenticator: Authenticator, context: ProducerContext, notifier: NotifierService?, logger: Logger
    ) {
        reloader.register("producer") { new, old in
            let problems = restartOnlyChanges(new: new, old: old)
            guard problems.isEmpty else { throw ConfigErrors(problems) }
            let level = LogLevel(name: new.logging.level) ?? .info
            let format = LogFormat(rawValue: new.logging.format) ?? .text
            return {
                LogSettings.configure(level: level, format: format)
            }
        }
        registerScheduling(on: reloader, context: context, notifier: notifier, logger: logger)
        reloader.register("auth") { new, _ in
            return {
                let ended = authenticator.reload(settings: new.auth, publicURL: new.producer.publicURL)
                logger.notice("API tokens reloaded", ["tokens": "\(new.auth.tokens.count)", "sessions_ended": "\(ended)", "sessions": "\(authenticator.sessions.count)"])
            }
        }
    }

    /// Registers the calendars and apps that jobs are compiled with, and the notifier's
    /// channels and alert settings.
    private static func registerScheduling(on reloader: ConfigurationReloader, context: ProducerContext, notifier: NotifierService?, logger: Logger) {
        reloader.register("calendars") { new, old in
            let (calendars, problems) = new.scheduleCalendars()
            guard problems.isEmpty else { throw ConfigErrors(problems) }
            let compiler = JobCompiler(configuration: new, calendars: CalendarRegistry(calendars))
            // A calendar read from an ICS file may have changed even when its settings did not.
            let changed = Set(new.calendars.keys).union(old.calendars.keys).filter { name in
                new.calendars[name] != old.calendars[name] || new.calendars[name]?.icsFile != nil
            }
            return {
                context.replaceCompiler(compiler)
                guard !changed.isEmpty, let scheduler = context.scheduler else { return }
                let failed = await scheduler.recompile(calendars: changed, using: compiler)
                for failure in failed {
                    logger.warning("job keeps its previous schedule: it does not compile with the reloaded calendars", [LogKey.jobID: failure.jobID, LogKey.error: failure.error])
                }
                logger.notice("calendars reloaded", ["calendars": changed.sorted().joined(separator: ","), "failed_jobs": "\(failed.count)"])
            }
        }
        reloader.register("notifier") { new, _ in
            guard let notifier else {
                guard new.channels.isEmpty else {
                    throw ConfigErrors([ConfigError(file: new.file, line: 0, path: "channels",
                        message: "channels added, but this producer started without channels and runs no notifier: restart the producer to deliver alerts")])
                }
                return {}
            }
            return try notifier.prepareReload(new)
        }
    }

    /// Lists the settings read only at start whose value differs in `new`.
    static func restartOnlyChanges(new: Configuration, old: Configuration) -> [ConfigError] {
        var newProducer = new.producer
        var oldProducer = old.producer
        newProducer.publicURL = nil
        oldProducer.publicURL = nil
        return [
            StartOnlySetting("kafka", old.kafka).change(to: new.kafka, file: new.file, process: "the producer", detail: "kafka settings"),
            StartOnlySetting("producer", oldProducer).change(
                to: newProducer, file: new.file, process: "the producer", detail: "these settings (other than public_url)"),
        ].compactMap { $0 }
    }
}
