import Foundation
import Shared
import Testing

@testable import Producer

/// The rules that need history and every suppression rule, without Kafka or channels.
@Suite("Notify rules")
struct NotifyRuleTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func result(_ index: Int, _ status: RunStatus, job: String = "j", app: String = "a", runTime: Int64 = 1000, attempts: Int = 1) -> RunResult {
        var result = RunResult(triggerID: "t-\(job)-\(index)", app: app, status: status)
        result.jobID = job
        result.scheduledAt = start.addingTimeInterval(Double(index) * 60)
        result.finishedAt = start.addingTimeInterval(Double(index) * 60 + 5)
        result.runTimeMilliseconds = runTime
        result.attempts = (1...attempts).map { AttemptRecord(number: $0) }
        if status.outcome == .failure { result.error = RunError(code: "run_failed", message: "boom \(index)", retryable: false) }
        return result
    }

    @Test func consecutiveFailuresCountRunsNotAttemptsAndRecoveryFollows() {
        var engine = AlertRuleEngine()
        let policy = AlertPolicy(on: ["failure", "recovered"], channels: ["ops"], consecutiveFailures: 3)
        var raised: [Alert] = []
        for index in 0..<3 {
            raised += engine.observe(Self.result(index, .failed, attempts: 3), policy: policy, workerPolicy: policy)
        }
        // The worker publishes the failure facts; the engine raises only the streak alert, once.
        #expect(raised.map(\.kind) == [.consecutiveFailures])
        #expect(raised.first?.detail?["consecutive_failures"] == .int(3))
        #expect(raised.first?.triggerID == "t-j-2")
        // A redelivered result is not counted again.
        #expect(engine.observe(Self.result(2, .failed), policy: policy, workerPolicy: policy).isEmpty)
        #expect(engine.streak(of: "j") == 3)
        #expect(engine.observe(Self.result(3, .failed), policy: policy, workerPolicy: policy).isEmpty)
        // Stopped runs neither break nor extend the streak.
        #expect(engine.observe(Self.result(4, .stopped), policy: policy, workerPolicy: policy).isEmpty)
        #expect(engine.streak(of: "j") == 4)
        let recovery = engine.observe(Self.result(5, .succeeded), policy: policy, workerPolicy: policy)
        #expect(recovery.map(\.kind) == [.recovered])
        #expect(recovery.first?.detail?["failed_runs"] == .int(4))
        #expect(engine.observe(Self.result(6, .succeeded), policy: policy, workerPolicy: policy).isEmpty)
    }

    @Test func recoveryClosesAConsecutiveIncidentEvenWhenNotAsked() {
        var engine = AlertRuleEngine()
        let policy = AlertPolicy(on: ["failure"], consecutiveFailures: 2)
        _ = engine.observe(Self.result(0, .failed), policy: policy, workerPolicy: policy)
        _ = engine.observe(Self.result(1, .timedOut), policy: policy, workerPolicy: policy)
        #expect(engine.observe(Self.result(2, .partialSucceeded), policy: policy, workerPolicy: policy).map(\.kind) == [.recovered])

        // Below the threshold and without `recovered`, a success is quiet.
        _ = engine.observe(Self.result(3, .failed), policy: policy, workerPolicy: policy)
        #expect(engine.observe(Self.result(4, .succeeded), policy: policy, workerPolicy: policy).isEmpty)
    }

    @Test func slowRunsRaiseSlow() {
        var engine = AlertRuleEngine()
        let policy = AlertPolicy(slowerThan: "30s")
        #expect(engine.observe(Self.result(0, .succeeded, runTime: 29_000), policy: policy, workerPolicy: policy).isEmpty)
        let slow = engine.observe(Self.result(1, .succeeded, runTime: 31_000), policy: policy, workerPolicy: policy)
        #expect(slow.map(\.kind) == [.slow])
        #expect(slow.first?.severity == .warning)
    }

    @Test func appDefaultsRaiseTheFactsTheWorkerDidNotKnow() {
        var settings = AlertSettings()
        settings.defaults = ["a": AlertPolicy(on: ["failure", "timeout"], channels: ["ops"], silence: "1h")]
        var job = Job(id: "j", app: "a", schedule: ScheduleSpec(every: "1m"))
        job.alerts = AlertPolicy(consecutiveFailures: 5)
        let effective = settings.effectivePolicy(for: job)
        #expect(effective?.on == ["failure", "timeout"])
        #expect(effective?.consecutiveFailures == 5)
        #expect(effective?.silence == "1h")

        var engine = AlertRuleEngine()
        let facts = engine.observe(Self.result(0, .timedOut), policy: effective, workerPolicy: job.alerts)
        #expect(facts.map(\.kind) == [.timeout])
        #expect(facts.first?.channels == ["ops"])
        // Same id as the worker's fact, so both copies are delivered once.
        #expect(facts.first?.id == Alert(kind: .timeout, severity: .critical, jobID: "j", app: "a", triggerID: "t-j-0", status: .timedOut, message: "").id)
        // When the worker asks for the fact itself, the engine does not repeat it.
        #expect(engine.observe(Self.result(1, .failed), policy: effective, workerPolicy: effective).isEmpty)
    }

    @Test func replayRebuildsWithoutRaising() {
        var engine = AlertRuleEngine()
        let policy = AlertPolicy(on: ["recovered"], consecutiveFailures: 2)
        #expect(engine.observe(Self.result(0, .failed), policy: policy, workerPolicy: policy, replaying: true).isEmpty)
        #expect(engine.observe(Self.result(1, .failed), policy: policy, workerPolicy: policy, replaying: true).isEmpty)
        #expect(engine.observe(Self.result(2, .succeeded), policy: policy, workerPolicy: policy).map(\.kind) == [.recovered])
    }

    // MARK: - Suppression

    static func failure(_ index: Int, status: RunStatus = .failed, job: String = "j", kind: AlertKind = .failure) -> Alert {
        Alert(kind: kind, severity: .critical, jobID: job, app: "a", triggerID: "t-\(job)-\(index)", status: status,
            message: "boom", time: start.addingTimeInterval(Double(index) * 60))
    }

    static func suppressor(maxAge: Int64 = 3_600_000, maintenance: [MaintenanceWindow] = []) -> AlertSuppressor {
        AlertSuppressor(maxAgeMilliseconds: maxAge, maintenance: MaintenanceCalendar(settings: maintenance))
    }

    @Test func oncePerIncidentThenSilentUnlessStateChanges() {
        var suppressor = Self.suppressor()
        let silence: Int64 = 10 * 60_000
        func decide(_ alert: Alert) -> AlertSuppressor.Decision {
            suppressor.decide(alert, silenceMilliseconds: silence, now: alert.time)
        }
        #expect(decide(Self.failure(0)) == .send)
        #expect(decide(Self.failure(1)) == .silenced(until: Self.start.addingTimeInterval(600)))
        // A duplicate id is not decided twice.
        #expect(decide(Self.failure(1)) == .duplicate)
        // A state change (failed → timed out) is news.
        #expect(decide(Self.failure(2, status: .timedOut, kind: .timeout)) == .send)
        #expect(decide(Self.failure(3, status: .timedOut, kind: .timeout)) == .silenced(until: Self.start.addingTimeInterval(720)))
        // Another job is another incident.
        #expect(decide(Self.failure(3, job: "k")) == .send)
        // After the silence window the incident is reported again.
        #expect(decide(Self.failure(13, status: .timedOut, kind: .timeout)) == .send)
        // A success ends the incident: the next failure is sent at once.
        suppressor.observeSuccess(jobID: "j", at: Self.start.addingTimeInterval(14 * 60))
        #expect(decide(Self.failure(15, status: .timedOut, kind: .timeout)) == .send)
    }

    @Test func withoutSilenceEveryFailureIsSent() {
        var suppressor = Self.suppressor()
        for index in 0..<3 {
            #expect(suppressor.decide(Self.failure(index), silenceMilliseconds: nil, now: Self.failure(index).time) == .send)
        }
    }

    @Test func alertsOlderThanMaxAgeAreHeldBack() {
        var suppressor = Self.suppressor(maxAge: 15 * 60_000)
        let alert = Self.failure(0)
        let decision = suppressor.decide(alert, silenceMilliseconds: nil, now: alert.time.addingTimeInterval(16 * 60))
        #expect(decision == .tooOld(ageMilliseconds: 16 * 60_000))
        #expect(decision.reason == "too_old")
    }

    @Test func maintenanceWindowsHoldBackMatchingAlerts() {
        var once = MaintenanceWindow()
        once.name = "upgrade"
        once.start = Timestamp.rfc3339(Self.start)
        once.end = Timestamp.rfc3339(Self.start.addingTimeInterval(3600))
        once.apps = ["a"]
        var nightly = MaintenanceWindow()
        nightly.name = "nightly"
        nightly.cron = "0 0 2 * * *"
        nightly.duration = "1h"
        nightly.timezone = "Asia/Shanghai"
        var suppressor = Self.suppressor(maxAge: .max, maintenance: [once, nightly])

        let inside = Self.failure(1)
        #expect(suppressor.decide(inside, silenceMilliseconds: nil, now: inside.time) == .maintenance(window: "upgrade"))
        var otherApp = Self.failure(2, job: "k")
        otherApp.app = "b"
        #expect(suppressor.decide(otherApp, silenceMilliseconds: nil, now: otherApp.time) == .send)

        // 02:30 in Shanghai is 18:30 UTC the day before.
        let night = Timestamp.parse("2027-01-10T18:30:00Z")!
        var late = Alert(kind: .failure, severity: .critical, jobID: "n", app: "b", triggerID: "t-n", status: .failed, message: "x", time: night)
        #expect(suppressor.decide(late, silenceMilliseconds: nil, now: night) == .maintenance(window: "nightly"))
        late = Alert(kind: .failure, severity: .critical, jobID: "n", app: "b", triggerID: "t-n2", status: .failed, message: "x", time: night.addingTimeInterval(3600))
        #expect(suppressor.decide(late, silenceMilliseconds: nil, now: late.time) == .send)
    }

    @Test func rateLimitPerChannel() {
        var limiter = ChannelRateLimiter(limits: ["ops": .init(messages: 2, perSeconds: 60)])
        let offsets: [(String, Double)] = [("ops", 0), ("ops", 1), ("ops", 2), ("other", 2), ("ops", 61)]
        let taken = offsets.map { channel, offset in limiter.take(channel, now: Self.start.addingTimeInterval(offset)) }
        #expect(taken == [true, true, false, true, true])
    }

    // MARK: - App-level rules

    @Test func appSuccessRateBelowAndDroppedAndStoppedFiring() {
        var below = AppAlertRule(app: "*")
        below.window = "10m"
        below.successRateBelow = 0.8
        below.channels = ["ops"]
        var drop = AppAlertRule(app: "a")
        drop.window = "10m"
        drop.successRateDrop = 30
        drop.channels = ["ops"]
        var stopped = AppAlertRule(app: "a")
        stopped.window = "10m"
        stopped.runCountDrop = 50
        stopped.channels = ["ops"]
        var evaluator = AppRuleEvaluator(rules: [below, drop, stopped], coveredSince: Self.start)

        // Previous window: 10 runs of two jobs, all successful.
        for index in 0..<10 {
            var result = Self.result(index, .succeeded, job: index % 2 == 0 ? "even" : "odd")
            result.finishedAt = Self.start.addingTimeInterval(Double(index) * 55 + 10)
            evaluator.record(result)
        }
        // Current window: 4 runs of one job, half failed.
        for index in 10..<14 {
            var result = Self.result(index, index % 2 == 0 ? .failed : .succeeded, job: "even")
            result.finishedAt = Self.start.addingTimeInterval(600 + Double(index - 10) * 60 + 10)
            evaluator.record(result)
        }
        let now = Self.start.addingTimeInterval(1200)
        let alerts = evaluator.evaluate(now: now)
        // Four runs are below min_runs (5) for the rate rules; the run count fell by 60%.
        #expect(alerts.map(\.kind) == [.stoppedFiring])
        #expect(alerts.first?.detail?["stopped_jobs"] == .array([.string("odd")]))
        #expect(alerts.first?.app == "a")
        #expect(alerts.first?.channels == ["ops"])
        // Once per incident: the next judgement within the silence window is quiet.
        #expect(evaluator.evaluate(now: now.addingTimeInterval(30)).isEmpty)

        var strict = AppAlertRule(app: "a")
        strict.window = "10m"
        strict.successRateBelow = 0.8
        strict.successRateDrop = 30
        strict.minRuns = 4
        strict.channels = ["ops"]
        var second = AppRuleEvaluator(rules: [strict], coveredSince: Self.start)
        for value in evaluator.buckets["a"]!.sorted(by: { $0.key < $1.key }) {
            for _ in 0..<value.value.successes { second.record(Self.unique(.succeeded, minute: value.key)) }
            for _ in 0..<value.value.failures { second.record(Self.unique(.failed, minute: value.key)) }
        }
        let rateAlerts = second.evaluate(now: now)
        #expect(rateAlerts.map(\.kind) == [.appThreshold, .appThreshold])
        #expect(rateAlerts.first?.message.contains("50.0%") == true)
    }

    @Test func appRulesWaitForTwoWholeWindows() {
        var rule = AppAlertRule(app: "a")
        rule.window = "10m"
        rule.runCountDrop = 50
        rule.minRuns = 1
        var evaluator = AppRuleEvaluator(rules: [rule], coveredSince: Self.start)
        evaluator.record(Self.result(0, .succeeded))
        #expect(evaluator.evaluate(now: Self.start.addingTimeInterval(900)).isEmpty)
        #expect(evaluator.evaluate(now: Self.start.addingTimeInterval(1200)).map(\.kind) == [.stoppedFiring])
    }

    static func unique(_ status: RunStatus, minute: Int64) -> RunResult {
        var result = RunResult(triggerID: "u-\(UUID().uuidString)", app: "a", status: status)
        result.jobID = "even"
        result.finishedAt = Date(timeIntervalSince1970: Double(minute * 60 + 1))
        return result
    }
}
