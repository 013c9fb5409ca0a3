import Foundation
import Shared

extension NotifierService {
    /// Checks the channels and alert settings of `new` and returns the step that puts them in
    /// force, for a SIGHUP reload.
    ///
    /// Channel secrets are read from the environment and files here, so a missing secret
    /// rejects the reload. Alerts already being delivered finish with the channel they started
    /// with; the next alert uses the new one. Channel rate limits start counting again.
    ///
    /// - Throws: ``ConfigErrors`` naming a channel whose secret is missing, or `alerts.rules`
    ///   when the app-level rules changed: they are read only at start.
    func prepareReload(_ new: Configuration) throws -> @Sendable () -> Void {
        if new.alerts.rules != configuration.alerts.rules {
            throw ConfigErrors([ConfigError(file: new.file, line: 0, path: "alerts.rules",
                message: "changed, but the notifier reads app-level alert rules only at start: restart the producer to apply them")])
        }
        let directory = try ChannelDirectory(configuration: new, environment: environment)
        let limits = directory.rateLimits
        let maxAge = new.alerts.effectiveMaxAgeMilliseconds
        let maintenance = MaintenanceCalendar(settings: new.alerts.maintenance ?? [])
        return { [self] in
            reloadable.withLock { $0 = (new, directory) }
            state.withLock { state in
                state.limiter = ChannelRateLimiter(limits: limits)
                state.suppressor.maxAgeMilliseconds = maxAge
                state.suppressor.maintenance = maintenance
            }
            logger.notice("channels and alert settings reloaded", ["channels": "\(directory.channels.count)"])
        }
    }
}
