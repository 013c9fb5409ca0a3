import Foundation
import Shared

/// Checks a job the way `dify-producer validate` checks a job file, with each problem at the
/// field it concerns: `schedule.cron` for a bad cron expression, `schedule.timezone` for an
/// unknown zone, `alerts.channels[0]` for an unknown channel.
///
/// The control API's create, update and preview all use it, so the console's preview never
/// accepts a job that saving rejects. Input names and types are checked separately against the
/// app's form (``AppFormCache``), as `validate` does.
struct JobChecker: Sendable {
    let configuration: Configuration
    let compiler: JobCompiler

    struct Outcome: Sendable {
        var problems: [JobProblem]
        /// The compiled schedule, or nil when the schedule has a problem.
        var schedule: CompiledSchedule?
    }

    func check(_ job: Job) -> Outcome {
        // The compiler's validator skips the schedule, which is compiled here once.
        var problems = compiler.validator.problems(in: job)
        var schedule: CompiledSchedule?
        do {
            schedule = try CompiledSchedule(spec: job.schedule, jobID: job.id, calendars: compiler.calendars.lookup)
        } catch {
            problems += error.problems.map { JobProblem(field: Self.field(of: $0, code: error.code), message: $0.description) }
        }
        problems += alertTargetProblems(job)
        return Outcome(problems: problems, schedule: schedule)
    }

    /// Unknown names in `alerts.channels`, checked only when this configuration defines channels,
    /// as `validate` does for job files.
    private func alertTargetProblems(_ job: Job) -> [JobProblem] {
        guard !configuration.channels.isEmpty else { return [] }
        let known = Set(configuration.channels.keys)
            .union(configuration.alerts.contacts?.keys ?? [:].keys)
            .union(configuration.alerts.groups?.keys ?? [:].keys)
        var problems: [JobProblem] = []
        for (index, target) in (job.alerts?.channels ?? []).enumerated() where !known.contains(target) {
            let names = known.sorted().joined(separator: ", ")
            problems.append(JobProblem(
                field: "alerts.channels[\(index)]",
                message: "unknown channel, contact or group \"\(target)\": define it under channels: or alerts: (known: \(names))"))
        }
        return problems
    }

    /// Maps a schedule problem to the job field it is written in.
    static func field(of problem: ScheduleError.Problem, code: ScheduleError.Code) -> String {
        switch code {
        case .invalidCron: return "schedule.cron"
        case .invalidTimeZone: return "schedule.timezone"
        case .invalidCalendar: return "schedule.calendar"
        default:
            let known: Set<String> = [
                "cron", "every", "delay", "at", "timezone", "calendar", "calendar_mode", "dst_gap", "dst_overlap",
                "day_match", "cron_dialect", "start", "end", "max_runs", "jitter",
            ]
            return known.contains(problem.field) ? "schedule.\(problem.field)" : "schedule"
        }
    }
}
