import Dispatch
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The result of one request to Dify that ended without a failure.
enum DifyExchangeResult: Sendable {
    /// An event stream that reached its end; the builder contains its events.
    case stream(RunTraceBuilder)
    /// Any other response, including error statuses.
    case body(status: Int, headers: [String: String], data: Data)
}

/// The limits of one exchange, each with the setting that controls it for messages.
struct DifyExchangeLimits: Sendable {
    var headersTimeout: Duration
    var headersTimeoutSetting: String
    /// A blocking run may still go on in Dify after its response timed out, so a retry could
    /// start a second run.
    var headersTimeoutRetryable: Bool
    var idleTimeout: Duration
    var bodyTimeout: Duration
    var maxBodyBytes: Int
    var maxEventBytes: Int
}

/// One request to Dify in flight: the URLSession task's delegate callbacks feed it, and it
/// resumes the caller's continuation exactly once.
///
/// - Important: The session delegate calls `receive(response:)`, `receive(data:)` and
///   `complete(error:)` on the session's serial delegate queue, so they never overlap and
///   `onEvent` sees events in stream order. Cancellation and the deadline timer come from
///   other threads; all state sits in one `Mutex`, and callbacks (`onEvent`, continuation
///   resumes, `cancel()`) run after the lock is released.
final class DifyExchange: Sendable {
    let context: DifyRequestContext
    /// The kind of run when the response may be a stream; nil for short calls.
    let runKind: DifyAppKind?
    let limits: DifyExchangeLimits
    let onEvent: (@Sendable (DifyStreamEvent) -> Void)?
    private let state: Mutex<State>

    private static let timerQueue = DispatchQueue(label: "dify.client.deadlines")

    private enum Phase {
        case awaitingHeaders, streaming, readingBody, done
    }

    private struct State {
        var phase = Phase.awaitingHeaders
        var continuation: CheckedContinuation<DifyExchangeResult, any Error>?
        var task: URLSessionDataTask?
        var timer: DispatchSourceTimer?
        var deadline = DispatchTime.now()
        /// When the timer fires next. Moving the deadline later leaves the timer alone (it
        /// re-arms when it fires early); moving it earlier re-arms it at once.
        var timerFiresAt = DispatchTime.now()
        var status = 0
        var headers: [String: String] = [:]
        var body = Data()
        var parser: SSEParser
        var builder: RunTraceBuilder
        /// A failure decided before the task completed: cancellation, a deadline, a limit.
        var failure: DifyError?

        mutating func setDeadline(_ instant: DispatchTime) {
            deadline = instant
            if instant < timerFiresAt {
                timerFiresAt = instant
                timer?.schedule(deadline: instant)
            }
        }
    }

    init(
        context: DifyRequestContext, runKind: DifyAppKind?, limits: DifyExchangeLimits,
        onEvent: (@Sendable (DifyStreamEvent) -> Void)?
    ) {
        self.context = context
        self.runKind = runKind
        self.limits = limits
        self.onEvent = onEvent
        state = Mutex(
            State(parser: SSEParser(maxFrameBytes: limits.maxEventBytes), builder: RunTraceBuilder(kind: runKind ?? .workflow))
        )
    }

    // MARK: - Caller side

    /// Stores the continuation and starts `task`, or resumes at once when cancelled already.
    func start(_ task: URLSessionDataTask, continuation: CheckedContinuation<DifyExchangeResult, any Error>) {
        let cancelled: DifyError? = state.withLock { state in
            if let failure = state.failure {
                state.phase = .done
                return failure
            }
            state.continuation = continuation
            state.task = task
            let timer = DispatchSource.makeTimerSource(queue: DifyExchange.timerQueue)
            timer.setEventHandler { [weak self] in self?.checkDeadline() }
            state.timer = timer
            state.timerFiresAt = .distantFuture
            state.setDeadline(.now() + limits.headersTimeout.seconds)
            timer.resume()
            return nil
        }
        if let cancelled {
            continuation.resume(throwing: cancelled)
        } else {
            task.resume()
        }
    }

    /// Cancels the request because the calling Swift task was cancelled.
    func cancel() {
        let task: URLSessionDataTask? = state.withLock { state in
            guard state.phase != .done, state.failure == nil else { return nil }
            state.failure = failure(.cancelled, "The call \(context.call) to app '\(context.app)' was cancelled.", state)
            state.failure?.retryable = false
            return state.task
        }
        task?.cancel()
    }

    private func checkDeadline() {
        let task: URLSessionDataTask? = state.withLock { state in
            guard state.phase != .done, state.failure == nil else { return nil }
            if DispatchTime.now() < state.deadline {
                state.timerFiresAt = .distantFuture
                state.setDeadline(state.deadline)
                return nil
            }
            state.failure = timeoutFailure(state)
            return state.task
        }
        task?.cancel()
    }

    private func timeoutFailure(_ state: State) -> DifyError {
        let app = "'\(context.app)'"
        switch state.phase {
        case .streaming:
            let seconds = DifyError.seconds(limits.idleTimeout)
            return failure(
                .streamBroken,
                "The stream of \(context.call) for app \(app) sent nothing for \(seconds) s (streamIdleTimeout; "
                    + "Dify pings every 10 s), so it was closed.", state)
        case .awaitingHeaders:
            let seconds = DifyError.seconds(limits.headersTimeout)
            var error = failure(
                .timeout,
                "Dify did not respond to \(context.call) for app \(app) within \(seconds) s "
                    + "(\(limits.headersTimeoutSetting)). "
                    + (limits.headersTimeoutRetryable
                        ? "Check that Dify is up and not overloaded; retrying with a backoff."
                        : "The run may still be going on in Dify; streaming mode lets the worker follow it."),
                state)
            error.retryable = limits.headersTimeoutRetryable
            return error
        case .readingBody, .done:
            let seconds = DifyError.seconds(limits.bodyTimeout)
            return failure(
                .timeout,
                "Dify's response to \(context.call) for app \(app) did not complete within \(seconds) s "
                    + "(requestTimeout).", state)
        }
    }

    // MARK: - Delegate side

    func receive(response: URLResponse) {
        state.withLock { state in
            guard state.phase == .awaitingHeaders else { return }
            let http = response as? HTTPURLResponse
            state.status = http?.statusCode ?? 0
            for (key, value) in http?.allHeaderFields ?? [:] {
                if let key = key as? String, let value = value as? String { state.headers[key] = value }
            }
            let contentType = state.headers.first { $0.key.lowercased() == "content-type" }?.value.lowercased() ?? ""
            if runKind != nil, (200...299).contains(state.status), contentType.hasPrefix("text/event-stream") {
                state.phase = .streaming
                state.setDeadline(.now() + limits.idleTimeout.seconds)
            } else {
                state.phase = .readingBody
                state.setDeadline(.now() + limits.bodyTimeout.seconds)
            }
        }
    }

    func receive(data: Data) {
        var stopTask: URLSessionDataTask?
        var finished: (CheckedContinuation<DifyExchangeResult, any Error>?, RunTraceBuilder)?
        let events: [DifyStreamEvent] = state.withLock { state in
            switch state.phase {
            case .streaming:
                state.setDeadline(.now() + limits.idleTimeout.seconds)
                let frames: [SSEEvent]
                do throws(DifyError) {
                    frames = try state.parser.feed(data)
                } catch {
                    state.failure = failure(error.code, error.reason, state)
                    stopTask = state.task
                    return []
                }
                let events = frames.compactMap(DifyStreamEvent.decode)
                for event in events { state.builder.consume(event) }
                if state.builder.isFinished {
                    finished = (finish(&state), state.builder)
                    stopTask = state.task
                }
                return events
            case .readingBody:
                state.body.append(data)
                if state.body.count > limits.maxBodyBytes, state.failure == nil {
                    state.failure = failure(
                        .invalidResponse,
                        "Dify's response to \(context.call) for app '\(context.app)' is larger than "
                            + "\(limits.maxBodyBytes) bytes (maxResponseBytes); it was not read.", state)
                    stopTask = state.task
                }
                return []
            case .awaitingHeaders, .done:
                return []
            }
        }

        if let onEvent {
            for event in events { onEvent(event) }
        }
        if let (continuation, builder) = finished {
            continuation?.resume(returning: .stream(builder))
        }
        stopTask?.cancel()
    }

    func complete(error: (any Error)?) {
        var trailing: [DifyStreamEvent] = []
        let resolution: (CheckedContinuation<DifyExchangeResult, any Error>?, Result<DifyExchangeResult, DifyError>)? =
            state.withLock { state in
                guard state.phase != .done else { return nil }
                if let failure = state.failure {
                    return (finish(&state), .failure(failure))
                }
                if let error {
                    let failure = transportFailure(error, state)
                    return (finish(&state), .failure(failure))
                }
                switch state.phase {
                case .streaming:
                    trailing = state.parser.finish().compactMap(DifyStreamEvent.decode)
                    for event in trailing { state.builder.consume(event) }
                    if state.builder.canEndHere {
                        return (finish(&state), .success(.stream(state.builder)))
                    }
                    let failure = failure(
                        .streamBroken,
                        "The stream of \(context.call) for app '\(context.app)' ended before its final event.",
                        state)
                    return (finish(&state), .failure(failure))
                default:
                    let result = DifyExchangeResult.body(status: state.status, headers: state.headers, data: state.body)
                    return (finish(&state), .success(result))
                }
            }

        if let onEvent {
            for event in trailing { onEvent(event) }
        }
        guard let (continuation, result) = resolution else { return }
        continuation?.resume(with: result.mapError { $0 as any Error })
    }

    /// Ends the exchange: stops the timer and hands out the continuation to resume.
    private func finish(_ state: inout State) -> CheckedContinuation<DifyExchangeResult, any Error>? {
        state.phase = .done
        state.timer?.cancel()
        state.timer = nil
        defer { state.continuation = nil }
        return state.continuation
    }

    // MARK: - Failures

    /// Builds a failure carrying the run id, task id and partial outcome seen so far. Once a
    /// stream has shown a run id, `retryable` is false: the run exists in Dify, and the worker
    /// follows it with `GET /workflows/run/{id}` instead of starting another.
    private func failure(_ code: DifyError.Code, _ reason: String, _ state: State) -> DifyError {
        let builder = state.builder
        var runReason = reason
        if code == .streamBroken {
            runReason +=
                builder.runID.map { " Run \($0) may still be going on in Dify; follow it with GET /workflows/run/\($0)." }
                ?? " No workflow_started arrived, so no run can be followed; retrying starts a new run."
        }
        var error = DifyError(
            code: code, reason: context.scrub(runReason), httpStatus: state.status == 0 ? nil : state.status,
            retryable: builder.runID == nil && code != .invalidResponse, app: context.app,
            runID: builder.runID, taskID: builder.taskID
        )
        if state.phase == .streaming || builder.runID != nil { error.partialOutcome = builder.outcome() }
        return error
    }

    private func transportFailure(_ error: any Error, _ state: State) -> DifyError {
        let nsError = error as NSError
        let detail = context.scrub(nsError.localizedDescription)
        if state.phase == .streaming || state.phase == .readingBody && state.status != 0 {
            return failure(
                .streamBroken,
                "The connection of \(context.call) for app '\(context.app)' broke while reading the response "
                    + "(\(detail)).", state)
        }

        let code = URLError.Code(rawValue: nsError.code)
        let app = "'\(context.app)'"
        switch code {
        case .cancelled:
            return failure(.cancelled, "The call \(context.call) to app \(app) was cancelled.", state)
        case .timedOut:
            return failure(
                .timeout, "The call \(context.call) to app \(app) timed out (\(detail)); retrying with a backoff.",
                state)
        case .badURL, .unsupportedURL:
            var result = failure(
                .invalidConfiguration,
                "The URL of \(context.call) for app \(app) is not usable (\(detail)); check base_url of app \(app).",
                state)
            result.retryable = false
            return result
        case .secureConnectionFailed, .serverCertificateHasBadDate, .serverCertificateUntrusted,
            .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid, .clientCertificateRejected,
            .clientCertificateRequired:
            var result = failure(
                .network,
                "The TLS connection to Dify for app \(app) failed (\(detail)); check the server certificate and "
                    + "the https base_url of app \(app).", state)
            result.retryable = false
            return result
        default:
            return failure(
                .network,
                "Could not reach Dify for \(context.call) of app \(app) (\(detail)). Check base_url of app \(app) "
                    + "and that Dify is up; retrying with a backoff.", state)
        }
    }
}
