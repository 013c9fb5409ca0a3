import Foundation
import Shared
import Testing

/// Channel payloads, signatures, escaping, wording and channel configuration checks.
@Suite("Notify channels")
struct NotifyChannelTests {
    static func failureAlert(message: String = "HTTP 500 from *node* <b>x</b> [link](http://evil)") -> Alert {
        var alert = Alert(kind: .failure, severity: .critical, jobID: "daily-report", app: "report-bot", triggerID: "t-1",
            status: .failed, message: message, channels: ["ops"], time: Date(timeIntervalSince1970: 1_700_000_000))
        alert.detail = [
            "attempts": .int(3), "run_time_ms": .int(65_000), "total_tokens": .int(1234),
            "scheduled_at": .string("2023-11-14T22:13:20Z"),
        ]
        return alert
    }

    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    // Expected values computed independently with Python's hmac and base64 modules.
    @Test func signaturesMatchTheDocumentedAlgorithms() {
        #expect(ChannelSignature.dingtalk(secret: "SECtest", timestampMilliseconds: 1_700_000_000_000) == "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g=")
        #expect(ChannelSignature.queryEscape("aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g=") == "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g%3D")
        #expect(ChannelSignature.feishu(secret: "feishu-secret", timestampSeconds: 1_700_000_000) == "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU=")
        #expect(ChannelSignature.webhook(secret: "hook", timestampSeconds: 1_700_000_000, body: Array("{}".utf8))
            == "sha256=a446acd045a6455e6075fc1b8a4bc775909459ddd7c673414e716940d2881e96")
    }

    @Test func dingtalkRequestIsSignedMarkdownWithMentions() throws {
        var channel = ChannelSettings(type: "dingtalk")
        channel.language = "zh-CN"
        var notice = AlertNotice(alert: Self.failureAlert(), timezone: "Asia/Shanghai", runLink: "https://s.example/runs/t-1")
        notice.mentions.mobiles = ["13800000000"]
        let request = ChannelRequest.build(channel: channel, webhookURL: "https://oapi.example/robot/send?access_token=abc", secret: "SECtest", notice: notice, now: Self.now)
        #expect(request.url == "https://oapi.example/robot/send?access_token=abc&timestamp=1700000000000&sign=aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g%3D")
        let body = try JSONValue.parse(Data(request.body))
        #expect(body["msgtype"] == .string("markdown"))
        let text = try #require(body["markdown"]?["text"]?.stringValue)
        #expect(body["markdown"]?["title"]?.stringValue?.contains("运行失败") == true)
        #expect(text.contains("**任务**: daily-report"))
        #expect(text.contains("2023-11-15 06:13:20+08:00 (Asia/Shanghai)"))
        #expect(text.contains("1m5s") || text.contains("1m 5s") || text.contains("65s"))
        #expect(text.contains("[在控制台中查看运行](https://s.example/runs/t-1)"))
        // Dify's text cannot add markup or links.
        #expect(text.contains("\\*node\\* &lt;b&gt;x&lt;/b&gt; \\[link\\](http://evil)"))
        #expect(text.hasSuffix("@13800000000"))
        #expect(body["at"]?["atMobiles"] == .array([.string("13800000000")]))
    }

    @Test func feishuCardCarriesTimestampAndSign() throws {
        var channel = ChannelSettings(type: "feishu")
        channel.language = "en"
        var notice = AlertNotice(alert: Self.failureAlert(), runLink: "https://s.example/runs/t-1")
        notice.mentions.feishuOpenIDs = ["ou_123"]
        let request = ChannelRequest.build(channel: channel, webhookURL: "https://open.example/hook/x", secret: "feishu-secret", notice: notice, now: Self.now)
        let body = try JSONValue.parse(Data(request.body))
        #expect(body["timestamp"] == .string("1700000000"))
        #expect(body["sign"] == .string("OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU="))
        #expect(body["msg_type"] == .string("interactive"))
        #expect(body["card"]?["header"]?["template"] == .string("red"))
        let content = try #require(body["card"]?["elements"]?.arrayValue?.first?["text"]?["content"]?.stringValue)
        #expect(content.contains("**Job**: daily-report"))
        #expect(content.contains("<at id=ou_123></at>"))
        #expect(!content.contains("<b>"))
        let button = body["card"]?["elements"]?.arrayValue?.last?["actions"]?.arrayValue?.first
        #expect(button?["url"] == .string("https://s.example/runs/t-1"))
    }

    @Test func wecomMarkdownIsCappedAt4096Bytes() throws {
        let channel = ChannelSettings(type: "wecom")
        var notice = AlertNotice(alert: Self.failureAlert(message: String(repeating: "错误", count: 3000)))
        notice.mentions.wecomUserIDs = ["zhangsan"]
        let request = ChannelRequest.build(channel: channel, webhookURL: "https://qyapi.example/send?key=k", secret: nil, notice: notice, now: Self.now)
        let body = try JSONValue.parse(Data(request.body))
        let content = try #require(body["markdown"]?["content"]?.stringValue)
        #expect(content.utf8.count <= 4096)
        #expect(content.hasSuffix("<@zhangsan>"))
    }

    @Test func slackEscapesOnlyWhatSlackParses() throws {
        let channel = ChannelSettings(type: "slack")
        var notice = AlertNotice(alert: Self.failureAlert(message: "a < b & <!channel> *bold*"), runLink: "https://s.example/runs/t-1")
        notice.mentions.slackUserIDs = ["U1"]
        let request = ChannelRequest.build(channel: channel, webhookURL: "https://hooks.example/services/x", secret: nil, notice: notice, now: Self.now)
        let body = try JSONValue.parse(Data(request.body))
        let section = try #require(body["blocks"]?.arrayValue?.last?["text"]?["text"]?.stringValue)
        #expect(section.contains("a &lt; b &amp; &lt;!channel&gt; *\u{200B}bold*\u{200B}"))
        #expect(section.contains("<https://s.example/runs/t-1|Open the run in the console>"))
        #expect(section.contains("<@U1>"))
        #expect(body["text"]?.stringValue?.contains("Run failed: daily-report") == true)
    }

    @Test func webhookCarriesAlertAndSignatureHeader() throws {
        var channel = ChannelSettings(type: "webhook")
        channel.headers = ["X-Team": "ops"]
        let notice = AlertNotice(alert: Self.failureAlert(), runLink: "https://s.example/runs/t-1")
        let request = ChannelRequest.build(channel: channel, webhookURL: "http://127.0.0.1/hook", secret: "hook", notice: notice, now: Self.now)
        #expect(request.headers["X-Dify-Scheduler-Timestamp"] == "1700000000")
        #expect(request.headers["X-Dify-Scheduler-Signature"] == ChannelSignature.webhook(secret: "hook", timestampSeconds: 1_700_000_000, body: request.body))
        #expect(request.headers["X-Team"] == "ops")
        let body = try JSONValue.parse(Data(request.body))
        #expect(body["alert"]?["id"] == .string(Self.failureAlert().id))
        #expect(body["alert"]?["kind"] == .string("failure"))
        #expect(body["link"] == .string("https://s.example/runs/t-1"))
    }

    @Test func emailIsMultipartWithEncodedSubject() throws {
        var channel = ChannelSettings(type: "email")
        channel.from = "scheduler@example.com"
        channel.to = ["ops@example.com"]
        channel.language = "zh-CN"
        var notice = AlertNotice(alert: Self.failureAlert())
        notice.mentions.emails = ["alice@example.com", "ops@example.com"]
        let mail = EmailMessage.build(channel: channel, channelName: "mail", notice: notice)
        #expect(mail.to == ["ops@example.com", "alice@example.com"])
        let text = String(decoding: mail.rendered(date: Self.now), as: UTF8.self)
        #expect(text.contains("Subject: =?UTF-8?B?"))
        #expect(text.contains("Date: Tue, 14 Nov 2023 22:13:20 +0000"))
        #expect(text.contains("Content-Type: multipart/alternative"))
        #expect(!text.contains("\n\n") || text.contains("\r\n\r\n"))
        #expect(mail.html.contains("&lt;b&gt;x&lt;/b&gt;"))
        #expect(mail.text.contains("错误: HTTP 500"))
    }

    @Test func runLinkJoinsPublicURLAndTrigger() {
        #expect(AlertNotice.runLink(publicURL: "https://s.example/", triggerID: "t/1") == "https://s.example/runs/t%2F1")
        #expect(AlertNotice.runLink(publicURL: nil, triggerID: "t") == nil)
    }

    @Test func channelSettingsAreCheckedWithLines() throws {
        let text = """
            channels:
              ops:
                type: dingtalk
                language: fr
              mail:
                type: email
                host: smtp.example.com
                from: "not an address"
                username: bot
              chat:
                type: teams
            alerts:
              groups:
                oncall: [ops, nobody]
              rules:
                - app: "*"
                  success_rate_below: 1.5
                  channels: [ops]
              maintenance:
                - start: "2026-01-02T00:00:00Z"
                  end: "2026-01-01T00:00:00Z"
            jobs:
              - id: j
                app: a
                schedule: {every: 1h}
                alerts: {on: [failure], channels: [missing]}
            """
        let errors: [ConfigError]
        do {
            _ = try ConfigurationLoader(environment: [:]).load(text: text, file: "c.yaml")
            Issue.record("the configuration should be rejected")
            return
        } catch let failure as ConfigErrors {
            errors = failure.errors
        }
        let byPath = Dictionary(errors.map { ($0.path ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byPath["channels.ops.language"]?.line == 3)
        #expect(byPath["channels.ops.webhook_env"] != nil)
        #expect(byPath["channels.mail.from"]?.message.contains("not a mail address") == true)
        #expect(byPath["channels.mail.password_env"] != nil)
        #expect(byPath["channels.chat.type"]?.message.contains("unknown channel type \"teams\"") == true)
        #expect(byPath["alerts.groups.oncall[1]"]?.message.contains("\"nobody\"") == true)
        #expect(byPath["alerts.rules[0].success_rate_below"]?.line == 16)
        #expect(byPath["alerts.maintenance[0].end"] != nil)
        #expect(byPath["jobs[0].alerts.channels[0]"]?.message.contains("\"missing\"") == true)
    }

    @Test func secretsComeFromEnvironmentAndAreRedacted() throws {
        var channel = ChannelSettings(type: "dingtalk")
        channel.webhookEnv = "TEST_NOTIFY_HOOK"
        channel.secretEnv = "TEST_NOTIFY_SECRET"
        let secrets = try channel.resolveSecrets(name: "ops", environment: ["TEST_NOTIFY_HOOK": "https://x/robot?access_token=tok-9f2", "TEST_NOTIFY_SECRET": "SEC-abc-123"])
        #expect(secrets.secret == "SEC-abc-123")
        #expect(!SecretRedactor.shared.redact("secret SEC-abc-123").contains("SEC-abc-123"))
        #expect(throws: ConfigError.self) { try channel.resolveSecrets(name: "ops", environment: [:]) }
    }
}
