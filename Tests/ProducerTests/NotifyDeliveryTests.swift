import Foundation
import Shared
import Synchronization
import TestSupport
import Testing

@testable import Producer

/// Deliveries against receivers started by the test: one HTTP receiver that checks each chat
/// channel's payload and signature, and an SMTP server with STARTTLS.
@Suite("Notify delivery", .serialized)
struct NotifyDeliveryTests {
    /// What the receiver saw, per path.
    final class Receiver: Sendable {
        let requests = Mutex<[String: [HTTPRequest]]>([:])
        let flakyCalls = Mutex(0)

        func handle(_ request: HTTPRequest) async -> HTTPResponse {
            requests.withLock { $0[request.path, default: []].append(request) }
            switch request.path {
            case "/dingtalk":
                // Check the signature as DingTalk does: HMAC of "timestamp\nsecret".
                guard let timestamp = request.query("timestamp").flatMap(Int64.init), let sign = request.query("sign"),
                    sign == ChannelSignature.dingtalk(secret: "SEC-ding", timestampMilliseconds: timestamp),
                    abs(Double(timestamp) / 1000 - Date().timeIntervalSince1970) < 3600
                else { return .json(200, ["errcode": .int(310000), "errmsg": .string("sign not match")]) }
                return .json(200, ["errcode": .int(0), "errmsg": .string("ok")])
            case "/feishu":
                guard let body = try? JSONValue.parse(request.body), let timestamp = body["timestamp"]?.stringValue.flatMap(Int64.init),
                    body["sign"]?.stringValue == ChannelSignature.feishu(secret: "fs-secret", timestampSeconds: timestamp),
                    body["msg_type"] == .string("interactive")
                else { return .json(200, ["code": .int(19021), "msg": .string("sign match fail or timestamp is not within one hour from current time")]) }
                return .json(200, ["code": .int(0), "msg": .string("success")])
            case "/wecom":
                guard let body = try? JSONValue.parse(request.body), body["msgtype"] == .string("markdown"),
                    (body["markdown"]?["content"]?.stringValue?.utf8.count ?? 5000) <= 4096
                else { return .json(200, ["errcode": .int(40008), "errmsg": .string("invalid message type")]) }
                return .json(200, ["errcode": .int(0), "errmsg": .string("ok")])
            case "/slack":
                guard let body = try? JSONValue.parse(request.body), body["text"]?.stringValue != nil else { return .text(400, "invalid_payload") }
                return .text(200, "ok")
            case "/webhook":
                guard let timestamp = request.header("X-Dify-Scheduler-Timestamp").flatMap(Int64.init),
                    request.header("X-Dify-Scheduler-Signature") == ChannelSignature.webhook(secret: "wh-secret", timestampSeconds: timestamp, body: Array(request.body))
                else { return .text(401, "bad signature") }
                return .text(204, "")
            case "/flaky":
                let call = flakyCalls.withLock { count in
                    count += 1
                    return count
                }
                return call < 3 ? .text(503, "busy") : .text(200, "ok")
            default:
                return .text(404, "no such hook")
            }
        }

        func count(_ path: String) -> Int { requests.withLock { $0[path]?.count ?? 0 } }
    }

    // Generous default timeouts, so a machine busy with other tests does not turn a slow answer
    // into a retry; the tests of timeouts set their own.
    static func channel(_ type: String, name: String, url: String?, secret: String? = nil, timeout: String = "15s", attempts: Int = 3) -> ChannelDirectory.Channel {
        var settings = ChannelSettings(type: type)
        settings.language = type == "dingtalk" || type == "wecom" ? "zh-CN" : "en"
        settings.timeout = timeout
        settings.connectTimeout = "5s"
        settings.retry = RetryPolicy(maxAttempts: attempts, initialBackoff: "50ms", maxBackoff: "200ms")
        return ChannelDirectory.channel(name: name, settings: settings, secrets: .init(webhookURL: url, secret: secret))
    }

    static func notice() -> AlertNotice {
        var alert = Alert(kind: .failure, severity: .critical, jobID: "nightly", app: "report-bot", triggerID: "t-42", status: .failed,
            message: "HTTP 500 <b>upstream</b> *failed*", channels: ["ops"])
        alert.detail = ["attempts": .int(3), "run_time_ms": .int(1500), "total_tokens": .int(99)]
        return AlertNotice(alert: alert, timezone: "Asia/Shanghai", runLink: "http://console.example/runs/t-42")
    }

    func withReceiver(_ body: (Receiver, String) async throws -> Void) async throws {
        let receiver = Receiver()
        let server = HTTPServer(configuration: HTTPServerConfiguration(threads: 4, shutdownGracePeriod: .seconds(1)), logger: Logger(label: "receiver")) { request in
            await receiver.handle(request)
        }
        try server.start()
        let port = try #require(server.boundPort)
        do {
            try await body(receiver, "http://127.0.0.1:\(port)")
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test func eachChatChannelIsAcceptedByItsReceiver() async throws {
        try await withReceiver { receiver, base in
            let sender = ChannelSender()
            let channels = [
                Self.channel("dingtalk", name: "ding", url: "\(base)/dingtalk?access_token=tok", secret: "SEC-ding"),
                Self.channel("feishu", name: "fs", url: "\(base)/feishu", secret: "fs-secret"),
                Self.channel("wecom", name: "wc", url: "\(base)/wecom?key=k"),
                Self.channel("slack", name: "sl", url: "\(base)/slack"),
                Self.channel("webhook", name: "wh", url: "\(base)/webhook", secret: "wh-secret"),
            ]
            for channel in channels {
                let outcome = await sender.deliver(Self.notice(), to: .init(channel: channel, mentions: AlertMentions()))
                #expect(outcome.delivered, "\(channel.name): \(outcome.error ?? "")")
                #expect(outcome.attempts == 1)
            }
            let ding = try #require(receiver.requests.withLock { $0["/dingtalk"]?.first })
            #expect(ding.query("access_token") == "tok")
            let text = try JSONValue.parse(ding.body)["markdown"]?["text"]?.stringValue ?? ""
            #expect(text.contains("任务"))
            #expect(text.contains("&lt;b&gt;upstream&lt;/b&gt; \\*failed\\*"))
        }
    }

    @Test func wrongSecretIsReportedNotRetried() async throws {
        try await withReceiver { receiver, base in
            let channel = Self.channel("dingtalk", name: "ding", url: "\(base)/dingtalk?access_token=tok", secret: "SEC-wrong")
            let outcome = await ChannelSender().deliver(Self.notice(), to: .init(channel: channel, mentions: AlertMentions()))
            #expect(!outcome.delivered)
            #expect(outcome.attempts == 1)
            #expect(outcome.error?.contains("310000") == true)
            #expect(receiver.count("/dingtalk") == 1)
        }
    }

    @Test func serverErrorsAreRetriedWithBackoff() async throws {
        try await withReceiver { receiver, base in
            let channel = Self.channel("webhook", name: "flaky", url: "\(base)/flaky", attempts: 3)
            let outcome = await ChannelSender().deliver(Self.notice(), to: .init(channel: channel, mentions: AlertMentions()))
            #expect(outcome.delivered)
            #expect(outcome.attempts == 3)
            #expect(receiver.count("/flaky") == 3)
        }
    }

    @Test func receiverThatNeverAnswersTimesOutWithoutBlockingOthers() async throws {
        try await withReceiver { receiver, base in
            let sender = ChannelSender()
            let silent = try SilentListener()
            let hung = Self.channel("webhook", name: "hung", url: "http://127.0.0.1:\(silent.port)/hook", timeout: "300ms", attempts: 2)
            let fast = Self.channel("slack", name: "fast", url: "\(base)/slack")
            let clock = ContinuousClock()
            let started = clock.now
            async let slow = sender.deliver(Self.notice(), to: .init(channel: hung, mentions: AlertMentions()))
            try await Task.sleep(for: .milliseconds(50))
            let quick = await sender.deliver(Self.notice(), to: .init(channel: fast, mentions: AlertMentions()))
            let quickDone = clock.now - started
            let timedOut = await slow
            withExtendedLifetime(silent) {}
            #expect(quick.delivered)
            // The quick delivery ends while the hung one is still in its attempts.
            #expect(quickDone < .milliseconds(timedOut.elapsedMilliseconds))
            #expect(!timedOut.delivered)
            #expect(timedOut.attempts == 2)
            #expect(timedOut.error?.contains("28") == true || timedOut.error?.lowercased().contains("timed out") == true)
            // Two attempts of 300 ms and one backoff; the bound leaves room for a busy machine.
            #expect(timedOut.elapsedMilliseconds < 5000)
            #expect(receiver.count("/slack") == 1)
        }
    }

    @Test func refusedConnectionIsRetriedThenReported() async throws {
        let channel = Self.channel("webhook", name: "closed", url: "http://127.0.0.1:1/hook", attempts: 2)
        let outcome = await ChannelSender().deliver(Self.notice(), to: .init(channel: channel, mentions: AlertMentions()))
        #expect(!outcome.delivered)
        #expect(outcome.attempts == 2)
    }

    static func mailChannel(port: Int, certificate: String, starttls: Bool = true) -> ChannelDirectory.Channel {
        var settings = ChannelSettings(type: "email")
        settings.host = "127.0.0.1"
        settings.port = port
        settings.starttls = starttls
        settings.username = "bot"
        settings.from = "scheduler@example.com"
        settings.to = ["ops@example.com"]
        settings.caFile = certificate
        settings.language = "zh-CN"
        settings.timeout = "5s"
        settings.retry = RetryPolicy(maxAttempts: 1)
        return ChannelDirectory.channel(name: "mail", settings: settings, secrets: .init(password: "smtp-pass"))
    }

    @Test func mailIsSentOverSTARTTLSWithLogin() async throws {
        let server = try NotifySMTPServer()
        defer { server.stop() }
        var mentions = AlertMentions()
        mentions.emails = ["alice@example.com"]
        let outcome = await ChannelSender().deliver(Self.notice(), to: .init(channel: Self.mailChannel(port: server.port, certificate: server.certificate), mentions: mentions))
        #expect(outcome.delivered, "\(outcome.error ?? "")")
        let mail = try #require(server.mails().first)
        #expect(mail["tls"] as? Bool == true)
        #expect(mail["auth"] as? String == "\u{0}bot\u{0}smtp-pass")
        #expect(mail["from"] as? String == "<scheduler@example.com>")
        #expect(mail["rcpt"] as? [String] == ["<ops@example.com>", "<alice@example.com>"])
        let data = try #require(mail["data"] as? String)
        #expect(data.contains("Subject: =?UTF-8?B?"))
        #expect(data.contains("Content-Type: text/html; charset=UTF-8"))
    }

    @Test func mailIsNotSentWithoutSTARTTLS() async throws {
        let server = try NotifySMTPServer(offerStartTLS: false)
        defer { server.stop() }
        let outcome = await ChannelSender().deliver(Self.notice(), to: .init(channel: Self.mailChannel(port: server.port, certificate: server.certificate), mentions: AlertMentions()))
        #expect(!outcome.delivered)
        #expect(server.mails().isEmpty)
    }
}
