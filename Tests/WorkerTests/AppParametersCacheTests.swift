import Foundation
import Shared
import Synchronization
import Testing

@testable import Worker

/// The intake's input check against cached app forms: which problems reject a trigger, when
/// the form is read again, and what happens while it is unknown.
@Suite struct AppParametersCacheTests {
    static let form = [
        DifyInputVariable(kind: "text-input", name: "topic", required: true, maxLength: 8),
        DifyInputVariable(kind: "select", name: "mode", required: false, options: ["plain", "iterate"]),
        DifyInputVariable(kind: "number", name: "sleep", required: false),
    ]

    static func app(_ baseURL: String = "http://127.0.0.1:5001/v1") -> WorkerApp {
        let endpoint = try! DifyAppEndpoint(name: "demo", baseURL: baseURL, apiKey: "app-test-key")
        return WorkerApp(name: "demo", endpoint: endpoint, limits: AppLimits(), mode: .workflow, origin: "http://127.0.0.1:5001", acceptsExternal: false)
    }

    static func trigger(_ inputs: [String: JSONValue]) -> Trigger {
        var trigger = Trigger(id: "t-1", app: "demo")
        trigger.jobID = "job"
        trigger.inputs = inputs
        return trigger
    }

    /// A cache whose reads return `form` (or fail while `failing` is set) and are counted.
    final class Source: Sendable {
        let reads = Atomic<Int>(0)
        let failing = Atomic<Bool>(false)

        func cache() -> AppParametersCache {
            AppParametersCache(logger: Logger(label: "test")) { [self] _ in
                reads.add(1, ordering: .relaxed)
                if failing.load(ordering: .relaxed) { throw CancellationError() }
                return AppParametersCacheTests.form
            }
        }
    }

    @Test func rejectsEachKindOfBadInput() async throws {
        let cache = Source().cache()
        await cache.prefetch([Self.app()])
        let cases: [([String: JSONValue], String?)] = [
            (["topic": "ok", "mode": "plain", "sleep": 2], nil),
            (["topic": "ok", "extra": "dropped by Dify"], nil),
            (["mode": "plain"], "inputs.topic: missing required input \"topic\""),
            (["topic": "ok", "mode": "fancy"], "\"fancy\" is not an option of select \"mode\""),
            (["topic": "ok", "sleep": "soon"], "does not fit number input \"sleep\""),
            (["topic": "much too long"], "longer than the max length 8 of input \"topic\""),
        ]
        for (inputs, expected) in cases {
            let rejection = cache.rejection(for: Self.trigger(inputs), app: Self.app())
            if let expected {
                #expect(rejection?.code == "invalid_inputs", "\(inputs)")
                #expect(rejection?.reason.contains(expected) == true, "\(rejection?.reason ?? "accepted"): lacks \(expected)")
                #expect(rejection?.jobID == "job")
            } else {
                #expect(rejection == nil, "\(inputs): \(rejection?.reason ?? "")")
            }
        }
    }

    @Test func unknownFormAcceptsAndStartsRead() async throws {
        let source = Source()
        let cache = source.cache()
        #expect(cache.rejection(for: Self.trigger([:]), app: Self.app()) == nil)
        let deadline = ContinuousClock.now + .seconds(5)
        while cache.rejection(for: Self.trigger([:]), app: Self.app()) == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(cache.rejection(for: Self.trigger([:]), app: Self.app()) != nil)
        #expect(source.reads.load(ordering: .relaxed) == 1)
    }

    @Test func failedReadKeepsOldForm() async throws {
        let source = Source()
        let cache = source.cache()
        await cache.prefetch([Self.app()])
        source.failing.store(true, ordering: .relaxed)
        // Past the refresh interval the form is read again; the failure keeps the old one.
        _ = cache.form(of: Self.app(), now: Date().addingTimeInterval(AppParametersCache.refreshInterval + 1))
        try await Task.sleep(for: .milliseconds(200))
        #expect(source.reads.load(ordering: .relaxed) == 2)
        #expect(cache.form(of: Self.app())?.count == 3)
        // No new read before the retry interval has passed.
        _ = cache.form(of: Self.app(), now: Date().addingTimeInterval(AppParametersCache.retryInterval / 2))
        #expect(source.reads.load(ordering: .relaxed) == 2)
    }

    @Test func movedAppIsUncheckedUntilRead() async throws {
        let cache = Source().cache()
        await cache.prefetch([Self.app()])
        let moved = Self.app("http://127.0.0.1:5002/v1")
        #expect(cache.rejection(for: Self.trigger([:]), app: moved) == nil)
    }

    @Test func cancelAndCleanupAreNotChecked() async throws {
        let cache = Source().cache()
        await cache.prefetch([Self.app()])
        var cancel = Self.trigger([:])
        cancel.type = .cancel
        #expect(cache.rejection(for: cancel, app: Self.app()) == nil)
        var cleanup = Self.trigger([:])
        cleanup.kind = .difyCleanup
        #expect(cache.rejection(for: cleanup, app: Self.app()) == nil)
    }
}
