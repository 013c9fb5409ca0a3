import Foundation
import Shared
import Synchronization

/// The input form of each app, read from Dify's `GET /parameters` and refreshed in the
/// background, so that the trigger intake can check inputs without waiting for Dify.
///
/// ``rejection(for:app:)`` is synchronous and reads only what is cached. When an app's form is older
/// than ``refreshInterval``, or was never read, it starts one background read, and a trigger
/// checked before the first read succeeds goes ahead unchecked (Dify then checks it). A failed
/// read keeps the form read before and is tried again after ``retryInterval``. The worker
/// reads every configured app's form at start (``prefetch(_:)``).
final class AppParametersCache: Sendable {
    static let refreshInterval: TimeInterval = 300
    static let retryInterval: TimeInterval = 30

    /// Input problems that reject a trigger. An unknown input name is not one of them: Dify
    /// drops such a value, and a job may keep it for an app version about to add it.
    static let rejectedKinds: Set<InputProblem.Kind> = [.missingRequired, .wrongType, .notAnOption, .tooLong]

    private struct Entry {
        /// The base URL the form was read from; a reload that points the app elsewhere drops it.
        var baseURL: String?
        var form: [DifyInputVariable]?
        var readAt: Date?
        var attemptedAt: Date?
        var reading = false
        var failing = false
    }

    /// Reads an app's input form; Dify's `GET /parameters` outside tests.
    typealias Reader = @Sendable (WorkerApp) async throws -> [DifyInputVariable]

    private let reader: Reader
    private let logger: Logger
    private let entries = Mutex<[String: Entry]>([:])

    convenience init(client: DifyClient, logger: Logger) {
        self.init(logger: logger) { app in try await client.parameters(app: app.endpoint).inputs }
    }

    init(logger: Logger, reader: @escaping Reader) {
        self.reader = reader
        self.logger = logger
    }

    /// Starts reading the forms of `apps` and waits until all are read or `wait` has passed,
    /// so that a Dify that is down delays the worker's start by at most `wait`.
    func prefetch(_ apps: [WorkerApp], wait: Duration = .seconds(10)) async {
        let done = FirstOutcome<Void>()
        Task {
            await withTaskGroup(of: Void.self) { group in
                for app in apps where claim(app.name, now: Date()) {
                    group.addTask { await self.read(app) }
                }
            }
            done.offer(())
        }
        Task {
            try? await Task.sleep(for: wait)
            done.offer(())
        }
        await done.value()
    }

    /// Returns the cached form of `app`, starting a background read when it is stale or missing.
    func form(of app: WorkerApp, now: Date = Date()) -> [DifyInputVariable]? {
        let baseURL = app.endpoint.baseURL.absoluteString
        let form = entries.withLock { entries -> [DifyInputVariable]? in
            guard let entry = entries[app.name], entry.baseURL == baseURL else {
                if entries[app.name]?.reading != true { entries[app.name] = Entry() }
                return nil
            }
            return entry.form
        }
        if claim(app.name, now: now) {
            Task { await self.read(app) }
        }
        return form
    }

    /// Returns the rejection of a trigger whose inputs do not fit the app's cached form, or nil
    /// when they fit, the form is not known yet, or the trigger is not a run of a Dify app.
    func rejection(for trigger: Trigger, app: WorkerApp?) -> TriggerRejection? {
        guard let app, trigger.effectiveType != .cancel, trigger.effectiveKind != .difyCleanup,
            let form = form(of: app)
        else { return nil }
        let problems = InputValidator.problems(inputs: trigger.inputs ?? [:], form: form, app: app.name)
            .filter { Self.rejectedKinds.contains($0.kind) }
        guard !problems.isEmpty else { return nil }
        let reason = "inputs do not fit the parameters of app \"\(app.name)\" (GET /parameters): "
            + problems.map(\.description).joined(separator: "; ")
        return TriggerRejection(code: "invalid_inputs", reason: reason, triggerID: trigger.id, jobID: trigger.jobID, app: trigger.app)
    }

    /// Marks a read of `name` as started when one is due; returns whether the caller should read.
    private func claim(_ name: String, now: Date) -> Bool {
        entries.withLock { entries in
            var entry = entries[name] ?? Entry()
            guard !entry.reading else { return false }
            if let readAt = entry.readAt, now.timeIntervalSince(readAt) < Self.refreshInterval { return false }
            if entry.failing, let attemptedAt = entry.attemptedAt, now.timeIntervalSince(attemptedAt) < Self.retryInterval { return false }
            entry.reading = true
            entry.attemptedAt = now
            entries[name] = entry
            return true
        }
    }

    private func read(_ app: WorkerApp) async {
        do {
            let inputs = try await reader(app)
            let first = entries.withLock { entries in
                let first = entries[app.name]?.form == nil
                entries[app.name] = Entry(baseURL: app.endpoint.baseURL.absoluteString, form: inputs, readAt: Date(), attemptedAt: Date())
                return first
            }
            if first {
                logger.info("app parameters read", [LogKey.app: app.name, "inputs": inputs.map(\.name).joined(separator: ",")])
            }
        } catch {
            let wasFailing = entries.withLock { entries in
                let was = entries[app.name]?.failing ?? false
                entries[app.name, default: Entry()].reading = false
                entries[app.name, default: Entry()].failing = true
                return was
            }
            if !wasFailing {
                logger.warning("reading the app parameters failed: inputs go unchecked until a read succeeds", [LogKey.app: app.name, LogKey.error: "\(error)"])
            }
        }
    }
}
