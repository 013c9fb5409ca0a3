import Foundation
import Shared

/// Runs `dify_cleanup` triggers against the Dify databases configured under
/// `worker.dify_databases` and turns each into a result.
///
/// A run stops between batches when its timeout passes or a stop is requested; the result
/// then reports what was done so far. Its status is `succeeded`, or `partial_succeeded` when
/// some runs were left in place for their unaccounted stored files.
struct DifyCleanupRunner: Sendable {
    let databases: [String: DifyDatabaseSettings]
    let environment: [String: String]
    let logger: Logger

    /// Names of the configured databases, which `dify_cleanup` triggers name as their app.
    var names: Set<String> { Set(databases.keys) }

    /// Runs the cleanup that a trigger requests and returns its result.
    func execute(_ trigger: Trigger, workerID: String, control: RunControl, timeout: Duration) async -> RunResult {
        let startedAt = Date()
        let log = logger.with([LogKey.triggerID: trigger.id, LogKey.jobID: trigger.jobID ?? "", "database": trigger.app])
        var result = RunResult(triggerID: trigger.id, app: trigger.app, status: .failed)
        result.jobID = trigger.jobID
        result.kind = .difyCleanup
        result.source = trigger.effectiveSource
        result.scheduledAt = trigger.scheduledAt
        result.emittedAt = trigger.emittedAt
        result.traceID = trigger.traceID
        result.workerID = workerID
        result.startedAt = startedAt

        let deadline = ContinuousClock.now + timeout
        do {
            let settings = try resolve(trigger.policy?.cleanup ?? CleanupSettings(), now: startedAt)
            let connection = try await connect(trigger.app)
            let schema = try await DifyCleanupSchema.check(connection)
            log.info("cleanup started", [
                "dry_run": "\(settings.dryRun)", "cutoff": Timestamp.rfc3339(settings.cutoff), "batch_size": "\(settings.batchSize)",
                "offload_table": "\(schema.hasOffload)",
            ])
            let cleanup = DifyCleanup(
                connection: connection, schema: schema, settings: settings, logger: log,
                shouldStop: { control.stopReason != nil || ContinuousClock.now >= deadline })
            let report = try await cleanup.run(database: trigger.app)

            result.outputs = report.json
            result.answer = report.summary
            result.status = report.skippedCount > 0 ? .partialSucceeded : .succeeded
            if report.skippedCount > 0 {
                result.error = RunError(
                    code: "runs_left_in_place",
                    message: "\(report.skippedCount) runs were left in place because their stored files are not accounted for; see outputs.skipped",
                    retryable: false)
            }
            if report.interrupted {
                let reason = control.stopReason ?? .timeout
                ResultFactory.markStopped(&result, reason: reason, timeout: timeout)
                result.error?.message += "; the cleanup stopped between batches, after \(report.batches) batches"
            }
            log.info("cleanup finished", ["summary": report.summary, LogKey.durationMilliseconds: "\(report.elapsedMilliseconds)"])
        } catch let error as CleanupError {
            result.status = .failed
            result.error = RunError(code: error.code.name, message: error.description, retryable: error.retryable)
            log.error("cleanup failed", [LogKey.errorCode: error.code.name, LogKey.error: error.description])
        } catch {
            result.status = .failed
            result.error = RunError(code: "cleanup_failed", message: "\(error)", retryable: false)
            log.error("cleanup failed", [LogKey.error: "\(error)"])
        }
        result.finishedAt = Date()
        result.attempts = (trigger.attempts ?? []) + [
            AttemptRecord(number: trigger.effectiveAttempt, startedAt: startedAt, finishedAt: result.finishedAt, error: result.error, workerID: workerID)
        ]
        return result
    }

    /// Converts the job's settings to values. Triggers may also come from other systems, so
    /// this rejects what the producer's checks would have rejected.
    private func resolve(_ cleanup: CleanupSettings, now: Date) throws -> DifyCleanup.Settings {
        if let problem = cleanup.problems().first {
            throw CleanupError(code: .invalidConfiguration, reason: "policy.\(problem.field): \(problem.message)")
        }
        let retention = try DurationText.milliseconds(cleanup.effectiveRetention)
        return DifyCleanup.Settings(
            cutoff: now.addingTimeInterval(-Double(retention) / 1000), batchSize: cleanup.effectiveBatchSize,
            pause: .milliseconds(try DurationText.milliseconds(cleanup.effectivePause)),
            apps: (cleanup.apps ?? []).map { $0.lowercased() }, dryRun: cleanup.effectiveDryRun)
    }

    private func connect(_ database: String) async throws -> DifyDatabaseConnection {
        guard let settings = databases[database] else {
            let known = databases.keys.sorted().joined(separator: ", ")
            throw CleanupError(code: .unknownDatabase, reason: "unknown Dify database \"\(database)\": this worker has \(known.isEmpty ? "no worker.dify_databases" : known)")
        }
        let url: String
        do {
            url = try settings.resolveURL(database: database, environment: environment)
        } catch {
            throw CleanupError(code: .invalidConfiguration, reason: "\(error)")
        }
        return try await DifyDatabaseConnection.connect(url: url, label: database)
    }
}
