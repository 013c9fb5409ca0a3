import Dispatch
import Foundation
import Synchronization

/// Runs services side by side and stops them in reverse start order on SIGTERM or SIGINT.
///
/// A graceful stop asks each service to `shutdown()`; a service that has not returned when
/// `gracePeriod` has passed is cancelled. When any service fails, the others are stopped the
/// same way and the error is rethrown from `run()`.
public final class ServiceGroup: Sendable {
    private let services: [any Service]
    private let gracePeriod: Duration
    private let logger: Logger
    private let reloadHandler: (@Sendable () async -> Void)?

    /// - Parameter onReload: called on SIGHUP; nil leaves SIGHUP at its default.
    public init(
        services: [any Service],
        gracePeriod: Duration = .seconds(30),
        logger: Logger,
        onReload: (@Sendable () async -> Void)? = nil
    ) {
        self.services = services
        self.gracePeriod = gracePeriod
        self.logger = logger
        self.reloadHandler = onReload
    }

    /// Runs every service until all return; returns after a signal-driven graceful stop.
    public func run() async throws {
        let (signals, signalContinuation) = AsyncStream<Int32>.makeStream()
        let signalSources = installSignalHandlers(continuation: signalContinuation)
        defer {
            for source in signalSources { source.cancel() }
        }

        let signalTask = Task { [self] in
            var stopping = false
            for await signal in signals {
                if signal == SIGHUP {
                    await reloadHandler?()
                    continue
                }
                let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
                if stopping {
                    // A second stop signal means the operator will not wait for the drain.
                    logger.warning("second stop signal, exiting without draining", ["signal": name])
                    exit(1)
                }
                stopping = true
                logger.notice("stopping on signal", ["signal": name])
                startWatchdog()
                await shutdownAll()
            }
        }
        defer {
            signalContinuation.finish()
            signalTask.cancel()
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services {
                group.addTask { try await service.run() }
            }
            do {
                // Once one service has returned the process is stopping, so the others stop too.
                if try await group.next() != nil {
                    await shutdownAll()
                }
                try await group.waitForAll()
            } catch {
                logger.error("service failed, stopping the others", [LogKey.error: "\(error)"])
                await shutdownAll()
                group.cancelAll()
                throw error
            }
        }
    }

    /// Ends the process when the services have not stopped within twice the grace period, for
    /// example because the broker they must commit to is gone.
    private func startWatchdog() {
        let limit = gracePeriod * 2
        let logger = self.logger
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: limit.seconds)
            logger.error("services did not stop in time, exiting", ["limit_s": "\(Int(limit.seconds))"])
            exit(1)
        }
    }

    private func shutdownAll() async {
        for service in services.reversed() {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await service.shutdown() }
                group.addTask { [gracePeriod] in try? await Task.sleep(for: gracePeriod) }
                _ = await group.next()
                group.cancelAll()
            }
        }
    }

    private func installSignalHandlers(continuation: AsyncStream<Int32>.Continuation) -> [DispatchSourceSignal] {
        var sources: [DispatchSourceSignal] = []
        var handled: [Int32] = [SIGTERM, SIGINT]
        if reloadHandler != nil { handled.append(SIGHUP) }
        for signalNumber in handled {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield(signalNumber) }
            source.resume()
            sources.append(source)
        }
        return sources
    }
}
