import Foundation
import Shared
import TestSupport
import Testing

/// The control API of a running producer: jobs made, read, changed and deleted over HTTP,
/// pause and resume, trigger now, backfill, next fires, and 400s that name the field.
@Suite(.serialized) struct ProducerControlAPITests {
    @Test func controlAPIManagesJobs() async throws {
        let cluster = try await SchedulerCluster.start(name: "producer-api")
        defer { cluster.stop() }
        let config = try cluster.writeConfig()
        try await cluster.createTopics(config: config)
        let producer = try cluster.startProducer(config: config)
        let api = ControlClient(port: try await producer.controlPort())
        try await api.waitUntilReady()

        // Bad requests name the field.
        let badCron = try await api.send("POST", "/v1/jobs", body: ["id": "bad", "app": "demo", "schedule": ["cron": "61 * * * *"]])
        #expect(badCron.status == 400)
        #expect(badCron.body["error"]?["field"] == .string("schedule.cron"))
        let missingApp = try await api.send("POST", "/v1/jobs", body: ["id": "bad", "schedule": ["every": "1s"]])
        #expect(missingApp.status == 400)
        #expect(missingApp.body["error"]?["field"] == .string("app"))
        let typo = try await api.send("POST", "/v1/jobs", body: ["id": "typo", "app": "demo", "schedule": ["every": "1s"], "overlapp": "skip"])
        #expect(typo.status == 400)
        #expect(typo.body["error"]?["field"] == .string("overlapp"))
        let badID = try await api.send("POST", "/v1/jobs", body: ["id": "no spaces", "app": "demo", "schedule": ["every": "1s"]])
        #expect(badID.body["error"]?["field"] == .string("id"))

        // Create, read, next fires.
        let created = try await api.send("POST", "/v1/jobs", body: [
            "id": "api-job", "app": "demo", "schedule": ["every": "2s"], "inputs": ["topic": "a", "mode": "plain"],
        ], actor: "alice")
        #expect(created.status == 201)
        #expect(created.body["job"]?["managed_by"] == .string("api"))
        let duplicate = try await api.send("POST", "/v1/jobs", body: ["id": "api-job", "app": "demo", "schedule": ["every": "2s"]])
        #expect(duplicate.status == 409)
        _ = try await cluster.waitForEvent("job_created by alice") { $0.type == .jobCreated && $0.actor == "alice" }

        try await waitUntilAsync("api-job fires", timeout: .seconds(20)) { try await cluster.scheduledTriggers(of: "api-job").count >= 2 }
        let next = try await api.send("GET", "/v1/jobs/api-job/next?count=4")
        #expect(next.status == 200)
        let instants = (next.body["next"]?.arrayValue ?? []).compactMap { $0["scheduled_at"]?.stringValue }.compactMap(Timestamp.parse)
        #expect(instants.count == 4)
        #expect(zip(instants, instants.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 2 })
        let badCount = try await api.send("GET", "/v1/jobs/api-job/next?count=0")
        #expect(badCount.body["error"]?["field"] == .string("count"))
        let read = try await api.send("GET", "/v1/jobs/api-job")
        #expect(read.body["owned_here"] == .bool(true))
        #expect(read.body["state"]?["run_count"]?.intValue ?? 0 >= 1)
        let listed = try await api.send("GET", "/v1/jobs?managed_by=api")
        #expect(listed.body["count"] == .int(1))

        // Trigger now with an input override.
        let manual = try await api.send("POST", "/v1/jobs/api-job/trigger", body: ["inputs": ["topic": "manual"]], actor: "bob")
        #expect(manual.status == 202)
        let manualID = try #require(manual.body["trigger_id"]?.stringValue)
        let badInputs = try await api.send("POST", "/v1/jobs/api-job/trigger", body: ["inputs": "x"])
        #expect(badInputs.body["error"]?["field"] == .string("inputs"))
        try await waitUntilAsync("manual trigger written") { try await cluster.triggers().contains { $0.id == manualID } }
        let manualTrigger = try #require(try await cluster.triggers().first { $0.id == manualID })
        #expect(manualTrigger.source == .manual)
        #expect(manualTrigger.inputs?["topic"] == .string("manual"))
        #expect(manualTrigger.inputs?["mode"] == .string("plain"))
        #expect(manualTrigger.actor == "bob")

        // Pause: no fires until resume, with the note and who in the state and the events.
        let paused = try await api.send("POST", "/v1/jobs/api-job/pause", body: ["note": "maintenance"], actor: "carol")
        #expect(paused.status == 202)
        _ = try await cluster.waitForEvent("job_paused") { $0.type == .jobPaused && $0.actor == "carol" }
        let pausedAt = Date()
        let pausedView = try await api.send("GET", "/v1/jobs/api-job")
        #expect(pausedView.body["state"]?["paused"] == .bool(true))
        #expect(pausedView.body["state"]?["pause_note"] == .string("maintenance"))
        #expect(pausedView.body["next"]?.arrayValue?.isEmpty == true)
        try await Task.sleep(for: .seconds(5))
        let firedWhilePaused = try await cluster.scheduledTriggers(of: "api-job").filter { $0.emittedAt! > pausedAt.addingTimeInterval(0.5) }
        #expect(firedWhilePaused.isEmpty)

        // A job update leaves the pause alone.
        let updated = try await api.send("PUT", "/v1/jobs/api-job", body: ["app": "demo", "schedule": ["every": "2s"], "inputs": ["topic": "b", "mode": "plain"]])
        #expect(updated.body["changed"] == .bool(true))
        #expect(updated.body["fields"]?.arrayValue == [.string("inputs")])
        try await Task.sleep(for: .seconds(1))
        #expect(try await api.send("GET", "/v1/jobs/api-job").body["state"]?["paused"] == .bool(true))

        let resumedAt = Date()
        #expect(try await api.send("POST", "/v1/jobs/api-job/resume", actor: "carol").status == 202)
        try await waitUntilAsync("api-job fires after resume", timeout: .seconds(15)) {
            try await cluster.scheduledTriggers(of: "api-job").contains { $0.emittedAt! > resumedAt && $0.inputs?["topic"] == .string("b") }
        }
        // The instants of the pause are within the 60 s threshold, so they fire late, one after
        // another: the first may be read before the others are written.
        let pauseInstants = stride(from: (pausedAt.timeIntervalSince1970 / 2).rounded(.up) * 2, to: resumedAt.timeIntervalSince1970 - 1, by: 2)
        try await waitUntilAsync("the instants of the pause fire late", timeout: .seconds(10)) {
            let afterResume = try await cluster.scheduledTriggers(of: "api-job").compactMap(\.scheduledAt)
            return pauseInstants.allSatisfy { afterResume.contains(Date(timeIntervalSince1970: $0)) }
        }

        // Backfill: one trigger per instant of the range, with an upper bound.
        let from = Date(timeIntervalSince1970: ((Date().timeIntervalSince1970 - 3600) / 2).rounded(.down) * 2)
        let backfill = try await api.send("POST", "/v1/jobs/api-job/backfill", body: [
            "from": .string(Timestamp.rfc3339(from)), "to": .string(Timestamp.rfc3339(from.addingTimeInterval(18))),
        ], actor: "dave")
        #expect(backfill.status == 202)
        #expect(backfill.body["count"] == .int(10))
        let tooMany = try await api.send("POST", "/v1/jobs/api-job/backfill", body: [
            "from": .string(Timestamp.rfc3339(from)), "to": .string(Timestamp.rfc3339(from.addingTimeInterval(3600))), "limit": 50,
        ])
        #expect(tooMany.status == 400)
        #expect(tooMany.body["error"]?["field"] == .string("limit"))
        let badFrom = try await api.send("POST", "/v1/jobs/api-job/backfill", body: ["from": "yesterday", "to": "2026-01-01T00:00:00Z"])
        #expect(badFrom.body["error"]?["field"] == .string("from"))
        try await waitUntilAsync("backfill triggers written") {
            try await cluster.triggers().filter { $0.source == .backfill }.count == 10
        }
        let backfilled = try await cluster.triggers().filter { $0.source == .backfill }.compactMap(\.scheduledAt).sorted()
        #expect(backfilled.first == from)
        #expect(backfilled.last == from.addingTimeInterval(18))

        // Delete: the job stops firing and its state goes.
        #expect(try await api.send("DELETE", "/v1/jobs/api-job", actor: "erin").status == 200)
        #expect(try await api.send("GET", "/v1/jobs/api-job").status == 404)
        _ = try await cluster.waitForEvent("job_deleted") { $0.type == .jobDeleted && $0.actor == "erin" }
        try await Task.sleep(for: .seconds(1))
        let deletedAt = Date()
        try await Task.sleep(for: .seconds(4))
        #expect(try await cluster.scheduledTriggers(of: "api-job").allSatisfy { $0.emittedAt! < deletedAt })

        let metrics = try await api.send("GET", "/metrics")
        #expect(metrics.body.stringValue?.contains("dify_producer_triggers_emitted_total{source=\"schedule\"}") == true)
        #expect(try await api.send("GET", "/healthz").status == 200)
        #expect(await producer.terminate() == 0)
    }
}
