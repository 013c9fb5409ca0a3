import Foundation
import Shared
import Testing

@testable import Producer

@Suite struct FireSchedulerTests {
    func scheduler() -> FireScheduler {
        let emitter = FireEmitter(trigger: { _, _ in true }, cancel: { _, _ in true }, event: { _ in })
        return FireScheduler(settings: .init(), emitter: emitter, metrics: ProducerMetrics(registry: MetricsRegistry()), logger: Logger(label: "test"))
    }

    func job(every: String) -> (Job, CompiledSchedule) {
        let job = Job(id: "tick", app: "demo", schedule: ScheduleSpec(every: every))
        return (job, try! CompiledSchedule(spec: job.schedule, jobID: job.id, calendars: nil))
    }

    @Test func recordedStateResumesAfterLastInstant() async {
        let scheduler = scheduler()
        let (job, schedule) = job(every: "10s")
        var state = JobState(jobID: "tick")
        state.lastScheduledAt = Date(timeIntervalSince1970: 1000)
        state.scheduleFingerprint = JobState.fingerprint(of: job.schedule)
        await scheduler.upsert(job: job, schedule: schedule, partition: 0, state: state, now: Date(timeIntervalSince1970: 1055))
        #expect(await scheduler.next(jobID: "tick")?.scheduledAt == Date(timeIntervalSince1970: 1010))
    }

    @Test func scheduleChangedOfflineStartsFromNow() async {
        let scheduler = scheduler()
        let (old, _) = job(every: "10s")
        let (job, schedule) = job(every: "5s")
        var state = JobState(jobID: "tick")
        state.lastScheduledAt = Date(timeIntervalSince1970: 1000)
        state.scheduleFingerprint = JobState.fingerprint(of: old.schedule)
        await scheduler.upsert(job: job, schedule: schedule, partition: 0, state: state, now: Date(timeIntervalSince1970: 1055))
        #expect(await scheduler.next(jobID: "tick")?.scheduledAt == Date(timeIntervalSince1970: 1060))
    }

    @Test func unchangedUpdateKeepsNextFire() async {
        let scheduler = scheduler()
        var (job, schedule) = job(every: "10s")
        await scheduler.upsert(job: job, schedule: schedule, partition: 0, state: nil, now: Date(timeIntervalSince1970: 1003))
        job.inputs = ["topic": "changed"]
        await scheduler.upsert(job: job, schedule: schedule, partition: 0, state: nil, now: Date(timeIntervalSince1970: 1008))
        #expect(await scheduler.next(jobID: "tick")?.scheduledAt == Date(timeIntervalSince1970: 1010))
        #expect(await scheduler.view(jobID: "tick")?.job.inputs?["topic"] == .string("changed"))
    }

    @Test func pauseClearsNextFire() async {
        let scheduler = scheduler()
        let (job, schedule) = job(every: "10s")
        await scheduler.upsert(job: job, schedule: schedule, partition: 0, state: nil, now: Date(timeIntervalSince1970: 1003))
        let pause = JobControl(jobID: "tick", action: .pause, note: "maintenance", actor: "ops")
        #expect(await scheduler.apply(control: pause)?.type == .jobPaused)
        #expect(await scheduler.next(jobID: "tick") == nil)
        #expect(await scheduler.apply(control: pause) == nil)
        #expect(await scheduler.view(jobID: "tick")?.state.pauseNote == "maintenance")
    }
}
