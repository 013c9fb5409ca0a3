import Foundation
import Shared

/// Decodes, validates and compiles jobs read from the `jobs` topic or posted to the API, with
/// the same ``JobValidator`` checks as job files.
struct JobCompiler: Sendable {
    let validator: JobValidator
    let calendars: CalendarRegistry

    init(configuration: Configuration, calendars: CalendarRegistry) {
        self.calendars = calendars
        // The schedule is compiled once in compile(_:), which reports its problems as the
        // validator's schedule check would, so the validator skips it.
        self.validator = JobValidator(
            knownApps: configuration.apps.isEmpty ? nil : Set(configuration.apps.keys),
            knownCalendars: Set(configuration.calendars.keys),
            knownChannels: Set(configuration.channels.keys),
            scheduleCheck: { _ in [] })
    }

    /// A job that failed to decode or validate, with every problem.
    struct Rejection: Error, Sendable, CustomStringConvertible {
        var problems: [JobProblem]
        var description: String { problems.map(\.description).joined(separator: "; ") }
    }

    /// Decodes a job from a topic message value.
    ///
    /// - Throws: ``Rejection`` naming the field of each problem.
    func decode(_ bytes: [UInt8]) throws -> Job {
        do {
            return try MessageCodec.decode(Job.self, from: Data(bytes), maxVersion: Job.currentVersion)
        } catch let error as MessageError {
            throw Rejection(problems: [JobProblem(field: error.field ?? "job", message: error.reason)])
        }
    }

    /// Validates `job` and compiles its schedule.
    ///
    /// - Throws: ``Rejection`` with every problem the validator found.
    func compile(_ job: Job) throws -> CompiledSchedule {
        var problems = validator.problems(in: job)
        var schedule: CompiledSchedule?
        do {
            schedule = try CompiledSchedule(spec: job.schedule, jobID: job.id, calendars: calendars.lookup)
        } catch {
            problems += error.problems.map { JobProblem(field: "schedule", message: $0.description) }
        }
        guard problems.isEmpty, let schedule else { throw Rejection(problems: problems) }
        return schedule
    }
}
