import Foundation
import Synchronization

/// Writes the chunks of a streamed response body, for example Server-Sent Events.
///
/// Chunks are queued and sent by the server's connection thread as the socket accepts them.
/// `write` waits while more than `highWaterMark` bytes are queued, so a slow client slows
/// the producer instead of growing memory without bound.
///
/// - Important: a write after the client has gone away throws ``ClientGone``; the producer's
///   task is cancelled at the same moment, so a producer that only sleeps stops too.
public final class HTTPBodyWriter: Sendable {
    /// Thrown by `write` when the client closed the connection or the server is stopping.
    public struct ClientGone: Error, Sendable {}

    enum ReadResult {
        case bytes(Int)
        case empty
        case end
        case failed
    }

    private struct State {
        var chunks: [[UInt8]] = []
        var headOffset = 0
        var queuedBytes = 0
        var ended = false
        var failed = false
        var clientGone = false
        var suspended = false
        var spaceWaiters: [CheckedContinuation<Void, any Error>] = []
    }

    let highWaterMark: Int
    private let state = Mutex(State())
    /// Resumes the suspended connection; set once by the server before the producer starts.
    private let wakeHook = Mutex<(@Sendable () -> Void)?>(nil)

    init(highWaterMark: Int = 256 * 1024) {
        self.highWaterMark = highWaterMark
    }

    /// Queues `bytes` for sending; waits while the queue is above the high-water mark.
    ///
    /// - Throws: ``ClientGone`` when the client has gone away or the body already ended.
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        if state.withLock({ $0.queuedBytes >= highWaterMark || $0.clientGone }) {
            try await waitForSpace()
        }
        let wake = state.withLock { state -> Bool in
            guard !state.clientGone, !state.ended else { return false }
            state.chunks.append(bytes)
            state.queuedBytes += bytes.count
            return takeSuspension(&state)
        }
        if wake { wakeConnection() }
        if state.withLock({ $0.clientGone }) { throw ClientGone() }
    }

    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    /// True once the client has gone away; a producer can poll it between slow steps.
    public var isClientGone: Bool {
        state.withLock { $0.clientGone }
    }

    // MARK: - Server side

    func setWakeHook(_ hook: @escaping @Sendable () -> Void) {
        wakeHook.withLock { $0 = hook }
    }

    func clearWakeHook() {
        wakeHook.withLock { $0 = nil }
    }

    /// Marks the body complete; `failed` closes the connection without the final chunk.
    func finish(failed: Bool) {
        let wake = state.withLock { state -> Bool in
            guard !state.ended else { return false }
            state.ended = true
            state.failed = failed
            return takeSuspension(&state)
        }
        if wake { wakeConnection() }
    }

    /// Records that the client is gone and fails pending writes; returns whether the caller
    /// must resume the suspended connection.
    func markClientGone() -> Bool {
        let (wake, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, any Error>]) in
            state.clientGone = true
            let waiters = state.spaceWaiters
            state.spaceWaiters = []
            return (takeSuspension(&state), waiters)
        }
        for waiter in waiters { waiter.resume(throwing: ClientGone()) }
        return wake
    }

    /// Copies queued bytes into `buffer`; called on the connection's thread by MHD.
    func read(into buffer: UnsafeMutableRawPointer, maximum: Int) -> ReadResult {
        var waiters: [CheckedContinuation<Void, any Error>] = []
        let result = state.withLock { state -> ReadResult in
            if state.clientGone { return .failed }
            if state.chunks.isEmpty {
                if state.ended { return state.failed ? .failed : .end }
                return .empty
            }
            var copied = 0
            while copied < maximum, !state.chunks.isEmpty {
                let chunk = state.chunks[0]
                let available = chunk.count - state.headOffset
                let count = min(available, maximum - copied)
                chunk.withUnsafeBytes { source in
                    (buffer + copied).copyMemory(from: source.baseAddress! + state.headOffset, byteCount: count)
                }
                copied += count
                if count == available {
                    state.chunks.removeFirst()
                    state.headOffset = 0
                } else {
                    state.headOffset += count
                }
            }
            state.queuedBytes -= copied
            if state.queuedBytes < highWaterMark {
                waiters = state.spaceWaiters
                state.spaceWaiters = []
            }
            return .bytes(copied)
        }
        for waiter in waiters { waiter.resume() }
        return result
    }

    /// Records that the connection was just suspended because no data was ready.
    ///
    /// Returns false when data, the end or a disconnect arrived in between; the caller must
    /// then resume the connection itself, because nobody else will.
    func noteSuspended() -> Bool {
        state.withLock { state in
            if !state.chunks.isEmpty || state.ended || state.clientGone { return false }
            state.suspended = true
            return true
        }
    }

    // MARK: - Private

    /// Clears the suspended flag; the caller that got true owns the one resume call.
    private func takeSuspension(_ state: inout State) -> Bool {
        guard state.suspended else { return false }
        state.suspended = false
        return true
    }

    private func wakeConnection() {
        wakeHook.withLock { $0 }?()
    }

    private func waitForSpace() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Bool? in
                if state.clientGone { return false }
                if state.queuedBytes < highWaterMark { return true }
                state.spaceWaiters.append(continuation)
                return nil
            }
            switch outcome {
            case true?: continuation.resume()
            case false?: continuation.resume(throwing: ClientGone())
            case nil: break
            }
        }
    }
}
