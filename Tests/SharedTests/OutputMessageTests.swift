import Foundation
import Shared
import Testing

@Suite("Output message")
struct OutputMessageTests {
    /// About 36 KB of Chinese Markdown: headings, paragraphs, a list and a code block.
    static let report: String = {
        var sections: [String] = []
        for day in 1...80 {
            sections.append("## 第 \(day) 天销售汇总")
            sections.append(String(repeating: "今天的订单量比昨天增长了百分之十二，华东地区贡献最大，退货率保持在百分之二以下。客户反馈集中在物流时效和包装质量两个方面。", count: 2))
            sections.append("- 订单：\(day * 100) 单\n- 收入：\(day * 1000) 元\n- 退货：\(day) 单")
        }
        sections.insert("```json\n{\"total\": 46500, \"region\": \"华东\"}\n```", at: 10)
        return sections.joined(separator: "\n\n")
    }()

    static func message(_ text: String = report, link: String? = "http://console.example/runs/t-1") -> OutputMessage {
        OutputMessage(title: "日报 · 2026-12-04 09:00 (Asia/Shanghai)", text: text, link: link, jobID: "daily", triggerID: "t-1", status: .succeeded, content: "answer")
    }

    static func channel(_ type: String) -> ChannelSettings {
        var settings = ChannelSettings(type: type)
        settings.language = "zh-CN"
        return settings
    }

    @Test func dingtalkBodiesStayUnder20000Bytes() throws {
        let message = Self.message()
        let parts = message.parts(channel: Self.channel("dingtalk"), overflow: .split, maxParts: 10)
        #expect(parts.count == 2)
        for part in parts {
            let request = message.request(channel: Self.channel("dingtalk"), webhookURL: "http://x/robot", secret: "s", part: part)
            #expect(request.body.count <= 20_000)
            let body = try JSONValue.parse(Data(request.body))
            #expect(body["markdown"]?["title"]?.stringValue == message.partTitle(part))
            #expect(message.partTitle(part).hasSuffix("(\(part.number)/2)"))
            let text = body["markdown"]?["text"]?.stringValue ?? ""
            #expect(text.contains("console.example") == part.isLast)
        }
    }

    @Test func wecomContentStaysUnder4096Bytes() throws {
        let message = Self.message()
        let parts = message.parts(channel: Self.channel("wecom"), overflow: .split, maxParts: 20)
        #expect(parts.count == 10)
        var seen = ""
        for part in parts {
            let request = message.request(channel: Self.channel("wecom"), webhookURL: "http://x/wecom", secret: nil, part: part)
            let content = try #require(JSONValue.parse(Data(request.body))["markdown"]?["content"]?.stringValue)
            #expect(content.utf8.count <= 4096)
            #expect(content.hasPrefix("### "))
            seen += part.text
        }
        // Every day's heading is delivered once, in order.
        let headings = seen.components(separatedBy: "## 第 ").count - 1
        #expect(headings == 80)
        #expect(!parts.contains { $0.isCut })
    }

    @Test func feishuAndSlackStayWithinLimits() throws {
        let message = Self.message()
        for part in message.parts(channel: Self.channel("feishu"), overflow: .split, maxParts: 10) {
            let request = message.request(channel: Self.channel("feishu"), webhookURL: "http://x/feishu", secret: "fs", part: part)
            #expect(request.body.count <= 20_000)
            let body = try JSONValue.parse(Data(request.body))
            #expect(body["card"]?["elements"]?.arrayValue?.first?["tag"]?.stringValue == "markdown")
        }
        let slack = Self.channel("slack")
        for part in message.parts(channel: slack, overflow: .split, maxParts: 20) {
            let body = try JSONValue.parse(Data(message.request(channel: slack, webhookURL: "http://x/slack", secret: nil, part: part).body))
            let section = try #require(body["blocks"]?.arrayValue?[1]["text"]?["text"]?.stringValue)
            #expect(section.utf16.count <= 3000)
        }
    }

    @Test func tooManyPartsAreCutWithLink() {
        let message = Self.message()
        let parts = message.parts(channel: Self.channel("wecom"), overflow: .split, maxParts: 3)
        #expect(parts.count == 3)
        let last = try? #require(parts.last)
        #expect(last?.isCut == true)
        #expect(last?.text.contains("[在控制台中查看完整输出](http://console.example/runs/t-1)") == true)
        #expect(last?.text.contains("个字符未发送") == true)
        for part in parts {
            let request = message.request(channel: Self.channel("wecom"), webhookURL: "http://x", secret: nil, part: part)
            let content = (try? JSONValue.parse(Data(request.body)))?["markdown"]?["content"]?.stringValue ?? ""
            #expect(content.utf8.count <= 4096)
        }
    }

    @Test func cutModeSendsOneMessage() {
        var settings = Self.channel("dingtalk")
        settings.language = "en"
        let parts = Self.message(link: nil).parts(channel: settings, overflow: .cut, maxParts: 5)
        #expect(parts.count == 1)
        #expect(parts[0].isCut)
        #expect(parts[0].text.contains("the run record of t-1 has the full output"))
    }

    @Test func webhookAndEmailTakeWholeText() throws {
        let message = Self.message()
        for type in ["webhook", "email"] {
            let parts = message.parts(channel: Self.channel(type), overflow: .split, maxParts: 5)
            #expect(parts.count == 1)
            #expect(parts[0].text == Self.report)
        }
        let part = message.parts(channel: Self.channel("webhook"), overflow: .split, maxParts: 5)[0]
        let body = try JSONValue.parse(Data(message.request(channel: Self.channel("webhook"), webhookURL: "http://x", secret: nil, part: part).body))
        #expect(body["markdown"]?.stringValue == Self.report)
        #expect(body["trigger_id"]?.stringValue == "t-1")
        var mailSettings = Self.channel("email")
        mailSettings.from = "bot@example.com"
        mailSettings.to = ["team@example.com"]
        let mail = message.mail(channel: mailSettings, channelName: "mail", part: part)
        #expect(mail.to == ["team@example.com"])
        #expect(mail.text.hasPrefix("## 第 1 天"))
        #expect(mail.html.contains("&quot;total&quot;"))
    }

    @Test func slackOutputIsConvertedAndCannotMention() throws {
        let message = Self.message("# Title\n\n**bold** and [docs](https://example.com/a) <!channel>\n\n```\n**kept**\n```")
        let part = message.parts(channel: Self.channel("slack"), overflow: .split, maxParts: 5)[0]
        #expect(part.text == "*Title*\n\n*bold* and <https://example.com/a|docs> &lt;!channel&gt;\n\n```\n**kept**\n```")
    }

    @Test func emptyOutputSaysSo() {
        let parts = Self.message("").parts(channel: Self.channel("wecom"), overflow: .split, maxParts: 5)
        #expect(parts.map(\.text) == ["_（运行没有输出）_"])
    }
}
