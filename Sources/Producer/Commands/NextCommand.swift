import Foundation
import Shared

/// `dify-producer next`: prints the next fire instants of a schedule, one per line.
///
/// ```
/// dify-producer next --cron "0 0 9 * * MON-FRI" --timezone Asia/Shanghai --from 2026-03-27T00:00:00Z --count 3
/// dify-producer next --every 15m --start 2026-01-01T00:00:00Z --count 4
/// dify-producer next --cron "0 30 2 * * *" --timezone Europe/Berlin --dst-gap skip --local
/// dify-producer next --config scheduler.yaml --job daily-report --render --count 3
/// ```
///
/// Exit status 0 on success (fewer lines when the schedule ends), 2 on invalid input.
enum NextCommand {
    static let usage = """
        usage: dify-producer next (--cron EXPR | --every DURATION | --at INSTANT) [options]
               dify-producer next --config FILE --job ID [--render] [options]
          --config FILE            configuration or job file that defines --job (repeatable)
          --job ID                 use the schedule of this job from the --config files
          --render                 print under each fire the inputs and query its trigger would send
          --timezone ZONE          IANA zone of the schedule (default UTC)
          --from INSTANT           list fires strictly after this RFC 3339 instant (default now)
          --count N                number of fires to print (default 10)
          --start INSTANT          first allowed fire; anchors --every (default the Unix epoch)
          --end INSTANT            last allowed fire
          --calendar FILE          .ics file, or YAML file with weekdays, holidays and workdays
          --calendar-mode MODE     include (working days only, default) or exclude (skip holidays)
          --dst-gap POLICY         shift (default) or skip
          --dst-overlap POLICY     once (default) or twice
          --day-match RULE         either (default) or both
          --dialect DIALECT        linux (default, 0 and 7 are Sunday) or quartz (1 is Sunday)
          --jitter DURATION        print fire instants with the job's jitter applied
          --job-id ID              job id the jitter derives from (default "job")
          --local                  print the local instant with its offset, the UTC instant and the weekday
        """

    static func run(arguments: [String]) -> Int32 {
        var spec = ScheduleSpec()
        var from = Date()
        var count = 10
        var calendarFile: String?
        var local = false
        var jobID = "job"
        var configFiles: [String] = []
        var jobName: String?
        var render = false

        var index = 0
        func value(_ option: String) -> String? {
            guard index + 1 < arguments.count else {
                fail("\(option) needs a value")
                return nil
            }
            index += 1
            return arguments[index]
        }

        while index < arguments.count {
            let option = arguments[index]
            switch option {
            case "--cron": guard let text = value(option) else { return 2 }; spec.cron = text
            case "--every": guard let text = value(option) else { return 2 }; spec.every = text
            case "--at": guard let text = value(option) else { return 2 }; spec.at = text
            case "--timezone": guard let text = value(option) else { return 2 }; spec.timezone = text
            case "--start": guard let text = value(option) else { return 2 }; spec.start = text
            case "--end": guard let text = value(option) else { return 2 }; spec.end = text
            case "--calendar": guard let text = value(option) else { return 2 }; calendarFile = text
            case "--calendar-mode": guard let text = value(option) else { return 2 }; spec.calendarMode = text
            case "--dst-gap": guard let text = value(option) else { return 2 }; spec.dstGap = text
            case "--dst-overlap": guard let text = value(option) else { return 2 }; spec.dstOverlap = text
            case "--day-match": guard let text = value(option) else { return 2 }; spec.dayMatch = text
            case "--dialect": guard let text = value(option) else { return 2 }; spec.cronDialect = text
            case "--jitter": guard let text = value(option) else { return 2 }; spec.jitter = text
            case "--job-id": guard let text = value(option) else { return 2 }; jobID = text
            case "--local": local = true
            case "--render": render = true
            case "--config": guard let text = value(option) else { return 2 }; configFiles.append(text)
            case "--job": guard let text = value(option) else { return 2 }; jobName = text
            case "--from":
                guard let text = value(option) else { return 2 }
                guard let date = Timestamp.parse(text) else {
                    fail("--from: \"\(text)\": not an RFC 3339 instant; write one with an offset, such as 2026-03-29T00:00:00Z")
                    return 2
                }
                from = date
            case "--count":
                guard let text = value(option) else { return 2 }
                guard let number = Int(text), number >= 0, number <= 1_000_000 else {
                    fail("--count: \"\(text)\": must be a whole number 0-1000000")
                    return 2
                }
                count = number
            case "-h", "--help":
                print(usage)
                return 0
            default:
                fail("unknown option \"\(option)\"\n\(usage)")
                return 2
            }
            index += 1
        }

        var calendars: CalendarLookup?
        var job: Job?
        if let jobName {
            guard let loaded = loadJob(jobName, files: configFiles) else { return 2 }
            (job, calendars) = (loaded.job, loaded.calendars)
            spec = loaded.job.schedule
            jobID = loaded.job.id
            if spec.cron == nil && spec.every == nil && spec.at == nil {
                print(chainOnlyText(loaded.job, parents: loaded.parents, files: configFiles))
                return 0
            }
        } else if render {
            fail("--render needs --job ID and --config FILE: it renders the inputs of a job")
            return 2
        }
        if let calendarFile {
            do throws(ScheduleError) {
                let calendar = try ScheduleCalendar.load(contentsOfFile: calendarFile)
                spec.calendar = calendar.name
                calendars = { name in name == calendar.name ? calendar : nil }
            } catch {
                fail(error.description)
                return 2
            }
        }

        let schedule: CompiledSchedule
        do throws(ScheduleError) {
            schedule = try CompiledSchedule(spec: spec, jobID: jobID, calendars: calendars)
        } catch {
            fail(error.description)
            return 2
        }

        var cursor = from
        var printed = 0
        while printed < count, let fire = schedule.nextFire(after: cursor, firedCount: printed) {
            let instant = spec.jitter == nil ? fire.scheduledAt : fire.fireAt
            let utc = Timestamp.rfc3339Auto(instant)
            if local {
                print("\(LocalTimeText.format(instant, zone: schedule.zone)) \(utc) \(LocalTimeText.weekdayName(instant, zone: schedule.zone))")
            } else {
                print(utc)
            }
            if render, let job {
                printRendered(job, scheduledAt: fire.scheduledAt)
            }
            printed += 1
            cursor = fire.scheduledAt
        }
        return 0
    }

    /// What `next` says of a job without a schedule of its own: it runs only when a parent's
    /// `on_success` or `on_failure` starts it, and which jobs of the files do.
    static func chainOnlyText(_ job: Job, parents: [(id: String, field: String)], files: [String]) -> String {
        let head = "job \"\(job.id)\" has no schedule of its own: it runs only when a parent job lists it in on_success or on_failure"
        guard !parents.isEmpty else {
            return head + "; no job in \(files.joined(separator: ", ")) does, so it runs only if a job defined elsewhere or a manual trigger (POST /v1/jobs/\(job.id)/trigger) starts it"
        }
        return head + ": started by " + parents.map { "\($0.id) (\($0.field))" }.joined(separator: ", ")
    }

    /// Loads the configuration and returns the job named `id` with its calendars and the jobs
    /// that chain to it.
    private static func loadJob(_ id: String, files: [String]) -> (job: Job, calendars: CalendarLookup, parents: [(id: String, field: String)])? {
        guard !files.isEmpty else {
            fail("--job needs --config FILE naming the file that defines the job")
            return nil
        }
        let configuration: Configuration
        do {
            configuration = try ConfigurationLoader().load(paths: files)
        } catch {
            fail("\(error)")
            return nil
        }
        guard let job = configuration.jobs.first(where: { $0.id == id }) else {
            let known = configuration.jobs.map(\.id).sorted().joined(separator: ", ")
            fail("--job: no job \"\(id)\" in \(files.joined(separator: ", ")) (jobs: \(known.isEmpty ? "none" : known))")
            return nil
        }
        let registry = CalendarRegistry(configuration.scheduleCalendars().calendars)
        var parents: [(id: String, field: String)] = []
        for candidate in configuration.jobs {
            if candidate.onSuccess?.contains(id) == true { parents.append((candidate.id, "on_success")) }
            if candidate.onFailure?.contains(id) == true { parents.append((candidate.id, "on_failure")) }
        }
        return (job, registry.lookup, parents)
    }

    /// Prints the inputs and query the trigger of this fire would send, indented under it.
    private static func printRendered(_ job: Job, scheduledAt: Date) {
        let triggerID = TriggerID.scheduled(jobID: job.id, scheduledAt: scheduledAt)
        // The configuration loader validated the job, so its templates compile.
        guard let rendered = try? JobTemplates.render(job: job, scheduledAt: scheduledAt, triggerID: triggerID) else { return }
        print("  inputs: \(JSONValue.object(rendered.inputs).compactText(sortedKeys: true))")
        if let query = rendered.query {
            print("  query: \(query)")
        }
    }

    private static func fail(_ message: String) {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map { "next: \($0)" }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
