import Dispatch

extension KafkaConsumer {
    /// Returns the consumer's messages as an async sequence, read by a dedicated polling thread.
    ///
    /// The first call starts the thread, which calls `rd_kafka_consumer_poll` and fills a buffer
    /// of up to `bufferCapacity` messages. When the buffer is full the thread stops polling until
    /// the iterator catches up, so a slow application is not flooded. Rebalance handlers run on
    /// that thread, and on `.revoked` buffered messages of the revoked partitions are dropped.
    /// Later calls return a sequence over the same buffer; iterate with one task at a time.
    ///
    /// The sequence ends after ``close()``, and throws when librdkafka raises a fatal error.
    /// - Important: while the buffer is full, rebalances wait too; a consumer that stops
    ///   iterating for longer than `max.poll.interval.ms` leaves the group.
    public func messages(bufferCapacity: Int = 1024) -> Messages {
        let startLoop = shared.mutex.withLock { state in
            guard !state.loopStarted, !state.closing else { return false }
            state.loopStarted = true
            state.capacity = max(bufferCapacity, 1)
            return true
        }
        if startLoop {
            startPollLoop()
        }
        return Messages(shared: shared)
    }

    private func startPollLoop() {
        shared.pollThread.start(name: "kafka-consumer-poll") { [client, shared, logger] in
            var topicNames = TopicNameCache()
            var failure: KafkaError?

            while !shared.pollThread.isStopRequested {
                if shared.bufferIsFull() {
                    _ = shared.spaceAvailable.wait(timeout: .now() + .milliseconds(100))
                    continue
                }
                switch client.consumerPoll(timeoutMilliseconds: 100, topicNames: &topicNames) {
                case .message(let message):
                    shared.deliver(message)
                case .timedOut, .partitionEnd:
                    // After a fatal error the poll returns at once, so checking here keeps the
                    // loop from spinning.
                    failure = client.fatalError
                case .error(let error):
                    if let fatal = client.fatalError ?? (error.isFatal ? error : nil) {
                        failure = fatal
                    } else {
                        logger.warning("consuming failed, librdkafka retries", [LogKey.error: error.description])
                    }
                }
                if failure != nil { break }
            }

            if let failure {
                logger.error("Kafka consumer stopped on a fatal error", [LogKey.error: failure.description])
            }
            shared.finish(error: failure, closed: false)
        }
    }

    /// An async sequence of a consumer's messages; see ``KafkaConsumer/messages(bufferCapacity:)``.
    public struct Messages: AsyncSequence, Sendable {
        public typealias Element = KafkaMessage

        let shared: ConsumerShared

        public func makeAsyncIterator() -> Iterator {
            Iterator(shared: shared)
        }

        public struct Iterator: AsyncIteratorProtocol {
            let shared: ConsumerShared

            /// Returns the next message, waiting for the polling thread when none is buffered.
            ///
            /// - Throws: ``KafkaError`` after a fatal librdkafka error, or `CancellationError`
            ///   when the waiting task is cancelled.
            public mutating func next() async throws -> KafkaMessage? {
                try await Self.next(shared)
            }

            private static func next(_ shared: ConsumerShared) async throws -> KafkaMessage? {
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<KafkaMessage?, any Error>) in
                        enum Action {
                            case resume(Result<KafkaMessage?, any Error>, wakePoller: Bool)
                            case wait
                        }
                        let action = shared.mutex.withLock { state -> Action in
                            if let message = state.buffer.popFirst() {
                                let wake = state.pollerWaitsForSpace && state.buffer.count < state.capacity
                                if wake { state.pollerWaitsForSpace = false }
                                return .resume(.success(message), wakePoller: wake)
                            }
                            if state.finished {
                                return .resume(state.failure.map { .failure($0) } ?? .success(nil), wakePoller: false)
                            }
                            if Task.isCancelled {
                                return .resume(.failure(CancellationError()), wakePoller: false)
                            }
                            if state.waiter != nil {
                                let error = KafkaError(code: .invalidArgument, reason: "two tasks iterate the same Kafka consumer's messages; iterate with one task at a time")
                                return .resume(.failure(error), wakePoller: false)
                            }
                            state.waiter = continuation
                            return .wait
                        }
                        if case .resume(let result, let wakePoller) = action {
                            if wakePoller { shared.spaceAvailable.signal() }
                            continuation.resume(with: result)
                        }
                    }
                } onCancel: {
                    let waiter = shared.mutex.withLock { state in
                        defer { state.waiter = nil }
                        return state.waiter
                    }
                    waiter?.resume(throwing: CancellationError())
                }
            }
        }
    }
}
