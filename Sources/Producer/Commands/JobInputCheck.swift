import Foundation
import Shared

/// Checks each job's `inputs` against its app's input form, for `validate` and `apply`.
///
/// Only apps under the configuration's own `apps:` can be asked. Each such app's `GET
/// /parameters` is read once, with a short timeout: an app that cannot be reached (or whose
/// key is not set here) yields a warning and its jobs go unchecked, while every mismatch is an
/// error with the job's file and line. Jobs of kind `dify_cleanup` have no Dify inputs.
enum JobInputCheck {
    struct Report: Sendable {
        var errors: [ConfigError] = []
        var warnings: [String] = []
        /// Apps whose parameters were read.
        var checkedApps: [String] = []
    }

    /// Checks the inputs, prints each warning to standard error, and throws every mismatch.
    ///
    /// - Throws: ``ConfigErrors`` listing each mismatch with its file and line.
    static func enforce(_ configuration: Configuration, timeout: Duration = .seconds(5)) async throws {
        let report = await check(configuration, timeout: timeout)
        for warning in report.warnings { printError("warning: \(warning)") }
        guard report.errors.isEmpty else { throw ConfigErrors(report.errors) }
    }

    static func check(
        _ configuration: Configuration, environment: [String: String] = ProcessInfo.processInfo.environment,
        timeout: Duration = .seconds(5)
    ) async -> Report {
        var report = Report()
        let jobs = configuration.jobs.enumerated().filter { $0.element.effectiveKind != .difyCleanup }
        let apps = Set(jobs.map(\.element.app)).filter { configuration.apps[$0] != nil }.sorted()

        // Read every app's form at once, so many unreachable apps cost one timeout, not many.
        let forms = await withTaskGroup(of: (String, Result<AppInspection, AppInspection.Failure>).self) { group in
            for app in apps {
                group.addTask {
                    do {
                        return (app, .success(try await AppInspection.fetch(app: app, configuration: configuration, environment: environment, timeout: timeout)))
                    } catch let failure as AppInspection.Failure {
                        return (app, .failure(failure))
                    } catch {
                        return (app, .failure(AppInspection.Failure(code: .difyFailed, reason: "\(error)")))
                    }
                }
            }
            var forms: [String: Result<AppInspection, AppInspection.Failure>] = [:]
            for await (app, result) in group { forms[app] = result }
            return forms
        }

        for app in apps {
            switch forms[app] {
            case .success?:
                report.checkedApps.append(app)
            case .failure(let failure)?:
                report.warnings.append("inputs of app \"\(app)\" not checked: \(failure.reason)")
            case nil:
                break
            }
        }

        for (index, job) in jobs {
            guard case .success(let inspection)? = forms[job.app] else { continue }
            let mark = configuration.jobMark(index)
            for problem in InputValidator.problems(inputs: job.inputs ?? [:], form: inspection.parameters.inputs, app: job.app) {
                report.errors.append(ConfigError(file: mark.file, line: mark.line, path: "\(configuration.jobPath(index)).\(problem.field)", message: problem.message))
            }
        }
        return report
    }
}
