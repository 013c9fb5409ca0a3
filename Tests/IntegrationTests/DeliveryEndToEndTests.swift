import Foundation
import Shared
import Synchronization
import TestSupport
import Testing

/// A chatflow's answer delivered through real processes: Tansu, the Dify test double,
/// dify-worker and dify-producer, to a local chat receiver standing in for the WeCom,
/// DingTalk and Feishu robots and to a local SMTP server. The answer is about 24 KB of
/// Chinese text, so each chat channel gets it split at its own limit; a producer restart and
/// a duplicate result send nothing more. A job made through the control API delivers too.
@Suite(.serialized) struct DeliveryEndToEndTests {
    /// Requests the chat receiver accepted, by path, with each robot's size limit enforced as
    /// the real service does.
    final class ChatReceiver: Sendable {
        let bodies = Mutex<[String: [JSONValue]]>([:])
        let rejected = Mutex<[String]>([])

        func handle(_ request: HTTPRequest) -> HTTPResponse {
            guard let body = try? JSONValue.parse(request.body) else { return .text(400, "not JSON") }
            let bytes = request.body.count
            switch request.path {
            case "/wecom":
                let content = body["markdown"]?["content"]?.stringValue ?? ""
                if content.utf8.count > 4096 {
                    rejected.withLock { $0.append("wecom \(content.utf8.count) bytes") }
                    return .json(200, ["errcode": .int(40058), "errmsg": .string("markdown.content exceed max length 4096")])
                }
            case "/dingtalk", "/feishu":
                if bytes > 20_000 {
                    rejected.withLock { $0.append("\(request.path) \(bytes) bytes") }
                    return .json(200, ["errcode": .int(460101), "errmsg": .string("message too long, exceed 20000 bytes")])
                }
            default:
                return .text(404, "no such robot")
            }
            bodies.withLock { $0[request.path, default: []].append(body) }
            return .json(200, ["errcode": .int(0), "errmsg": .string("ok"), "code": .int(0)])
        }

        func count(_ path: String) -> Int { bodies.withLock { $0[path]?.count ?? 0 } }
    }

    /// Forty paragraphs of about 600 bytes each, every one ending in its own marker.
    static let query: String = (1...40).map { index in
        String(repeating: "本段汇总了华东、华南和华北地区的订单、收入与退货情况，数据来自昨日的交易记录。", count: 5) + "段落标记\(index)。"
    }.joined(separator: "\n\n")

    @Test func answerReachesChatAndMailSplitOnce() async throws {
        let cluster = try await SchedulerCluster.start(name: "e2e-delivery", doubleApps: ["chat": "chat"])
        defer { cluster.stop() }
        let smtp = try NotifySMTPServer()
        defer { smtp.stop() }

        let receiver = ChatReceiver()
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), logger: Logger(label: "receiver")) { request in
            receiver.handle(request)
        }
        try server.start()
        defer { Task { await server.shutdown() } }
        let port = try #require(server.boundPort)

        let instant = Timestamp.rfc3339(Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 8).rounded(.down)))
        let indentedQuery = Self.query.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n")
        let config = try cluster.writeConfig("""
            channels:
              wecom-team: {type: wecom, webhook_env: TEST_WECOM_HOOK, language: zh-CN}
              ding-team: {type: dingtalk, webhook_env: TEST_DING_HOOK, language: zh-CN}
              feishu-team: {type: feishu, webhook_env: TEST_FEISHU_HOOK, language: zh-CN}
              ops-mail:
                type: email
                host: 127.0.0.1
                port: \(smtp.port)
                ca_file: \(smtp.certificate)
                username: bot
                password_env: TEST_SMTP_PASSWORD
                from: scheduler@example.com
                to: [team@example.com]
            jobs:
              - id: daily-summary
                app: chat
                kind: chatflow
                query: |-
            \(indentedQuery)
                schedule: {every: 1h, start: "\(instant)", end: "\(instant)"}
                inputs: {topic: sales}
                deliver:
                  channels: [wecom-team, ding-team, feishu-team, ops-mail]
                  title: 每日销售汇总
                  max_parts: 10
            """, extraApps: """
              chat:
                base_url: \(cluster.doubleBaseURL)
                api_key_env: \(SchedulerCluster.keyVariable(of: "chat"))
                mode: chatflow
            """, producerSettings: "public_url: http://console.example")
        try await cluster.createTopics(config: config)
        let environment = [
            "TEST_WECOM_HOOK": "http://127.0.0.1:\(port)/wecom",
            "TEST_DING_HOOK": "http://127.0.0.1:\(port)/dingtalk",
            "TEST_FEISHU_HOOK": "http://127.0.0.1:\(port)/feishu",
            "TEST_SMTP_PASSWORD": "smtp-pass",
        ]
        let worker = try cluster.startWorker(config: config, id: "delivery-worker")
        var producer = try cluster.startProducer(config: config, id: "delivery-producer-1", environment: environment)

        let results = try await cluster.waitForResults("the chatflow's result", timeout: .seconds(90)) { $0.contains { $0.jobID == "daily-summary" } }
        let result = try #require(results.first { $0.jobID == "daily-summary" })
        #expect(result.status == .succeeded)
        let answer = try #require(result.answer)
        #expect(answer == "Echo: " + Self.query)

        func outputEvents() async throws -> [ScheduleEvent] {
            try await cluster.events().filter { $0.type == .outputDelivered || $0.type == .outputFailed }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        var events = try await outputEvents()
        while events.count < 4 {
            guard ContinuousClock.now < deadline else { throw TestTimeout(activity: "four output events, got \(events.map(\.type))\n\(producer.log)", timeout: .seconds(60)) }
            try await Task.sleep(for: .milliseconds(500))
            events = try await outputEvents()
        }

        // Each channel got the answer once, split at its own limit.
        #expect(receiver.rejected.withLock { $0 } == [])
        #expect(events.allSatisfy { $0.type == .outputDelivered }, "\(events.map { $0.detail ?? [:] })")
        let partsByChannel = Dictionary(events.compactMap { event in
            event.detail?["channel"]?.stringValue.map { ($0, Int(event.detail?["parts"]?.intValue ?? 0)) }
        }, uniquingKeysWith: { first, _ in first })
        #expect(partsByChannel["wecom-team"] == receiver.count("/wecom"))
        #expect(partsByChannel["ding-team"] == receiver.count("/dingtalk"))
        #expect(partsByChannel["feishu-team"] == receiver.count("/feishu"))
        #expect(partsByChannel["ops-mail"] == 1)
        #expect(receiver.count("/wecom") >= 6)
        #expect(receiver.count("/dingtalk") == 2)
        #expect(receiver.count("/feishu") == 2)
        #expect(events.allSatisfy { $0.triggerID == result.triggerID })
        #expect(events.allSatisfy { $0.jobID == "daily-summary" })

        // The WeCom parts, in order, hold every paragraph once, with numbered titles and the
        // run link only on the last part.
        let wecom = receiver.bodies.withLock { $0["/wecom"] ?? [] }.compactMap { $0["markdown"]?["content"]?.stringValue }
        for (index, content) in wecom.enumerated() {
            #expect(content.hasPrefix("### 每日销售汇总 (\(index + 1)/\(wecom.count))"))
            #expect(content.contains("http://console.example/runs/\(result.triggerID)") == (index == wecom.count - 1))
        }
        let joined = wecom.joined()
        for index in 1...40 {
            #expect(joined.components(separatedBy: "段落标记\(index)。").count == 2, "paragraph \(index)")
        }
        let dingtalk = receiver.bodies.withLock { $0["/dingtalk"] ?? [] }.compactMap { $0["markdown"]?["text"]?.stringValue }.joined()
        #expect(dingtalk.contains("段落标记1。"))
        #expect(dingtalk.contains("段落标记40。"))

        // One mail with the whole answer in its plain-text part.
        let mails = smtp.mails()
        #expect(mails.count == 1)
        let data = try #require(mails.first?["data"] as? String)
        #expect(mails.first?["rcpt"] as? [String] == ["<team@example.com>"])
        let plain = try #require(Self.plainText(ofMail: data))
        #expect(plain.hasPrefix(answer))
        #expect(plain.contains("http://console.example/runs/\(result.triggerID)"))

        // A restart and a duplicate of the result send nothing more.
        #expect(await producer.terminate() == 0)
        try await cluster.publishRaw(topic: cluster.topics.results, key: "daily-summary", value: Array(MessageCodec.encode(result)))
        producer = try cluster.startProducer(config: config, id: "delivery-producer-2", environment: environment)
        try await producer.waitForLog("notifier took over partitions", timeout: .seconds(60))
        try await Task.sleep(for: .seconds(5))
        #expect(receiver.count("/wecom") == partsByChannel["wecom-team"])
        #expect(receiver.count("/dingtalk") == 2)
        #expect(receiver.count("/feishu") == 2)
        #expect(smtp.mails().count == 1)
        #expect(try await outputEvents().count == 4)
        #expect(producer.log.contains("output already delivered"))

        // A job made through the control API delivers too; an unknown channel is rejected.
        let api = ControlClient(port: try await producer.controlPort())
        try await api.waitUntilReady()
        let soon = Timestamp.rfc3339(Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 4).rounded(.down)))
        var job: [String: JSONValue] = [
            "id": "api-summary", "app": "chat", "kind": "chatflow", "query": "简短的问题",
            "schedule": ["every": "1h", "start": .string(soon), "end": .string(soon)], "inputs": ["topic": "sales"],
            "deliver": ["channels": ["wecom-tema"], "title": "API 汇总"],
        ]
        let rejected = try await api.send("POST", "/v1/jobs", body: .object(job))
        #expect(rejected.status == 400)
        #expect(rejected.body["error"]?["field"] == .string("deliver.channels[0]"))
        job["deliver"] = ["channels": ["wecom-team"], "title": "API 汇总"]
        let created = try await api.send("POST", "/v1/jobs", body: .object(job))
        #expect(created.status == 201)
        try await waitUntil("the API job's output at the robot", timeout: .seconds(60)) {
            receiver.bodies.withLock { $0["/wecom"] ?? [] }.contains { $0["markdown"]?["content"]?.stringValue?.hasPrefix("### API 汇总") == true }
        }
        let apiContent = receiver.bodies.withLock { $0["/wecom"] ?? [] }.compactMap { $0["markdown"]?["content"]?.stringValue }.first { $0.hasPrefix("### API 汇总") }
        #expect(apiContent?.contains("Echo: 简短的问题") == true)

        await producer.terminate()
        await worker.terminate()
    }

    /// Decodes the text/plain part of a MIME mail whose parts are base64.
    static func plainText(ofMail data: String) -> String? {
        let lines = data.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("Content-Type: text/plain") }) else { return nil }
        var encoded = ""
        var index = start + 1
        while index < lines.count, !lines[index].isEmpty { index += 1 }
        index += 1
        while index < lines.count, !lines[index].hasPrefix("--") {
            encoded += lines[index]
            index += 1
        }
        return Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) }
    }
}
