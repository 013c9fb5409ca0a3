/// A long-running part of a process (a consumer loop, an HTTP server, a scheduler).
///
/// - Important: `run()` returns when the service has stopped. It must return promptly after
///   `shutdown()` is called or after its task is cancelled, having finished or handed back its
///   in-flight work.
public protocol Service: Sendable {
    /// Name used in log lines.
    var name: String { get }

    /// Runs the service until it is shut down.
    func run() async throws

    /// Starts a graceful stop: stop taking new work and let `run()` finish what it holds.
    func shutdown() async
}
