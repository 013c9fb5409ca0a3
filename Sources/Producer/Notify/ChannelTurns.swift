/// Gives this producer's deliveries to one channel their turn one at a time, in arrival
/// order, so the numbered parts of two outputs do not interleave in a chat.
actor ChannelTurns {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private var holders: Set<String> = []
    private var queues: [String: [Waiter]] = [:]
    private var nextID: UInt64 = 0

    /// Waits for `channel`'s turn. Returns false, holding no turn, when the task is cancelled
    /// first; the caller must ``release(_:)`` only after true.
    func acquire(_ channel: String) async -> Bool {
        if holders.insert(channel).inserted { return true }
        let id = nextID
        nextID += 1
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: false)
                } else {
                    queues[channel, default: []].append(Waiter(id: id, continuation: continuation))
                }
            }
        } onCancel: {
            Task { await self.withdraw(channel, id: id) }
        }
    }

    /// Passes `channel`'s turn to the next waiter, or frees it.
    func release(_ channel: String) {
        guard var queue = queues[channel], !queue.isEmpty else {
            holders.remove(channel)
            queues[channel] = nil
            return
        }
        let next = queue.removeFirst()
        queues[channel] = queue
        next.continuation.resume(returning: true)
    }

    private func withdraw(_ channel: String, id: UInt64) {
        guard let index = queues[channel]?.firstIndex(where: { $0.id == id }) else { return }
        let waiter = queues[channel]!.remove(at: index)
        waiter.continuation.resume(returning: false)
    }
}
