import Foundation
import Testing

@testable import Shared

/// `auth.sessions` and `auth.trusted_proxies`: defaults, and each bad value reported with its path.
@Suite struct SessionSettingsTests {
    func problems(_ text: String) -> [ConfigError] {
        do {
            _ = try ConfigurationLoader(environment: [:]).load(text: text, file: "auth.yaml")
            return []
        } catch let errors as ConfigErrors {
            return errors.errors
        } catch {
            return [ConfigError(file: "auth.yaml", line: 0, message: "\(error)")]
        }
    }

    @Test func defaultsAndValues() throws {
        let defaults = try ConfigurationLoader(environment: [:]).load(text: "auth: {}", file: "auth.yaml").auth
        #expect(defaults.sessions.idleMilliseconds == 3_600_000)
        #expect(defaults.sessions.maxAgeMilliseconds == 43_200_000)
        #expect(defaults.sessions.maxCount == 10_000)
        #expect(defaults.sessions.maxFailedSignIns == 10)
        #expect(defaults.trustedProxies.isEmpty)
        let set = try ConfigurationLoader(environment: [:]).load(text: """
            auth:
              trusted_proxies: [10.0.0.5, "::1"]
              sessions: {idle_timeout: 10m, max_age: 1d, max_count: 50, max_failed_sign_ins: 3, sign_in_window: 1h}
            """, file: "auth.yaml").auth
        #expect(set.trustedProxies == ["10.0.0.5", "::1"])
        #expect(set.sessions.idleMilliseconds == 600_000)
        #expect(set.sessions.maxAgeMilliseconds == 86_400_000)
        #expect(set.sessions.maxCount == 50)
        #expect(set.sessions.signInWindowMilliseconds == 3_600_000)
    }

    @Test(arguments: [
        ("auth: {trusted_proxies: [10.0.0.0/8]}", "is not an IP address"),
        ("auth: {trusted_proxies: [proxy.internal]}", "is not an IP address"),
        ("auth: {sessions: {idle_timeout: soon}}", "idle_timeout"),
        ("auth: {sessions: {max_age: 90d}}", "out of range: use 1s to 30d"),
        ("auth: {sessions: {idle_timeout: 2d, max_age: 1d}}", "longer than max_age"),
        ("auth: {sessions: {max_count: 0}}", "max_count 0 is out of range"),
        ("auth: {sessions: {max_failed_sign_ins: 0}}", "max_failed_sign_ins 0 is out of range"),
    ])
    func badValueIsReported(text: String, expected: String) {
        let found = problems(text)
        #expect(found.count == 1, "\(text): \(found)")
        #expect(found.first?.description.contains(expected) == true, "\(text): \(found.first?.description ?? "accepted")")
    }
}
