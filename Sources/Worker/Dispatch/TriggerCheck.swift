import Foundation
import Shared

/// Reason a message from the trigger topic was rejected, for the dead-letter topic and the
/// `rejected` result.
struct TriggerRejection: Sendable, Error {
    /// Short machine-readable cause, a metric label.
    var code: String
    /// The problem and how to fix it.
    var reason: String
    var triggerID: String?
    var jobID: String?
    var app: String?
}

/// Decoding and schema checks of messages from the trigger topic, which other teams' systems
/// may write to.
enum TriggerCheck {
    static let maxIDLength = 200
    static let maxInputsBytes = Trigger.maxInputsBytes

    static func decode(_ message: KafkaMessage) -> Result<Trigger, TriggerRejection> {
        guard let value = message.value, !value.isEmpty else {
            return .failure(TriggerRejection(code: "empty", reason: "the message has no value: a trigger is a JSON object"))
        }
        guard value.count <= MessageCodec.maxMessageBytes else {
            return .failure(TriggerRejection(code: "too_large", reason: "the message is \(value.count) bytes, above the limit of \(MessageCodec.maxMessageBytes) bytes"))
        }
        let data = Data(value)
        do {
            return .success(try MessageCodec.decode(Trigger.self, from: data, maxVersion: Trigger.currentVersion))
        } catch {
            // Name the job and trigger when the JSON gets that far, so a rejected result can be published.
            let object = (try? JSONValue.parse(data))?.objectValue
            return .failure(TriggerRejection(
                code: "invalid", reason: "invalid trigger: \(error)",
                triggerID: object?["id"]?.stringValue, jobID: object?["job_id"]?.stringValue, app: object?["app"]?.stringValue))
        }
    }

    /// Checks a decoded trigger against the schema and this worker's apps, or for
    /// `dify_cleanup` triggers against its Dify databases.
    static func validate(_ trigger: Trigger, apps: [String: WorkerApp], databases: Set<String> = []) -> TriggerRejection? {
        func rejection(_ code: String, _ reason: String) -> TriggerRejection {
            TriggerRejection(code: code, reason: reason, triggerID: trigger.id, jobID: trigger.jobID, app: trigger.app)
        }

        if trigger.id.isEmpty || trigger.id.count > maxIDLength {
            return rejection("invalid", "id must be 1 to \(maxIDLength) characters")
        }
        if trigger.effectiveType == .cancel {
            switch (trigger.targetTriggerID, trigger.targetJobID) {
            case (nil, nil):
                return rejection("invalid", "a cancel message needs target_trigger_id (one trigger) or target_job_id (the job's queued triggers)")
            case (.some, .some):
                return rejection("invalid", "a cancel message names either target_trigger_id or target_job_id, not both")
            default:
                return nil
            }
        }
        if trigger.effectiveKind == .difyCleanup {
            guard databases.contains(trigger.app) else {
                let known = databases.sorted().joined(separator: ", ")
                return rejection("unknown_database", "unknown Dify database \"\(trigger.app)\": this worker has \(known.isEmpty ? "no worker.dify_databases" : known); a dify_cleanup job's app names one under worker.dify_databases where workers run")
            }
            return trigger.jobID == nil ? rejection("no_job", "a dify_cleanup trigger must name its job_id") : nil
        }
        guard let app = apps[trigger.app] else {
            let known = apps.keys.sorted().joined(separator: ", ")
            return rejection("unknown_app", "unknown app \"\(trigger.app)\": this worker is configured for \(known.isEmpty ? "no apps" : known); add it under apps: where workers run")
        }
        // A made-up job_id is caught by the signature check (`authenticate`) when
        // kafka.trigger_signing is set. Without a key, this only keeps out triggers naming no job.
        if trigger.jobID == nil, !app.acceptsExternal {
            return rejection("no_job", "trigger names no job_id and app \"\(app.name)\" does not accept ad-hoc triggers: set accept_external: true for the app, or name a job")
        }
        if let jobID = trigger.jobID, !JobValidator.isValidID(jobID) {
            return rejection("invalid", "job_id \"\(jobID.prefix(maxBytes: 80))\" is not a valid job id: \(JobValidator.idRule)")
        }
        if trigger.effectiveAttempt < 1 || trigger.effectiveAttempt > 100 {
            return rejection("invalid", "attempt \(trigger.effectiveAttempt) is out of range: use 1 to 100")
        }
        if let inputs = trigger.inputs, JSONValue.object(inputs).encodedSize > maxInputsBytes {
            return rejection("too_large", "inputs are larger than \(maxInputsBytes) bytes")
        }
        if let mode = app.mode, !compatible(kind: trigger.effectiveKind, appMode: mode) {
            return rejection("wrong_kind", "job kind \(trigger.effectiveKind.rawValue) does not match app \"\(app.name)\", a \(mode.rawValue) app: use kind \(mode.rawValue), which calls \(endpoint(for: mode))")
        }
        if trigger.effectiveKind == .chatflow, (trigger.policy?.query ?? "").isEmpty {
            return rejection("invalid", "a chatflow trigger needs policy.query, the question sent to the app")
        }
        if let timeout = trigger.policy?.timeout, (try? DurationText.milliseconds(timeout)) == nil {
            return rejection("invalid", "policy.timeout: \(DurationText.ParseError(text: timeout))")
        }
        return nil
    }

    /// Checks the producer's signature on a decoded trigger when a signing key is configured.
    ///
    /// Cancel messages always need a valid signature, so no other system can stop runs; run
    /// triggers need one unless their app sets `accept_external: true`. Without a `signer`
    /// every message passes.
    static func authenticate(_ trigger: Trigger, message: KafkaMessage, apps: [String: WorkerApp], signer: TriggerSigner?) -> TriggerRejection? {
        guard let signer else { return nil }
        let isCancel = trigger.effectiveType == .cancel
        if !isCancel, apps[trigger.app]?.acceptsExternal == true { return nil }
        let what = isCancel ? "a cancel message" : "a trigger for app \"\(trigger.app)\", which does not set accept_external: true,"
        let fix = isCancel
            ? "only producers and workers of this deployment may cancel runs"
            : "send it through dify-producer (POST /v1/jobs/{id}/trigger), sign it with the kafka.trigger_signing key, or set accept_external: true for the app"
        switch signer.verify(value: message.value ?? [], headers: message.headers) {
        case .valid:
            return nil
        case .missing:
            return TriggerRejection(
                code: "unsigned", reason: "\(what) has no \(TriggerSigner.headerName) header: \(fix)",
                triggerID: trigger.id, jobID: trigger.jobID, app: trigger.app)
        case .mismatch:
            return TriggerRejection(
                code: "bad_signature", reason: "\(what) has a \(TriggerSigner.headerName) header that does not match its value under the kafka.trigger_signing key: check that producers and workers read the same key; \(fix)",
                triggerID: trigger.id, jobID: trigger.jobID, app: trigger.app)
        }
    }

    private static func compatible(kind: JobKind, appMode: JobKind) -> Bool {
        kind == appMode || kind == .difyCleanup
    }

    static func endpoint(for kind: JobKind) -> String {
        switch kind {
        case .workflow, .difyCleanup: "POST /workflows/run"
        case .chatflow: "POST /chat-messages"
        case .completion: "POST /completion-messages"
        }
    }
}
