import Foundation
import Shared

/// What a SIGHUP reload changes in a running producer: API tokens and console sessions
/// (`auth`, `producer.public_url`), the log level, and through ``register(on:context:notifier:)``
/// the calendars and apps jobs are compiled with, and the channels and alert settings.
///
/// The shared ``ConfigurationReloader`` loads the files and runs every component's check
/// first, so an invalid file, a bad calendar or a channel whose secret is missing rejects the
/// whole reload with a logged error and the old configuration stays in force. Settings read
/// only at start (`kafka`, `producer` other than `public_url`) cannot change while the
/// producer runs: a reload that changes them is rejected, naming each one. Work in progress is
/// not interrupted: requests being served keep the caller they were authenticated as, and
/// fires, triggers and deliveries go on.
enum ProducerReload {
    static func register(on reloader: ConfigurationReloader, authenticator: Authenticator, logger: Logger) {
        reloader.register("producer") { new, old in
            let problems = restartOnlyChanges(new: new, old: old)
            guard problems.isEmpty else { throw ConfigErrors(problems) }
            let level = LogLevel(name: new.logging.level) ?? .info
            let format = LogFormat(rawValue: new.logging.format) ?? .text
            return {
                LogSettings.configure(level: level, format: format)
            }
        }
        reloader.register("auth") { new, _ in
            return {
                let ended = authenticator.reload(settings: new.auth, publicURL: new.producer.publicURL)
                logger.notice("API tokens reloaded", ["tokens": "\(new.auth.tokens.count)", "sessions_ended": "\(ended)", "sessions": "\(authenticator.sessions.count)"])
            }
        }
    }

    /// Lists the settings read only at start whose value differs in `new`.
    static func restartOnlyChanges(new: Configuration, old: Configuration) -> [ConfigError] {
        var problems: [ConfigError] = []
        if encoded(new.kafka) != encoded(old.kafka) {
            problems.append(ConfigError(file: new.file, line: 0, path: "kafka", message: "changed, but the producer reads kafka settings only at start: restart the producer to apply them"))
        }
        var newProducer = new.producer
        var oldProducer = old.producer
        newProducer.publicURL = nil
        oldProducer.publicURL = nil
        if encoded(newProducer) != encoded(oldProducer) {
            problems.append(ConfigError(file: new.file, line: 0, path: "producer", message: "changed, but the producer reads these settings (other than public_url) only at start: restart the producer to apply them"))
        }
        return problems
    }

    private static func encoded<T: Encodable>(_ value: T) -> Data? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try? encoder.encode(value)
    }
}
