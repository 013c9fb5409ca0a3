import Foundation
import Shared
import Testing

/// Chatflow and completion jobs end to end: Tansu, the Dify test double serving a chatflow
/// and a completion app, dify-producer and dify-worker as real processes.
///
/// The `chat` app states its mode in configuration; the `writer` app does not, so the worker
/// learns it from `GET /v1/info`.
@Suite(.serialized) struct ChatCompletionTests {
    static let apps = ["chat": "chat", "writer": "completion"]

    /// YAML for the double's apps under `apps:`: `chat` with its mode, `writer` without.
    static func appsYAML(_ cluster: SchedulerCluster) -> String {
        """
          chat:
            base_url: \(cluster.doubleBaseURL)
            api_key_env: \(SchedulerCluster.keyVariable(of: "chat"))
            mode: chatflow
          writer:
            base_url: \(cluster.doubleBaseURL)
            api_key_env: \(SchedulerCluster.keyVariable(of: "writer"))
        """
    }

    /// A schedule that fires once, a few seconds from now.
    static func onceSoon(_ seconds: Double = 6) -> String {
        let instant = Timestamp.rfc3339(Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + seconds).rounded(.down)))
        return "{every: 1h, start: \"\(instant)\", end: \"\(instant)\"}"
    }

    @Test func chatflowAndCompletionRuns() async throws {
        let cluster = try await SchedulerCluster.start(name: "chat-runs", doubleApps: Self.apps)
        defer { cluster.stop() }
        let conversation = "4d7c7f7e-6f1d-4a8e-9c55-0d2a3b4c5d6e"
        let config = try cluster.writeConfig("""
            jobs:
              - id: chat-new
                app: chat
                kind: chatflow
                query: write the daily summary
                user: ops-bot
                schedule: \(Self.onceSoon())
                inputs: {topic: sales}
              - id: chat-fixed
                app: chat
                kind: chatflow
                query: and the weekly one
                conversation: \(conversation)
                schedule: \(Self.onceSoon())
                inputs: {topic: sales, _double_tokens: 42}
              - id: chat-blocking
                app: chat
                kind: chatflow
                query: blocking question
                response_mode: blocking
                schedule: \(Self.onceSoon())
                inputs: {topic: sales}
              - id: chat-fail
                app: chat
                kind: chatflow
                query: this one fails
                schedule: \(Self.onceSoon())
                inputs: {topic: sales, fail: "yes"}
              - id: draft
                app: writer
                kind: completion
                schedule: \(Self.onceSoon())
                inputs: {topic: quarterly report, _double_tokens: 17}
              - id: draft-forbidden
                app: writer
                kind: completion
                schedule: \(Self.onceSoon())
                inputs: {topic: quarterly report, _double_status: "403"}
            """, extraApps: Self.appsYAML(cluster))
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "worker-chat")
        let producer = try cluster.startProducer(config: config)
        try await worker.waitForLog("partition assigned")

        let ids: Set = ["chat-new", "chat-fixed", "chat-blocking", "chat-fail", "draft", "draft-forbidden"]
        let results = try await cluster.waitForResults("a result of each chat and completion job", timeout: .seconds(90)) { results in
            ids.isSubset(of: Set(results.compactMap(\.jobID)))
        }
        func result(_ id: String) throws -> RunResult { try #require(results.first { $0.jobID == id }) }

        // A streamed chatflow: the answer from message chunks, usage from message_end, the
        // node events as the node trace and a new conversation.
        let chat = try result("chat-new")
        #expect(chat.status == .succeeded)
        #expect(chat.kind == .chatflow)
        #expect(chat.answer == "Echo: write the daily summary")
        #expect(chat.query == "write the daily summary")
        #expect(chat.totalTokens != nil)
        #expect(chat.workflowRunID != nil)
        #expect(chat.taskID != nil)
        #expect(chat.messageID != nil)
        let newConversation = try #require(chat.conversationID)
        #expect(newConversation != conversation)
        let nodes = chat.nodes ?? []
        #expect(nodes.map(\.nodeID) == ["start", "llm", "answer"])
        #expect(nodes.allSatisfy { $0.status == "succeeded" })

        let fixed = try result("chat-fixed")
        #expect(fixed.status == .succeeded)
        #expect(fixed.conversationID == conversation)
        #expect(fixed.totalTokens == 42)
        #expect(fixed.answer == "Echo: and the weekly one")

        let blocking = try result("chat-blocking")
        #expect(blocking.status == .succeeded)
        #expect(blocking.answer == "Echo: blocking question")

        // A failing chatflow node: the result names the node and keeps the trace.
        let failed = try result("chat-fail")
        #expect(failed.status == .failed)
        #expect(failed.error?.nodeID == "llm")
        #expect(failed.error?.retryable == false)
        #expect(failed.error?.message.contains("Model invocation failed") == true)
        #expect(failed.nodes?.last?.status == "failed")
        #expect(failed.attempts?.count == 1)

        let draft = try result("draft")
        #expect(draft.status == .succeeded)
        #expect(draft.kind == .completion)
        #expect(draft.answer == "Echo: quarterly report")
        #expect(draft.totalTokens == 17)
        #expect(draft.conversationID == nil)
        #expect(draft.messageID != nil)

        let forbidden = try result("draft-forbidden")
        #expect(forbidden.status == .failed)
        #expect(forbidden.error?.code == "forbidden")
        #expect(forbidden.error?.retryable == false)

        // What the worker sent: query, user, the fixed conversation id and streaming mode.
        let requests = try await cluster.doubleRequests()
        let chatBodies = requests.filter { $0["path"]?.stringValue == "/v1/chat-messages" }.compactMap { $0["body"] }
        let daily = try #require(chatBodies.first { $0["query"]?.stringValue == "write the daily summary" })
        #expect(daily["user"]?.stringValue == "ops-bot")
        #expect(daily["response_mode"]?.stringValue == "streaming")
        #expect(daily["conversation_id"] == nil)
        let weekly = try #require(chatBodies.first { $0["query"]?.stringValue == "and the weekly one" })
        #expect(weekly["conversation_id"]?.stringValue == conversation)
        let completionBodies = requests.filter { $0["path"]?.stringValue == "/v1/completion-messages" }.compactMap { $0["body"] }
        #expect(completionBodies.count == 2)
        #expect(completionBodies.allSatisfy { $0["query"] == nil && $0["response_mode"]?.stringValue == "streaming" })
        // The mode of `writer` was asked once; `chat` states its mode.
        #expect(requests.filter { $0["path"]?.stringValue == "/v1/info" }.count == 1)

        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }

    @Test func stopsUseEachKindsEndpoint() async throws {
        let cluster = try await SchedulerCluster.start(name: "chat-stop", doubleApps: Self.apps)
        defer { cluster.stop() }
        let config = try cluster.writeConfig("""
            jobs:
              - id: chat-slow
                app: chat
                kind: chatflow
                query: never ends
                timeout: 3s
                schedule: \(Self.onceSoon())
                inputs: {topic: slow, _double_hang: true}
              - id: draft-slow
                app: writer
                kind: completion
                timeout: 3s
                schedule: \(Self.onceSoon())
                inputs: {topic: slow, _double_hang: true}
            """, extraApps: Self.appsYAML(cluster))
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "worker-stop")
        let producer = try cluster.startProducer(config: config)
        try await worker.waitForLog("partition assigned")

        let results = try await cluster.waitForResults("two timed-out runs", timeout: .seconds(90)) { results in
            Set(["chat-slow", "draft-slow"]).isSubset(of: Set(results.compactMap(\.jobID)))
        }
        let chat = try #require(results.first { $0.jobID == "chat-slow" })
        let draft = try #require(results.first { $0.jobID == "draft-slow" })
        for result in [chat, draft] {
            #expect(result.status == .timedOut)
            #expect(result.error?.code == "timed_out")
            #expect(result.taskID != nil)
            #expect(result.mayStillRun != true)
        }
        // The stop went to the endpoint of each kind, with the user that started the run.
        let requests = try await cluster.doubleRequests()
        let chatStop = try #require(requests.first { $0["path"]?.stringValue == "/v1/chat-messages/\(chat.taskID ?? "")/stop" })
        #expect(chatStop["body"]?["user"]?.stringValue == "dify-scheduler")
        #expect(requests.contains { $0["path"]?.stringValue == "/v1/completion-messages/\(draft.taskID ?? "")/stop" })
        #expect(!requests.contains { ($0["path"]?.stringValue ?? "").hasPrefix("/v1/workflows/tasks/") })
        let events = try await cluster.events()
        #expect(events.filter { $0.type == .stopRequested }.count == 2)

        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }

    @Test func wrongKindIsRejectedNamingEndpoint() async throws {
        let cluster = try await SchedulerCluster.start(name: "chat-kind", doubleApps: Self.apps)
        defer { cluster.stop() }
        let config = try cluster.writeConfig("""
            jobs:
              - id: workflow-on-chat
                app: chat
                kind: workflow
                schedule: \(Self.onceSoon())
                inputs: {topic: x}
              - id: chatflow-on-writer
                app: writer
                kind: chatflow
                query: hello
                schedule: \(Self.onceSoon())
                inputs: {topic: x}
            """, extraApps: Self.appsYAML(cluster))
        try await cluster.createTopics(config: config)
        let worker = try cluster.startWorker(config: config, id: "worker-kind")
        let producer = try cluster.startProducer(config: config)
        try await worker.waitForLog("partition assigned")

        let results = try await cluster.waitForResults("two rejected results", timeout: .seconds(90)) { results in
            Set(["workflow-on-chat", "chatflow-on-writer"]).isSubset(of: Set(results.compactMap(\.jobID)))
        }
        // Mode stated in configuration: rejected before the run, the trigger dead-lettered.
        let onChat = try #require(results.first { $0.jobID == "workflow-on-chat" })
        #expect(onChat.status == .rejected)
        #expect(onChat.error?.message.contains("POST /chat-messages") == true)
        #expect(onChat.error?.message.contains("kind chatflow") == true)

        // Mode learned from /v1/info: rejected by the worker before calling the run endpoint.
        let onWriter = try #require(results.first { $0.jobID == "chatflow-on-writer" })
        #expect(onWriter.status == .rejected)
        #expect(onWriter.error?.code == "wrong_kind")
        #expect(onWriter.error?.message.contains("POST /completion-messages") == true)
        #expect(onWriter.error?.message.contains("kind: completion") == true)

        let requests = try await cluster.doubleRequests()
        let paths = requests.compactMap { $0["path"]?.stringValue }
        #expect(paths.contains("/v1/info"))
        #expect(!paths.contains("/v1/chat-messages"))
        #expect(!paths.contains("/v1/workflows/run"))

        #expect(await producer.terminate() == 0)
        #expect(await worker.terminate() == 0)
    }
}
