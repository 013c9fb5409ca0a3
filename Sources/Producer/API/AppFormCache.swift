import Foundation
import Shared

/// Apps' input forms (`GET /parameters`), kept for a minute so that the console's live preview
/// does not ask Dify on every keystroke.
///
/// A failed read is kept for the same time, so an unreachable app costs one timeout per minute,
/// not one per preview.
actor AppFormCache {
    private struct Entry {
        var readAt: ContinuousClock.Instant
        var result: Result<[DifyInputVariable], AppInspection.Failure>
    }

    private let configuration: Configuration
    private let lifetime: Duration
    private let timeout: Duration
    private var entries: [String: Entry] = [:]

    init(configuration: Configuration, lifetime: Duration = .seconds(60), timeout: Duration = .seconds(3)) {
        self.configuration = configuration
        self.lifetime = lifetime
        self.timeout = timeout
    }

    /// Returns the input form of `app`, from the cache when read within the lifetime unless
    /// `fresh` asks for a new read.
    func form(app: String, fresh: Bool = false) async -> Result<[DifyInputVariable], AppInspection.Failure> {
        let now = ContinuousClock.now
        if !fresh, let entry = entries[app], now - entry.readAt < lifetime {
            return entry.result
        }
        let result: Result<[DifyInputVariable], AppInspection.Failure>
        do {
            result = .success(try await AppInspection.fetch(app: app, configuration: configuration, timeout: timeout).parameters.inputs)
        } catch let failure as AppInspection.Failure {
            result = .failure(failure)
        } catch {
            result = .failure(AppInspection.Failure(code: .difyFailed, reason: "\(error)"))
        }
        entries[app] = Entry(readAt: now, result: result)
        return result
    }
}
