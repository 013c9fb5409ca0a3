import Foundation

extension CalendarSettings {
    /// Builds the calendar named `name`: from `ics_file` when given (with `weekdays`,
    /// `holidays` and `workdays` added), else from the lists.
    ///
    /// - Throws: ``ScheduleError`` with code `invalid_calendar` naming each bad value.
    public func calendar(named name: String) throws(ScheduleError) -> ScheduleCalendar {
        guard let path = icsFile else {
            return try ScheduleCalendar(name: name, weekdayNames: weekdays, holidays: holidays ?? [], workdays: workdays ?? [])
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ScheduleError(code: .invalidCalendar, field: "calendars.\(name).ics_file", token: path, reason: "cannot read the file: check the path and its permissions")
        }
        let lists = try ScheduleCalendar(name: name, weekdayNames: weekdays, holidays: holidays ?? [], workdays: workdays ?? [])
        return try ScheduleCalendar(
            name: name, icsText: text, source: path, weekdays: lists.weekdays, workdayPattern: icsWorkdayPattern,
            holidays: lists.holidays, workdays: lists.workdays)
    }
}

extension Configuration {
    /// Builds every calendar of the configuration and collects the problems of invalid ones.
    public func scheduleCalendars() -> (calendars: [ScheduleCalendar], problems: [ConfigError]) {
        var calendars: [ScheduleCalendar] = []
        var problems: [ConfigError] = []
        for (name, settings) in self.calendars.sorted(by: { $0.key < $1.key }) {
            do {
                calendars.append(try settings.calendar(named: name))
            } catch {
                problems.append(ConfigError(file: file, line: 0, path: "calendars.\(name)", message: error.description))
            }
        }
        return (calendars, problems)
    }
}

extension JobValidator {
    /// Returns the schedule check for configuration files, the API and the jobs topic, which
    /// compiles each job's schedule and reports every problem under `schedule`.
    public static func defaultScheduleCheck(calendars: [String: CalendarSettings]) -> @Sendable (Job) -> [JobProblem] {
        var compiled: [ScheduleCalendar] = []
        for (name, settings) in calendars {
            if let calendar = try? settings.calendar(named: name) { compiled.append(calendar) }
        }
        let registry = CalendarRegistry(compiled)
        return scheduleCheck(lookup: registry.lookup)
    }

    public static func scheduleCheck(lookup: @escaping CalendarLookup) -> @Sendable (Job) -> [JobProblem] {
        { job in
            do {
                _ = try CompiledSchedule(spec: job.schedule, jobID: job.id, calendars: lookup)
                return []
            } catch let error as ScheduleError {
                return error.problems.map { JobProblem(field: "schedule", message: $0.description) }
            } catch {
                return [JobProblem(field: "schedule", message: "\(error)")]
            }
        }
    }
}
