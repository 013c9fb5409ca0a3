import Foundation
import Synchronization

/// Re-reads a process's configuration files on request (SIGHUP) and hands the new
/// configuration to the components that registered for it, all or none.
///
/// A reload runs in two phases. First every component's `prepare` closure checks the new
/// configuration against the one in use and builds what it needs (resolved keys, compiled
/// calendars) without changing anything. It returns the closure that will switch to it.
/// Only when the files load and every `prepare` succeeds does the reloader run those
/// closures, in registration order, and make the new configuration current. Otherwise it logs
/// every problem and keeps the previous configuration, so nothing is half-applied.
///
/// Reloads never overlap: a reload requested while another runs waits for it.
///
/// ```swift
/// let reloader = ConfigurationReloader(paths: files, initial: configuration, logger: logger)
/// reloader.register("apps") { new, old in
///     let apps = try WorkerApp.resolveAll(new, environment: reloader.environment())
///     return { await dispatcher.replaceApps(apps) }
/// }
/// try await ServiceGroup(services: services, logger: logger, onReload: reloader.reloadFromSignal).run()
/// ```
public final class ConfigurationReloader: Sendable {
    /// Checks `new` (with `old`, the configuration in use) and returns the step that applies it.
    ///
    /// - Throws: ``ConfigErrors`` or any error whose description names the value and the fix;
    ///   the reload is then rejected and nothing is applied.
    public typealias Prepare = @Sendable (_ new: Configuration, _ old: Configuration) throws -> @Sendable () async -> Void

    /// Result of one reload.
    public struct Outcome: Sendable {
        /// True when the new configuration is in use.
        public var applied: Bool
        /// Every problem that rejected the reload, empty when applied.
        public var problems: [String]
        /// Number of configurations applied since start, counting the first as 0.
        public var generation: Int
    }

    private struct State {
        var current: Configuration
        var generation = 0
        var components: [(name: String, prepare: Prepare)] = []
    }

    public let paths: [String]
    private let state: Mutex<State>
    private let environmentSource: @Sendable () -> [String: String]
    private let logger: Logger
    /// Serialises reloads, so two SIGHUPs never interleave their phases.
    private let gate = ReloadGate()

    /// - Parameters:
    ///   - paths: the configuration files given at start, merged in order as at start.
    ///   - initial: the configuration loaded at start.
    ///   - environment: returns the environment for overrides and `api_key_env`; read again at
    ///     each reload.
    public init(
        paths: [String],
        initial: Configuration,
        environment: @escaping @Sendable () -> [String: String] = { ProcessInfo.processInfo.environment },
        logger: Logger
    ) {
        self.paths = paths
        self.state = Mutex(State(current: initial))
        self.environmentSource = environment
        self.logger = logger
    }

    /// The configuration in use.
    public var current: Configuration { state.withLock { $0.current } }

    /// Number of reloads applied since start.
    public var generation: Int { state.withLock { $0.generation } }

    /// Returns the environment a reload reads, for components that resolve keys from it.
    public func environment() -> [String: String] { environmentSource() }

    /// Adds a component; its `prepare` runs at each later reload, after those registered before.
    public func register(_ name: String, prepare: @escaping Prepare) {
        state.withLock { $0.components.append((name, prepare)) }
    }

    /// Reloads and logs the outcome; suits ``ServiceGroup``'s `onReload`.
    @Sendable public func reloadFromSignal() async {
        logger.notice("reloading configuration on SIGHUP", ["files": paths.joined(separator: ",")])
        await reload()
    }

    /// Loads the files again, lets every component check the result, then applies it or keeps
    /// the previous configuration.
    @discardableResult
    public func reload() async -> Outcome {
        await gate.run { await self.reloadOnce() }
    }

    private func reloadOnce() async -> Outcome {
        let (old, components) = state.withLock { ($0.current, $0.components) }

        let new: Configuration
        do {
            new = try ConfigurationLoader(environment: environmentSource()).load(paths: paths)
        } catch {
            return reject(["\(error)"])
        }

        var steps: [@Sendable () async -> Void] = []
        var problems: [String] = []
        for component in components {
            do {
                steps.append(try component.prepare(new, old))
            } catch {
                problems.append("\(component.name): \(error)")
            }
        }
        guard problems.isEmpty else { return reject(problems) }

        for step in steps {
            await step()
        }
        let generation = state.withLock { state in
            state.current = new
            state.generation += 1
            return state.generation
        }
        logger.notice("configuration reloaded", ["generation": "\(generation)", "components": components.map(\.name).joined(separator: ",")])
        return Outcome(applied: true, problems: [], generation: generation)
    }

    private func reject(_ problems: [String]) -> Outcome {
        for problem in problems {
            logger.error("configuration reload rejected, keeping the previous configuration", [LogKey.error: problem])
        }
        return Outcome(applied: false, problems: problems, generation: generation)
    }
}

/// Runs one reload at a time.
private actor ReloadGate {
    private var running: Task<ConfigurationReloader.Outcome, Never>?

    func run(_ body: @escaping @Sendable () async -> ConfigurationReloader.Outcome) async -> ConfigurationReloader.Outcome {
        let previous = running
        let task = Task {
            _ = await previous?.value
            return await body()
        }
        running = task
        return await task.value
    }
}
