import Foundation
import Shared
import Synchronization
import Testing

@testable import Producer

/// The notifier's delivery of one run's output to a WeCom receiver started by the test: parts
/// retried one by one, a refused part ending the delivery, and the event that records it.
@Suite("Output delivery", .serialized)
struct OutputDeliveryTests {
    /// A WeCom robot that answers 503 to the listed calls and refuses content over 4096 bytes.
    final class Robot: Sendable {
        let contents = Mutex<[String]>([])
        let calls = Mutex(0)
        let busyCalls: Set<Int>
        let refusedCalls: Set<Int>

        init(busyCalls: Set<Int> = [], refusedCalls: Set<Int> = []) {
            self.busyCalls = busyCalls
            self.refusedCalls = refusedCalls
        }

        func handle(_ request: HTTPRequest) -> HTTPResponse {
            let call = calls.withLock { count in
                count += 1
                return count
            }
            if busyCalls.contains(call) { return .text(503, "busy") }
            let content = (try? JSONValue.parse(request.body))?["markdown"]?["content"]?.stringValue ?? ""
            if refusedCalls.contains(call) || content.utf8.count > 4096 {
                return .json(200, ["errcode": .int(40058), "errmsg": .string("markdown.content exceed max length 4096")])
            }
            contents.withLock { $0.append(content) }
            return .json(200, ["errcode": .int(0), "errmsg": .string("ok")])
        }
    }

    static func setup(robot: Robot) async throws -> (HTTPServer, ChannelDirectory.Channel) {
        let server = HTTPServer(configuration: HTTPServerConfiguration(threads: 2), logger: Logger(label: "robot")) { request in
            robot.handle(request)
        }
        try server.start()
        var settings = ChannelSettings(type: "wecom")
        settings.language = "zh-CN"
        settings.retry = RetryPolicy(maxAttempts: 3, initialBackoff: "20ms", maxBackoff: "50ms")
        let port = try #require(server.boundPort)
        let channel = ChannelDirectory.channel(name: "team", settings: settings, secrets: .init(webhookURL: "http://127.0.0.1:\(port)/wecom"))
        return (server, channel)
    }

    static func job() -> (Job, DeliverySpec) {
        let spec = DeliverySpec(channels: ["team"], content: "answer", title: "周报")
        var job = Job(id: "weekly", app: "writer", schedule: ScheduleSpec())
        job.kind = .completion
        job.deliver = spec
        return (job, spec)
    }

    static func result() -> RunResult {
        var result = RunResult(triggerID: "t-77", app: "writer", status: .succeeded)
        result.jobID = "weekly"
        // About 9 KB: three WeCom parts.
        result.answer = (1...30).map { "第 \($0) 条：" + String(repeating: "本周完成了数据管道迁移。", count: 8) }.joined(separator: "\n\n")
        return result
    }

    @Test func busyPartIsRetriedAlone() async throws {
        let robot = Robot(busyCalls: [2])
        let (server, channel) = try await Self.setup(robot: robot)
        let notifier = NotifierService(configuration: Configuration(), logger: Logger(label: "test"))
        let (job, spec) = Self.job()
        let event = try #require(await notifier.deliverOutput(Self.result(), job: job, spec: spec, channel: channel, renderer: RunOutputRenderer(publicURL: nil)))
        await server.shutdown()

        #expect(event.type == .outputDelivered)
        let parts = Int(event.detail?["parts"]?.intValue ?? 0)
        #expect(parts == 3)
        #expect(event.detail?["parts_sent"]?.intValue == 3)
        #expect(event.detail?["attempts"]?.intValue == 4)
        #expect(event.detail?["channel_type"]?.stringValue == "wecom")
        #expect(event.id == NotifierService.outputEvent(Self.result(), channel: "team", type: nil, outcome: .delivered).id)
        let contents = robot.contents.withLock { $0 }
        #expect(contents.count == 3)
        for (index, content) in contents.enumerated() {
            #expect(content.hasPrefix("### 周报 (\(index + 1)/3)"))
        }
    }

    @Test func refusedPartEndsDeliveryAndIsRecorded() async throws {
        let robot = Robot(refusedCalls: [2])
        let (server, channel) = try await Self.setup(robot: robot)
        let notifier = NotifierService(configuration: Configuration(), logger: Logger(label: "test"))
        let (job, spec) = Self.job()
        let event = try #require(await notifier.deliverOutput(Self.result(), job: job, spec: spec, channel: channel, renderer: RunOutputRenderer(publicURL: nil)))
        await server.shutdown()

        #expect(event.type == .outputFailed)
        #expect(event.detail?["reason"]?.stringValue == "delivery_failed")
        #expect(event.detail?["parts"]?.intValue == 3)
        #expect(event.detail?["parts_sent"]?.intValue == 1)
        #expect(event.detail?["error"]?.stringValue?.contains("40058") == true)
        #expect(robot.calls.withLock { $0 } == 2)
    }

    @Test func missingOutputIsRecordedWithoutSending() async throws {
        let robot = Robot()
        let (server, channel) = try await Self.setup(robot: robot)
        let notifier = NotifierService(configuration: Configuration(), logger: Logger(label: "test"))
        var (job, spec) = Self.job()
        job.kind = .workflow
        spec = DeliverySpec(channels: ["team"], output: "report")
        let event = try #require(await notifier.deliverOutput(Self.result(), job: job, spec: spec, channel: channel, renderer: RunOutputRenderer(publicURL: nil)))
        await server.shutdown()

        #expect(event.type == .outputFailed)
        #expect(event.detail?["reason"]?.stringValue == "output_missing")
        #expect(robot.calls.withLock { $0 } == 0)
    }

    @Test func concurrentOutputsDoNotInterleave() async throws {
        let robot = Robot()
        let (server, channel) = try await Self.setup(robot: robot)
        let notifier = NotifierService(configuration: Configuration(), logger: Logger(label: "test"))
        let (job, spec) = Self.job()
        var other = Self.result()
        other.triggerID = "t-other"
        other.answer = other.answer?.replacingOccurrences(of: "本周", with: "上周")
        let renderer = RunOutputRenderer(publicURL: nil)
        async let first = notifier.deliverOutput(Self.result(), job: job, spec: spec, channel: channel, renderer: renderer)
        async let second = notifier.deliverOutput(other, job: job, spec: spec, channel: channel, renderer: renderer)
        let events = await [first, second]
        await server.shutdown()

        #expect(events.allSatisfy { $0?.type == .outputDelivered })
        let kinds = robot.contents.withLock { $0 }.map { $0.contains("上周") ? "other" : "first" }
        #expect(kinds.count == 6)
        // Three parts of one output, then three of the other.
        #expect(kinds == Array(repeating: kinds[0], count: 3) + Array(repeating: kinds[3], count: 3))
        #expect(kinds[0] != kinds[3])
    }

    @Test func cancelledWaiterGetsNoTurn() async throws {
        let turns = ChannelTurns()
        #expect(await turns.acquire("team"))
        let waiter = Task { await turns.acquire("team") }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        #expect(await waiter.value == false)
        await turns.release("team")
        // The turn is free again, not handed to the cancelled waiter.
        #expect(await turns.acquire("team"))
        await turns.release("team")
    }

    @Test func secondReadOfResultSendsNothing() throws {
        var configuration = Configuration()
        var settings = ChannelSettings(type: "wecom")
        settings.webhookEnv = "TEST_HOOK"
        configuration.channels = ["team": settings]
        let (job, _) = Self.job()
        let notifier = NotifierService(configuration: configuration, logger: Logger(label: "test"))
        let directory = try ChannelDirectory(configuration: configuration, environment: ["TEST_HOOK": "http://127.0.0.1:1/hook"])
        #expect(notifier.deliveryUnits(for: Self.result(), job: job, directory: directory).count == 1)
        #expect(notifier.deliveryUnits(for: Self.result(), job: job, directory: directory).isEmpty)
        var failed = Self.result()
        failed.triggerID = "t-78"
        failed.status = .failed
        #expect(notifier.deliveryUnits(for: failed, job: job, directory: directory).isEmpty)
    }
}
