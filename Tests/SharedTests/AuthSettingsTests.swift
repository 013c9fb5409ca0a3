import Foundation
import Testing

@testable import Shared

/// The `auth` section: tokens decoded and checked with their line, and open_on_loopback only
/// with a loopback listen address.
@Suite struct AuthSettingsTests {
    let hash = StableHash.sha256Hex("a-token-of-some-length")

    func load(_ text: String, environment: [String: String] = [:]) throws -> Configuration {
        try ConfigurationLoader(environment: environment).load(text: text, file: "auth.yaml")
    }

    func problems(_ text: String) -> [ConfigError] {
        do {
            _ = try load(text)
            return []
        } catch let errors as ConfigErrors {
            return errors.errors
        } catch {
            return [ConfigError(file: "", line: 0, message: "\(error)")]
        }
    }

    @Test func tokensDecode() throws {
        let configuration = try load("""
            auth:
              tokens:
                - {name: ci-deploy, role: developer, sha256: \(hash.uppercased())}
                - {name: grafana@ops, role: viewer, sha256: \(StableHash.sha256Hex("another-token-value"))}
            """)
        #expect(configuration.auth.tokens.count == 2)
        #expect(configuration.auth.tokens[0] == AuthToken(name: "ci-deploy", role: .developer, sha256: hash))
        #expect(configuration.auth.tokens[1].role == .viewer)
        #expect(configuration.auth.openOnLoopback == false)
    }

    @Test(arguments: [
        ("role: root", "auth.tokens[0].role", "unknown role \"root\""),
        ("role: admin, sha256: abc", "auth.tokens[0].sha256", "not a SHA-256 hash"),
        ("role: admin, sha256: TOKEN", "auth.tokens[0].sha256", "not a SHA-256 hash"),
    ])
    func badTokenIsReportedWithLine(entry: String, path: String, message: String) {
        let text = """
            auth:
              tokens:
                - {name: ci, \(entry.contains("sha256") ? entry : entry + ", sha256: \(hash)")}
            """
        let errors = problems(text)
        #expect(errors.count == 1)
        #expect(errors.first?.line == 3)
        #expect(errors.first?.path == path)
        #expect(errors.first?.message.contains(message) == true, "\(errors)")
    }

    @Test func duplicatesAreRejected() {
        let names = problems("""
            auth:
              tokens:
                - {name: ci, role: admin, sha256: \(hash)}
                - {name: ci, role: viewer, sha256: \(StableHash.sha256Hex("another-token-value"))}
            """)
        #expect(names.first?.path == "auth.tokens[1].name")
        #expect(names.first?.line == 4)
        let hashes = problems("""
            auth:
              tokens:
                - {name: ci, role: admin, sha256: \(hash)}
                - {name: ops, role: viewer, sha256: \(hash)}
            """)
        #expect(hashes.first?.path == "auth.tokens[1].sha256")
    }

    @Test func badNameIsRejected() {
        let errors = problems("auth: {tokens: [{name: \"two words\", role: admin, sha256: \(hash)}]}")
        #expect(errors.first?.path == "auth.tokens[0].name")
    }

    @Test func openOnLoopbackNeedsLoopbackListen() throws {
        #expect(try load("producer: {listen: \"127.0.0.1:8080\"}\nauth: {open_on_loopback: true}").auth.openOnLoopback)
        #expect(try load("producer: {listen: \"[::1]:8080\"}\nauth: {open_on_loopback: true}").auth.openOnLoopback)
        #expect(try load("producer: {listen: \"localhost:8080\"}\nauth: {open_on_loopback: true}").auth.openOnLoopback)
        let errors = problems("producer: {listen: \"0.0.0.0:8080\"}\nauth: {open_on_loopback: true}")
        #expect(errors.first?.path == "auth.open_on_loopback")
        #expect(problems("producer: {listen: \"0.0.0.0:8080\"}\nauth: {open_on_loopback: false}").isEmpty)
    }

    @Test func loopbackHosts() {
        for host in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"] {
            #expect(AuthSettings.isLoopback(host: host), "\(host)")
        }
        for host in ["0.0.0.0", "::", "10.0.0.1", "127.0.0", "127.0.0.1.example.com", "128.0.0.1", ""] {
            #expect(!AuthSettings.isLoopback(host: host), "\(host)")
        }
    }

    @Test func saslPasswordFromEnvironment() throws {
        let configuration = try load(
            "kafka: {settings: {security.protocol: sasl_ssl, sasl.mechanism: SCRAM-SHA-512}}",
            environment: ["DIFY_SCHEDULER__KAFKA__SETTINGS__SASL_PASSWORD": "s3cret"])
        #expect(configuration.kafka.settings["sasl.password"] == "s3cret")
        #expect(configuration.kafka.settings["sasl.mechanism"] == "SCRAM-SHA-512")
    }

    @Test func httpLimitsAreChecked() throws {
        let configuration = try load("producer: {max_body_bytes: 4096, connection_timeout: 5s, max_connections: 10}")
        #expect(configuration.producer.maxBodyBytes == 4096)
        #expect(problems("producer: {max_body_bytes: 10}").first?.path == "producer.max_body_bytes")
        #expect(problems("producer: {connection_timeout: 0s}").first?.path == "producer.connection_timeout")
        #expect(problems("producer: {connection_timeout: soon}").first?.path == "producer.connection_timeout")
        #expect(problems("producer: {max_connections: 0}").first?.path == "producer.max_connections")
    }
}
