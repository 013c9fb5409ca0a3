import Foundation
import Shared
import TestSupport
import Testing

/// `dify-producer apply`: the diff, dry runs, pruning only file jobs, re-applying without moving
/// fires, and files with a problem applied not at all.
@Suite(.serialized) struct ProducerApplyTests {
    @Test func applyDiffPruneAndReapply() async throws {
        let cluster = try await SchedulerCluster.start(name: "producer-apply")
        defer { cluster.stop() }
        let config = try cluster.writeConfig()
        try await cluster.createTopics(config: config)
        let firstFile = try cluster.writeConfig("""
            jobs:
              - {id: nightly, app: demo, schedule: {cron: "0 0 3 * * *", timezone: Asia/Shanghai}, inputs: {topic: n}}
              - {id: hourly, app: demo, schedule: {cron: "0 0 * * * *"}, inputs: {topic: h}}
              - {id: minutely, app: demo, schedule: {every: 1m}, inputs: {topic: m}}
            """, file: "jobs-1.yaml")

        // A dry run writes nothing.
        let dry = try await cluster.runProducerCommand(["apply", firstFile, "--dry-run"])
        #expect(dry.status == 0, "\(dry.output)")
        #expect(dry.output.contains("+ nightly  added"))
        #expect(dry.output.contains("would apply: 3 added, 0 changed, 0 removed, 0 unchanged"))
        #expect(try await cluster.readAll(cluster.topics.jobs).isEmpty)

        let applied = try await cluster.runProducerCommand(["apply", firstFile])
        #expect(applied.output.contains("applied: 3 added"), "\(applied.output)")
        #expect(try await cluster.readAll(cluster.topics.jobs).count == 3)

        // A producer schedules them; an API-made job joins.
        let producer = try cluster.startProducer(config: config)
        let api = ControlClient(port: try await producer.controlPort())
        try await api.waitUntilReady()
        #expect(try await api.send("POST", "/v1/jobs", body: ["id": "made-by-api", "app": "demo", "schedule": ["every": "1h"], "inputs": ["topic": "a"]]).status == 201)
        try await waitUntilAsync("the producer holds the jobs") {
            try await api.send("GET", "/v1/jobs/minutely").body["owned_here"] == .bool(true)
        }
        let nextBefore = try await api.send("GET", "/v1/jobs/minutely/next?count=2").body["next"]
        // The next fires are unchanged, or moved on by exactly one fire when a minute boundary
        // passed between the reads (the job fired meanwhile, as it should).
        let unmoved: @Sendable (JSONValue?) -> Bool = { now in
            now == nextBefore || now?.arrayValue?.first == nextBefore?.arrayValue?.last
        }

        // Re-applying the same file changes nothing and writes nothing.
        let jobsMessages = try await cluster.readAll(cluster.topics.jobs).count
        let again = try await cluster.runProducerCommand(["apply", firstFile])
        #expect(again.output.contains("applied: 0 added, 0 changed, 0 removed, 3 unchanged"), "\(again.output)")
        #expect(try await cluster.readAll(cluster.topics.jobs).count == jobsMessages)
        try await Task.sleep(for: .seconds(1))
        #expect(unmoved(try await api.send("GET", "/v1/jobs/minutely/next?count=2").body["next"]))

        // A second file: one job changed, one gone, one new; --prune deletes only file jobs.
        let secondFile = try cluster.writeConfig("""
            jobs:
              - {id: nightly, app: demo, schedule: {cron: "0 0 3 * * *", timezone: Asia/Shanghai}, inputs: {topic: changed}}
              - {id: minutely, app: demo, schedule: {every: 1m}, inputs: {topic: m}}
              - {id: weekly, app: demo, schedule: {cron: "0 0 9 * * MON"}, inputs: {topic: w}}
            """, file: "jobs-2.yaml")
        let preview = try await cluster.runProducerCommand(["apply", secondFile, "--prune", "--dry-run"])
        #expect(preview.output.contains("~ nightly  changed: inputs"), "\(preview.output)")
        #expect(preview.output.contains("- hourly  removed"))
        #expect(preview.output.contains("made-by-api  not in the files (kept: managed by the API)"))
        #expect(preview.output.contains("would apply: 1 added, 1 changed, 1 removed, 1 unchanged"))

        let pruned = try await cluster.runProducerCommand(["apply", secondFile, "--prune"])
        #expect(pruned.status == 0, "\(pruned.output)")
        try await waitUntilAsync("hourly deleted") { try await api.send("GET", "/v1/jobs/hourly").status == 404 }
        #expect(try await api.send("GET", "/v1/jobs/made-by-api").status == 200)
        #expect(try await api.send("GET", "/v1/jobs/nightly").body["job"]?["inputs"]?["topic"] == .string("changed"))
        #expect(unmoved(try await api.send("GET", "/v1/jobs/minutely/next?count=2").body["next"]))
        let events = try await cluster.events()
        #expect(events.contains { $0.type == .jobDeleted && $0.jobID == "hourly" && $0.actor?.hasPrefix("cli:") == true })
        #expect(events.contains { $0.type == .jobUpdated && $0.jobID == "nightly" })

        // A file with one bad job applies nothing.
        let badFile = try cluster.writeConfig("""
            jobs:
              - {id: fine, app: demo, schedule: {every: 1m}}
              - {id: broken, app: demo, schedule: {cron: "0 0 25 * * *"}}
            """, file: "jobs-bad.yaml")
        let rejected = try await cluster.runProducerCommand(["apply", badFile])
        #expect(rejected.status == 1)
        #expect(rejected.output.contains("jobs[1].schedule"), "\(rejected.output)")
        #expect(rejected.output.contains("nothing applied"))
        #expect(try await api.send("GET", "/v1/jobs/fine").status == 404)
        #expect(await producer.terminate() == 0)
    }
}
