import Foundation
import Shared

/// `dify-producer next`: prints the next fire instants of a schedule, one per line.
///
/// ```
/// dify-producer next --cron "0 0 9 * * MON-FRI" --timezone Asia/Shanghai --from 2026-03-27T00:00:00Z --count 3
/// dify-producer next --every 15m --start 2026-01-01T00:00:00Z --count 4
/// dify-producer next --cron "0 30 2 * * *" --timezone Europe/Berlin --dst-gap skip --local
/// ```
///
/// Exit status 0 on success (fewer lines when the schedule ends), 2 on invalid input.
enum NextCommand {
    static let usage = """
        usage: dify-producer next (--cron EXPR | --every DURATION | --at INSTANT) [options]
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
            printed += 1
            cursor = fire.scheduledAt
        }
        return 0
    }

    private static func fail(_ message: String) {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map { "next: \($0)" }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
