import Foundation
import Shared

/// The kind of each app whose configuration does not state its mode, learned once from Dify's
/// `GET /info` and kept for the life of the process.
actor AppModeCache {
    private let client: DifyClient
    private let logger: Logger
    private var modes: [String: DifyAppKind] = [:]
    /// Lookups in flight, so triggers of one app that arrive together ask Dify once.
    private var lookups: [String: Task<DifyAppKind?, Never>] = [:]

    init(client: DifyClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The app's kind: from configuration when stated, else asked from Dify once. Returns nil
    /// when Dify cannot be asked now; the run then goes ahead and Dify itself rejects a wrong kind.
    func kind(of app: WorkerApp) async -> DifyAppKind? {
        if let mode = app.mode { return difyKind(mode) }
        if let known = modes[app.name] { return known }
        if let lookup = lookups[app.name] { return await lookup.value }

        let lookup = Task { [client, logger] () -> DifyAppKind? in
            do {
                let info = try await client.info(app: app.endpoint)
                guard let kind = info.kind else {
                    logger.warning("app mode not understood", [LogKey.app: app.name, "mode": info.mode ?? "none"])
                    return nil
                }
                logger.info("app mode learned", [LogKey.app: app.name, "mode": info.mode ?? ""])
                return kind
            } catch {
                logger.warning("reading the app mode failed", [LogKey.app: app.name, LogKey.error: "\(error)"])
                return nil
            }
        }
        lookups[app.name] = lookup
        let kind = await lookup.value
        lookups[app.name] = nil
        if let kind { modes[app.name] = kind }
        return kind
    }

    /// Forgets the learned kinds of `names`, whose base URL a configuration reload changed.
    func forget(_ names: [String]) {
        for name in names { modes[name] = nil }
    }

    /// The problem with running a job of `kind` on an app of `appKind`, or nil when they fit.
    static func mismatch(jobKind: JobKind, appKind: DifyAppKind, app: String) -> String? {
        let fits: Bool
        switch (jobKind, appKind) {
        case (.workflow, .workflow), (.difyCleanup, _), (.chatflow, .chatflow), (.chatflow, .chat), (.completion, .completion):
            fits = true
        default:
            fits = false
        }
        guard !fits else { return nil }
        let needed: (kind: String, endpoint: String)
        switch appKind {
        case .workflow: needed = ("workflow", "POST /workflows/run")
        case .chatflow, .chat: needed = ("chatflow", "POST /chat-messages")
        case .completion: needed = ("completion", "POST /completion-messages")
        }
        return "job kind \(jobKind.rawValue) does not fit app \"\(app)\", a \(appKind.rawValue) app in Dify: set kind: \(needed.kind), which calls \(needed.endpoint)"
    }
}
