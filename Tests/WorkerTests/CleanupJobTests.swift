import Foundation
import Shared
import Testing

@testable import Worker

/// The `dify_cleanup` job as configuration declares it and triggers carry it.
@Suite struct CleanupJobTests {
    func problems(_ yaml: String) -> [String] {
        do {
            _ = try ConfigurationLoader(environment: [:]).load(text: yaml, file: "jobs.yaml")
            return []
        } catch let errors as ConfigErrors {
            return errors.errors.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func validJobLoadsWithDefaults() throws {
        let configuration = try ConfigurationLoader(environment: [:]).load(text: """
            worker:
              dify_databases:
                main: {url_env: DIFY_DB_URL}
            jobs:
              - id: clean
                kind: dify_cleanup
                app: main
                schedule: {cron: "0 3 * * *"}
                cleanup: {retention: 14d, apps: [3F0A6D2E-8C1B-4F7E-9D2A-5B6C7D8E9F01]}
            """, file: "jobs.yaml")
        let job = try #require(configuration.jobs.first)
        #expect(job.cleanup?.effectiveRetention == "14d")
        #expect(job.cleanup?.effectiveBatchSize == 100)
        #expect(job.cleanup?.effectivePause == "1s")
        #expect(job.cleanup?.effectiveDryRun == true)
        #expect(configuration.worker.difyDatabases["main"]?.urlEnv == "DIFY_DB_URL")
    }

    @Test func invalidSettingsAreReportedTogether() {
        let found = problems("""
            worker:
              dify_databases:
                main: {url_env: DIFY_DB_URL}
                spare: {}
            jobs:
              - id: clean
                kind: dify_cleanup
                app: other
                schedule: {cron: "0 3 * * *"}
                cleanup: {retention: 10m, batch_size: 0, pause: 1h, apps: [not-a-uuid]}
              - id: workflow-with-cleanup
                app: demo
                schedule: {cron: "0 3 * * *"}
                cleanup: {retention: 30d}
            """)
        let expected = [
            "jobs.yaml:8: jobs[0].app: unknown Dify database \"other\": a dify_cleanup job's app names one under worker.dify_databases (main, spare)",
            "jobs.yaml:10: jobs[0].cleanup.retention: \"10m\" is too short: use at least 1h, such as 30d",
            "jobs.yaml:10: jobs[0].cleanup.batch_size: 0 is out of range: use 1 to 10000, such as 100",
            "jobs.yaml:10: jobs[0].cleanup.pause: \"1h\" is too long: use at most 10m",
            "jobs.yaml:10: jobs[0].cleanup.apps[0]: \"not-a-uuid\" is not a Dify app id",
            "jobs.yaml:14: jobs[1].cleanup: only a job of kind dify_cleanup takes a cleanup block",
            "worker.dify_databases.spare: set url_env (an environment variable) or url_file",
        ]
        for text in expected {
            #expect(found.contains { $0.contains(text) }, "missing: \(text)\nfound: \(found)")
        }
    }

    @Test func cleanupAppIsNotCheckedAgainstApps() {
        // A producer's file with apps: but without the worker section cannot tell the
        // databases, so it accepts the name.
        let found = problems("""
            apps:
              demo: {base_url: "http://dify.internal/v1", api_key_env: KEY}
            jobs:
              - id: clean
                kind: dify_cleanup
                app: main
                schedule: {cron: "0 3 * * *"}
            """)
        #expect(found.isEmpty, "\(found)")
    }

    @Test func triggerCheckNamesConfiguredDatabases() {
        var trigger = Trigger(id: "t-1", app: "other")
        trigger.jobID = "clean"
        trigger.kind = .difyCleanup
        let rejection = TriggerCheck.validate(trigger, apps: [:], databases: ["main"])
        #expect(rejection?.code == "unknown_database")
        #expect(rejection?.reason.contains("this worker has main") == true)

        trigger.app = "main"
        #expect(TriggerCheck.validate(trigger, apps: [:], databases: ["main"]) == nil)
        trigger.jobID = nil
        #expect(TriggerCheck.validate(trigger, apps: [:], databases: ["main"])?.code == "no_job")
    }

    @Test func policyCarriesCleanupBlock() throws {
        var policy = TriggerPolicy()
        policy.cleanup = CleanupSettings(retention: "7d", batchSize: 50, pause: "2s", apps: ["a"], dryRun: false)
        let json = try JSONValue.parse(JSONEncoder().encode(policy))
        #expect(json["cleanup"]?["batch_size"] == .int(50))
        #expect(json["cleanup"]?["dry_run"] == .bool(false))
        let decoded = try JSONDecoder().decode(TriggerPolicy.self, from: JSONEncoder().encode(policy))
        #expect(decoded.cleanup == policy.cleanup)
    }
}
