import Foundation
import Shared

/// The configured maintenance windows, compiled: one-time ranges and recurring cron windows,
/// each limited to some apps or jobs when it lists them.
struct MaintenanceCalendar: Sendable {
    struct Window: Sendable {
        var name: String
        var range: ClosedRange<Date>?
        var schedule: CompiledSchedule?
        var durationSeconds: Double
        var apps: Set<String>?
        var jobs: Set<String>?

        func covers(_ instant: Date) -> Bool {
            if let range { return range.contains(instant) }
            guard let schedule, let start = schedule.previousFire(before: instant.addingTimeInterval(1))?.scheduledAt else { return false }
            return instant >= start && instant < start.addingTimeInterval(durationSeconds)
        }

        func applies(to alert: Alert) -> Bool {
            if let apps, !(alert.app.map(apps.contains) ?? false) { return false }
            if let jobs, !(alert.jobID.map(jobs.contains) ?? false) { return false }
            return true
        }
    }

    var windows: [Window]

    init(windows: [Window] = []) {
        self.windows = windows
    }

    /// Compiles the windows of `alerts:`; the configuration was validated, so a window that
    /// still fails to compile is left out.
    init(settings: [MaintenanceWindow]) {
        windows = settings.enumerated().compactMap { index, setting in
            let name = setting.name ?? "maintenance[\(index)]"
            var window = Window(name: name, durationSeconds: 0,
                apps: setting.apps.map(Set.init), jobs: setting.jobs.map(Set.init))
            if let start = setting.start.flatMap(Timestamp.parse), let end = setting.end.flatMap(Timestamp.parse), start <= end {
                window.range = start...end
                return window
            }
            guard let cron = setting.cron, let duration = setting.duration.flatMap({ try? DurationText.milliseconds($0) }) else { return nil }
            var spec = ScheduleSpec()
            spec.cron = cron
            spec.timezone = setting.timezone
            guard let schedule = try? CompiledSchedule(spec: spec, jobID: "maintenance") else { return nil }
            window.schedule = schedule
            window.durationSeconds = Double(duration) / 1000
            return window
        }
    }

    /// The name of a window that holds back `alert`: one covering the alert's time or `now`.
    func window(covering alert: Alert, at now: Date) -> String? {
        windows.first { $0.applies(to: alert) && ($0.covers(now) || $0.covers(alert.time)) }?.name
    }
}
