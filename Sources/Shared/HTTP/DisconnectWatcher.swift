import Foundation
import Synchronization

/// Notices clients that close their connection while their request is suspended.
///
/// libmicrohttpd does not poll a suspended connection, so a client that goes away while a
/// handler runs or a stream waits for data would go unnoticed. This watcher checks the TCP
/// state of the sockets of live requests every `interval` on a thread of its own and reports
/// a request once its peer has closed (`CLOSE_WAIT`) or reset (`CLOSE`) the connection.
///
/// Polling for `POLLRDHUP` is not used because libmicrohttpd shuts down the reading side of
/// some connections itself, which raises the same event while the client still waits.
///
/// - Note: a client that half-closes its sending side after the request counts as gone.
final class DisconnectWatcher: Sendable {
    private struct State {
        var sockets: [UInt64: Int32] = [:]
        var stopped = false
    }

    /// Linux TCP states from `<netinet/tcp.h>` (`TCP_CLOSE_WAIT`, `TCP_CLOSE`), and the
    /// `TCP_INFO` option whose first byte is the state.
    private static let closeWaitState: UInt8 = 8
    private static let closedState: UInt8 = 7
    private static let tcpInfoOption: Int32 = 11

    private let state = Mutex(State())
    private let interval: Duration
    private let onDisconnect: @Sendable (UInt64) -> Void

    init(interval: Duration = .milliseconds(200), onDisconnect: @escaping @Sendable (UInt64) -> Void) {
        self.interval = interval
        self.onDisconnect = onDisconnect
        let thread = Thread { [self] in self.loop() }
        thread.name = "http-disconnect-watcher"
        thread.start()
    }

    func watch(socket: Int32, requestID: UInt64) {
        state.withLock { $0.sockets[requestID] = socket }
    }

    func unwatch(requestID: UInt64) {
        state.withLock { _ = $0.sockets.removeValue(forKey: requestID) }
    }

    func stop() {
        state.withLock { $0.stopped = true }
    }

    /// True when the peer of `socket` has closed or reset the connection.
    static func peerHasClosed(_ socket: Int32) -> Bool {
        var info = [UInt8](repeating: 0, count: 256)
        var length = socklen_t(info.count)
        guard getsockopt(socket, Int32(IPPROTO_TCP), tcpInfoOption, &info, &length) == 0, length > 0 else {
            return false
        }
        return info[0] == closeWaitState || info[0] == closedState
    }

    private func loop() {
        let (seconds, attoseconds) = interval.components
        var pause = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        while true {
            nanosleep(&pause, nil)
            let (snapshot, stopped) = state.withLock { ($0.sockets, $0.stopped) }
            if stopped { return }

            for (id, socket) in snapshot where Self.peerHasClosed(socket) {
                // Report once; the socket may stay in CLOSE_WAIT until the request completes.
                let stillWatched = state.withLock { $0.sockets.removeValue(forKey: id) != nil }
                if stillWatched { onDisconnect(id) }
            }
        }
    }
}
