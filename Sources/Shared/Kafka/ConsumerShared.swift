import Dispatch
import Synchronization

/// State shared by a ``KafkaConsumer``, its polling thread and its message iterators.
///
/// A class so that the polling thread and librdkafka's rebalance callback can hold it without
/// keeping the consumer alive.
final class ConsumerShared: Sendable {
    struct State {
        var closing = false
        var closed = false
        var loopStarted = false
        var finished = false
        var failure: KafkaError?
        var buffer = MessageQueue()
        var capacity = 1024
        var waiter: CheckedContinuation<KafkaMessage?, any Error>?
        var pollerWaitsForSpace = false
    }

    let mutex = Mutex(State())
    let pollThread = KafkaThread()
    /// Signalled when an iterator frees buffer space the polling thread waits for.
    let spaceAvailable = DispatchSemaphore(value: 0)
    private let consumerReference = Mutex<WeakConsumer>(WeakConsumer())

    var consumer: KafkaConsumer? { consumerReference.withLock { $0.value } }

    func setConsumer(_ consumer: KafkaConsumer) {
        consumerReference.withLock { $0.value = consumer }
    }

    var isClosed: Bool { mutex.withLock { $0.closed } }

    /// Marks the consumer as closing; false when it already was.
    func beginClosing() -> Bool {
        mutex.withLock { state in
            defer { state.closing = true }
            return !state.closing
        }
    }

    /// Drops buffered messages of revoked partitions so that the application does not process
    /// them after another consumer took the partitions over.
    func dropBuffered(of partitions: [KafkaTopicPartition]) {
        let revoked = Set(partitions)
        mutex.withLock { $0.buffer.removeAll { revoked.contains($0.topicPartition) } }
    }

    /// Hands a polled message to a waiting iterator, or buffers it.
    func deliver(_ message: KafkaMessage) {
        let waiter = mutex.withLock { state -> CheckedContinuation<KafkaMessage?, any Error>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.buffer.append(message)
            return nil
        }
        waiter?.resume(returning: message)
    }

    /// Ends the message stream: iterators return what is buffered (nothing when `closed`), then
    /// nil or `error`.
    func finish(error: KafkaError?, closed: Bool) {
        let waiter = mutex.withLock { state -> CheckedContinuation<KafkaMessage?, any Error>? in
            state.finished = true
            if state.failure == nil { state.failure = error }
            if closed {
                state.closed = true
                state.buffer = MessageQueue()
            }
            defer { state.waiter = nil }
            return state.waiter
        }
        if let error {
            waiter?.resume(throwing: error)
        } else {
            waiter?.resume(returning: nil)
        }
    }

    /// True when the buffer is full; the polling thread then waits on ``spaceAvailable``.
    func bufferIsFull() -> Bool {
        mutex.withLock { state in
            let full = state.buffer.count >= state.capacity
            state.pollerWaitsForSpace = full
            return full
        }
    }
}

/// A weak reference to the consumer, for the rebalance handler.
struct WeakConsumer {
    weak var value: KafkaConsumer?
}

/// A first-in-first-out queue of messages that pops in constant time.
struct MessageQueue {
    private var elements: [KafkaMessage] = []
    private var head = 0

    var count: Int { elements.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ message: KafkaMessage) {
        elements.append(message)
    }

    mutating func popFirst() -> KafkaMessage? {
        guard head < elements.count else { return nil }
        let message = elements[head]
        head += 1
        if head > 256 && head * 2 > elements.count {
            elements.removeFirst(head)
            head = 0
        }
        return message
    }

    mutating func removeAll(where shouldRemove: (KafkaMessage) -> Bool) {
        elements = elements[head...].filter { !shouldRemove($0) }
        head = 0
    }
}
