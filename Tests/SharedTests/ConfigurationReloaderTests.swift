import Foundation
import Synchronization
import Testing

@testable import Shared

@Suite struct ConfigurationReloaderTests {
    private func writeConfiguration(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "reload-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func appsText(baseURL: String) -> String {
        """
        apps:
          report-bot:
            base_url: \(baseURL)
            api_key_env: REPORT_BOT_KEY
        """
    }

    @Test func appliesValidConfiguration() async throws {
        let path = try writeConfiguration(appsText(baseURL: "http://a.internal/v1"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let initial = try ConfigurationLoader(environment: [:]).load(path: path)
        let reloader = ConfigurationReloader(paths: [path], initial: initial, environment: { [:] }, logger: Logger(label: "test"))
        let seen = Mutex<[String]>([])
        reloader.register("apps") { new, old in
            let url = new.apps["report-bot"]?.baseURL ?? ""
            let before = old.apps["report-bot"]?.baseURL ?? ""
            return { seen.withLock { $0.append("\(before) -> \(url)") } }
        }

        try appsText(baseURL: "http://b.internal/v1").write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = await reloader.reload()

        #expect(outcome.applied)
        #expect(outcome.generation == 1)
        #expect(seen.withLock { $0 } == ["http://a.internal/v1 -> http://b.internal/v1"])
        #expect(reloader.current.apps["report-bot"]?.baseURL == "http://b.internal/v1")
    }

    @Test func invalidFileKeepsPrevious() async throws {
        let path = try writeConfiguration(appsText(baseURL: "http://a.internal/v1"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let initial = try ConfigurationLoader(environment: [:]).load(path: path)
        let reloader = ConfigurationReloader(paths: [path], initial: initial, environment: { [:] }, logger: Logger(label: "test"))
        let applied = Mutex(0)
        reloader.register("apps") { _, _ in { applied.withLock { $0 += 1 } } }

        try "apps: [not, a, mapping]\n".write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = await reloader.reload()

        #expect(!outcome.applied)
        #expect(!outcome.problems.isEmpty)
        #expect(applied.withLock { $0 } == 0)
        #expect(reloader.current.apps["report-bot"]?.baseURL == "http://a.internal/v1")
    }

    @Test func oneRejectingComponentAppliesNothing() async throws {
        let path = try writeConfiguration(appsText(baseURL: "http://a.internal/v1"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let initial = try ConfigurationLoader(environment: [:]).load(path: path)
        let reloader = ConfigurationReloader(paths: [path], initial: initial, environment: { [:] }, logger: Logger(label: "test"))
        let applied = Mutex(0)
        reloader.register("first") { _, _ in { applied.withLock { $0 += 1 } } }
        reloader.register("keys") { _, _ in
            throw ConfigErrors([ConfigError(file: "environment", line: 0, path: "apps.report-bot.api_key_env", message: "REPORT_BOT_KEY is not set")])
        }

        try appsText(baseURL: "http://b.internal/v1").write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = await reloader.reload()

        #expect(!outcome.applied)
        #expect(outcome.problems.count == 1)
        #expect(outcome.problems.first?.contains("REPORT_BOT_KEY") == true)
        #expect(applied.withLock { $0 } == 0)
        #expect(reloader.generation == 0)
    }
}
