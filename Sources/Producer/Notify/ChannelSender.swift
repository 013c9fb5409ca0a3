import Dispatch
import Foundation
import Shared

/// Sends one alert to one channel: builds the request or mail, makes each attempt on a
/// thread of its own with the channel's connect and total timeouts, and retries retryable
/// failures with exponential backoff.
///
/// A receiver that never answers holds only its own attempt's thread until the total
/// timeout; other deliveries go on meanwhile.
struct ChannelSender: Sendable {
    /// How one delivery ended.
    struct Outcome: Sendable, Hashable {
        var delivered: Bool
        var attempts: Int
        /// The last error, for failed deliveries.
        var error: String?
        /// The HTTP status of the last answer, when there was one.
        var status: Int?
        var elapsedMilliseconds: Int64
    }

    /// One attempt's failure and whether another attempt may succeed.
    struct AttemptFailure: Error, Sendable, Hashable {
        var message: String
        var retryable: Bool
        var status: Int?
    }

    /// Sends `notice` to `target`, retrying up to the channel's attempts.
    func deliver(_ notice: AlertNotice, to target: ChannelDirectory.Target, now: @Sendable () -> Date = Date.init) async -> Outcome {
        var notice = notice
        notice.mentions = target.mentions
        let channel = target.channel
        return await Self.retrying(channel, now: now) { [notice] time in
            try Self.attemptBlocking(notice, channel: channel, now: time)
        }
    }

    /// Makes attempts of `send` until one succeeds, a failure is not retryable, or the
    /// channel's attempts are used up, with exponential backoff and full jitter in between.
    static func retrying(
        _ channel: ChannelDirectory.Channel, now: @Sendable () -> Date = Date.init, _ send: @escaping @Sendable (Date) throws -> Void
    ) async -> Outcome {
        let started = ContinuousClock.now
        var backoff = channel.initialBackoffMilliseconds
        var attempt = 0
        var lastFailure: AttemptFailure?
        while attempt < max(1, channel.maxAttempts) {
            attempt += 1
            do {
                try await Self.attempt(now(), send)
                return Outcome(delivered: true, attempts: attempt, error: nil, status: nil, elapsedMilliseconds: started.elapsedMilliseconds)
            } catch let failure as AttemptFailure {
                lastFailure = failure
                guard failure.retryable, attempt < channel.maxAttempts, !Task.isCancelled else { break }
            } catch {
                lastFailure = AttemptFailure(message: "\(error)", retryable: false)
                break
            }
            // Full jitter keeps channels that failed together from retrying together.
            let wait = Int64.random(in: (backoff / 2)...max(backoff / 2, backoff))
            try? await Task.sleep(for: .milliseconds(wait))
            backoff = min(channel.maxBackoffMilliseconds, Int64(Double(backoff) * channel.multiplier))
        }
        return Outcome(delivered: false, attempts: attempt, error: lastFailure.map { SecretRedactor.shared.redact($0.message) },
            status: lastFailure?.status, elapsedMilliseconds: started.elapsedMilliseconds)
    }

    /// One attempt, on a thread of its own because libcurl blocks: Dispatch's global queue is
    /// as wide as the machine has cores, so a few hung receivers would hold every delivery.
    static func attempt(_ now: Date, _ send: @escaping @Sendable (Date) throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                continuation.resume(with: Result { try send(now) })
            }
            thread.name = "channel-delivery"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    static func attemptBlocking(_ notice: AlertNotice, channel: ChannelDirectory.Channel, now: Date) throws {
        let settings = channel.settings
        if settings.isEmail {
            let mail = EmailMessage.build(channel: settings, channelName: channel.name, notice: notice)
            guard !mail.to.isEmpty else {
                throw AttemptFailure(message: "the email channel has no recipients: set to: or name contacts with an email", retryable: false)
            }
            try sendMail(mail, channel: channel, now: now)
            return
        }
        guard let url = channel.secrets.webhookURL else {
            throw AttemptFailure(message: "the channel has no webhook URL", retryable: false)
        }
        try post(ChannelRequest.build(channel: settings, webhookURL: url, secret: channel.secrets.secret, notice: notice, now: now), channel: channel)
    }

    /// Sends one mail through the channel's SMTP server, blocking.
    static func sendMail(_ mail: EmailMessage, channel: ChannelDirectory.Channel, now: Date) throws {
        let settings = channel.settings
        let transfer = try CurlTransfer()
        do {
            try transfer.sendMail(
                host: settings.host ?? "localhost", port: settings.port ?? 587, starttls: settings.starttls ?? true,
                username: settings.username, password: channel.secrets.password, from: mail.from, recipients: mail.to,
                message: mail.rendered(date: now), connectTimeoutMilliseconds: channel.connectTimeoutMilliseconds,
                timeoutMilliseconds: channel.timeoutMilliseconds, caFile: settings.caFile)
        } catch let failure as CurlTransfer.Failure {
            // Login and recipient refusals (libcurl 67, 55 after a 5xx reply) do not heal by retrying.
            throw AttemptFailure(message: "SMTP: \(failure)", retryable: ![67].contains(failure.code))
        }
    }

    /// Posts one request to a chat or webhook channel and checks the answer, blocking.
    static func post(_ request: ChannelRequest, channel: ChannelDirectory.Channel) throws {
        let transfer = try CurlTransfer()
        let response: CurlTransfer.Response
        do {
            response = try transfer.post(
                url: request.url, headers: request.headers, body: request.body,
                connectTimeoutMilliseconds: channel.connectTimeoutMilliseconds, timeoutMilliseconds: channel.timeoutMilliseconds,
                caFile: channel.settings.caFile)
        } catch let failure as CurlTransfer.Failure {
            throw AttemptFailure(message: failure.description, retryable: true)
        }
        try check(response, type: channel.settings.type)
    }

    /// Error codes in an HTTP 200 answer that mean "too fast, try later".
    static let rateLimitedCodes: Set<Int64> = [130101, 45009, 9499, 11232]

    /// Checks an answer: a 2xx status, and for the chat robots an error code of 0 in the body.
    static func check(_ response: CurlTransfer.Response, type: String) throws {
        let text = String(decoding: response.body.prefix(500), as: UTF8.self)
        guard (200..<300).contains(response.status) else {
            let retryable = response.status == 429 || response.status >= 500 || response.status == 408
            throw AttemptFailure(message: "HTTP \(response.status): \(text)", retryable: retryable, status: response.status)
        }
        guard ["dingtalk", "wecom", "feishu"].contains(type), let json = try? JSONValue.parse(Data(response.body)) else { return }
        let code = json["errcode"]?.intValue ?? json["code"]?.intValue ?? json["StatusCode"]?.intValue ?? 0
        if code != 0 {
            let message = json["errmsg"]?.stringValue ?? json["msg"]?.stringValue ?? json["StatusMessage"]?.stringValue ?? text
            throw AttemptFailure(message: "\(type) refused the message: \(code) \(message)", retryable: rateLimitedCodes.contains(code), status: response.status)
        }
    }
}

extension ContinuousClock.Instant {
    var elapsedMilliseconds: Int64 {
        let elapsed = ContinuousClock.now - self
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }
}
