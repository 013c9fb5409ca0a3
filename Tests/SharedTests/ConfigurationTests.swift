import Foundation
import Testing

@testable import Shared

@Suite struct ConfigurationLoaderTests {
    let sample = """
        kafka:
          bootstrap_servers: 127.0.0.1:9092
          settings:
            security.protocol: plaintext
        apps:
          report-bot:
            base_url: http://dify.internal/v1
            api_key_env: DIFY_REPORT_BOT_KEY
            limits: {requests_per_second: 0.5, burst: 2}
        jobs:
          - id: daily-report
            app: report-bot
            schedule: {cron: "0 0 9 * * MON-FRI", timezone: Asia/Shanghai}
            inputs:
              topic: "tickets"
              count: 3
              on: true
            timeout: 10m
            retry: {max_attempts: 3, initial_backoff: 10s, max_backoff: 5m}
        """

    @Test func loadsSectionsAndJobs() throws {
        let configuration = try ConfigurationLoader(environment: [:]).load(text: sample, file: "jobs.yaml")
        #expect(configuration.kafka.settings["security.protocol"] == "plaintext")
        #expect(configuration.apps["report-bot"]?.limits?.requestsPerSecond == 0.5)
        #expect(configuration.jobs.count == 1)
        #expect(configuration.jobs[0].inputs?["count"] == .int(3))
        #expect(configuration.jobs[0].inputs?["on"] == .bool(true))
        #expect(configuration.jobs[0].retry?.maxAttempts == 3)
        #expect(configuration.jobLines == [11])
    }

    @Test func environmentOverridesFileValues() throws {
        let environment = [
            "DIFY_SCHEDULER__KAFKA__BOOTSTRAP_SERVERS": "10.0.0.1:9093",
            "DIFY_SCHEDULER__KAFKA__SETTINGS__SASL_MECHANISM": "SCRAM-SHA-512",
            "DIFY_SCHEDULER__KAFKA__SETTINGS__SECURITY_PROTOCOL": "sasl_ssl",
        ]
        let configuration = try ConfigurationLoader(environment: environment).load(text: sample)
        #expect(configuration.kafka.bootstrapServers == "10.0.0.1:9093")
        #expect(configuration.kafka.settings["sasl.mechanism"] == "SCRAM-SHA-512")
        #expect(configuration.kafka.settings["security.protocol"] == "sasl_ssl")
    }

    @Test func reportsEveryBadJobWithLine() {
        let text = """
            jobs:
              - id: one
                app: a
                schedule: {cron: "* * * * *"}
                timeout: ten minutes
              - id: two
                app: a
                shedule: {every: 5s}
                schedule: {every: 5s}
            """
        #expect {
            try ConfigurationLoader(environment: [:]).load(text: text, file: "jobs.yaml")
        } throws: { error in
            let text = "\(error)"
            return text.contains("jobs.yaml:5: jobs[0].timeout: invalid duration \"ten minutes\"")
                && text.contains("jobs.yaml:8: jobs[1]: unknown key \"shedule\": did you mean \"schedule\"?")
        }
    }

    @Test func reportsTypeErrorsAtTheirLine() {
        let text = """
            kafka:
              partitions: many
            """
        #expect {
            try ConfigurationLoader(environment: [:]).load(text: text, file: "c.yaml")
        } throws: { error in
            "\(error)" == "c.yaml:2: kafka.partitions: expected a whole number, found \"many\""
        }
    }

    @Test func rejectsSyntaxErrorsWithLine() {
        #expect {
            try ConfigurationLoader(environment: [:]).load(text: "jobs:\n  - id: [unclosed\n", file: "c.yaml")
        } throws: { error in
            "\(error)".hasPrefix("c.yaml:3: invalid YAML")
        }
    }

    @Test func apiKeyComesFromEnvironment() throws {
        let app = AppSettings(baseURL: "http://x/v1", apiKeyEnv: "KEY_VAR")
        #expect(try app.resolveAPIKey(app: "a", environment: ["KEY_VAR": "app-secret-123"]) == "app-secret-123")
        #expect(throws: ConfigError.self) { try app.resolveAPIKey(app: "a", environment: [:]) }
        #expect(SecretRedactor.shared.redact("key app-secret-123 leaked") == "key [REDACTED] leaked")
    }
}

@Suite struct MessageCodecTests {
    @Test func triggerRoundTrip() throws {
        var trigger = Trigger(id: "t-1", app: "bot")
        trigger.jobID = "job"
        trigger.scheduledAt = Timestamp.parse("2026-03-29T01:00:00Z")
        trigger.inputs = ["topic": "alpha"]
        let data = MessageCodec.encode(trigger)
        #expect(String(decoding: data, as: UTF8.self).contains(#""scheduled_at":"2026-03-29T01:00:00Z""#))
        #expect(try MessageCodec.decode(Trigger.self, from: data) == trigger)
    }

    @Test func missingFieldIsNamed() {
        #expect {
            try MessageCodec.decode(Trigger.self, from: Data(#"{"v":1,"id":"t-1"}"#.utf8))
        } throws: { error in
            "\(error)" == "app: missing required field"
        }
    }

    @Test func unknownFieldsAreIgnored() throws {
        let trigger = try MessageCodec.decode(Trigger.self, from: Data(#"{"v":1,"id":"t","app":"a","future":{"x":1}}"#.utf8))
        #expect(trigger.app == "a")
    }

    @Test func newerVersionIsRejected() {
        #expect(throws: MessageError.self) {
            try MessageCodec.decode(Trigger.self, from: Data(#"{"v":9,"id":"t","app":"a"}"#.utf8))
        }
    }

    @Test func scheduledTriggerIDIsStable() throws {
        let instant = try #require(Timestamp.parse("2026-03-29T01:00:00Z"))
        #expect(TriggerID.scheduled(jobID: "a", scheduledAt: instant) == TriggerID.scheduled(jobID: "a", scheduledAt: instant))
        #expect(TriggerID.scheduled(jobID: "a", scheduledAt: instant) != TriggerID.scheduled(jobID: "b", scheduledAt: instant))
    }
}
