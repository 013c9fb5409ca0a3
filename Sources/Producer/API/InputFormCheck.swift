import Foundation
import Shared

/// The control API's check of inputs before they become a job or a trigger: the workers'
/// size cap, and the app's input form (`GET /parameters`) as `dify-producer validate` checks it.
///
/// Create, update, trigger now and re-run all use it, so each rejects with 400 what a worker
/// would reject as a `rejected` run. A problem found with a cached form is confirmed with a
/// fresh read before the request is rejected, so a form changed in Dify within the cache's
/// lifetime does not reject valid inputs. Inputs of an app this producer has no `apps:` entry
/// for, or whose form cannot be read, are checked for size only, as `validate` does.
struct InputFormCheck: Sendable {
    let context: ProducerContext

    /// Rejects `inputs` for `job`'s app with a 400 naming `inputs.NAME` and the fix.
    ///
    /// Text values holding a `{{` placeholder are only checked for presence, because they take
    /// their value at each fire. Callers pass rendered inputs where they have them.
    func check(_ inputs: [String: JSONValue], job: Job) async throws {
        if let message = Self.sizeProblem(inputs) {
            throw HTTPError(status: 400, code: "invalid_inputs", message: message, field: "inputs")
        }
        guard job.effectiveKind != .difyCleanup, context.configuration.apps[job.app] != nil else { return }

        guard case .success(let cached) = await context.forms.form(app: job.app) else {
            context.logger.warning("inputs not checked: the app's form could not be read", [LogKey.app: job.app, LogKey.jobID: job.id])
            return
        }
        guard !InputValidator.problems(inputs: inputs, form: cached, app: job.app).isEmpty else { return }
        let form: [DifyInputVariable]
        switch await context.forms.form(app: job.app, fresh: true) {
        case .success(let current): form = current
        case .failure: form = cached
        }
        let problems = InputValidator.problems(inputs: inputs, form: form, app: job.app)
        guard let first = problems.first else { return }
        throw HTTPError(
            status: 400, code: "invalid_inputs",
            message: problems.map(\.description).joined(separator: "; "), field: first.field)
    }

    /// Returns the problem of `inputs` larger than the workers' cap, or nil when they fit.
    static func sizeProblem(_ inputs: [String: JSONValue]) -> String? {
        let size = JSONValue.object(inputs).encodedSize
        guard size > Trigger.maxInputsBytes else { return nil }
        return "inputs are \(size) bytes of JSON, above the workers' limit of \(Trigger.maxInputsBytes) bytes: send large data as a file or a URL"
    }
}
