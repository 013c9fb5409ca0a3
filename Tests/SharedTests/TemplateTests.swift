import Foundation
import Testing

@testable import Shared

/// Renders `text` as a job input of a daily job in `zone` at `scheduledAt` (RFC 3339).
private func renderInput(_ text: String, zone: String, at scheduledAt: String, parent: ChainParent? = nil) throws -> JSONValue? {
    var job = Job(id: "daily-report", app: "reports", schedule: ScheduleSpec(cron: "0 30 0 * * *", timezone: zone))
    job.inputs = ["value": .string(text)]
    let instant = try #require(Timestamp.parse(scheduledAt))
    return try JobTemplates.render(job: job, scheduledAt: instant, triggerID: "t-1", parent: parent).inputs["value"]
}

@Suite struct TemplateTests {
    // MARK: - Syntax

    @Test func literalTextIsUnchanged() throws {
        let template = try Template.compile("plain text with } and { and }}", scope: JobTemplates.scope)
        #expect(template.isLiteral)
        #expect(template.renderText(TemplateContext()) == "plain text with } and { and }}")
    }

    @Test func quotedBracesRenderLiterally() throws {
        let template = try Template.compile("{{ \"{{\" }} name }}", scope: JobTemplates.scope)
        #expect(template.renderText(TemplateContext()) == "{{ name }}")
    }

    @Test func jobAndTriggerIDs() throws {
        let value = try renderInput("{{ job.id }}/{{trigger.id}}/{{ job.timezone }}", zone: "Asia/Shanghai", at: "2026-05-01T00:00:00Z")
        #expect(value == .string("daily-report/t-1/Asia/Shanghai"))
    }

    @Test func scheduledAtDefaultsToRFC3339InZone() throws {
        let value = try renderInput("{{ scheduled_at }}", zone: "Asia/Shanghai", at: "2026-05-01T00:00:00Z")
        #expect(value == .string("2026-05-01T08:00:00+08:00"))
    }

    @Test func dateFormatFields() throws {
        let format = "yyyy yy y YYYY-'W'ww w MMMM MMM MM M dd d DDD D EEEE EEE e HH H hh h a mm m ss s SSS xxx xx XXX VV ''"
        let value = try renderInput("{{ scheduled_at | date: \"\(format)\" }}", zone: "America/New_York", at: "2027-01-01T02:05:07.009Z")
        // 2027-01-01T02:05:07Z is 2026-12-31 21:05:07 in New York (EST, -05:00), a Thursday in ISO week 53 of 2026.
        #expect(value == .string("2026 26 2026 2026-W53 53 December Dec 12 12 31 31 365 365 Thursday Thu 4 21 21 09 9 PM 05 5 07 7 009 -05:00 -0500 -05:00 America/New_York '"))
    }

    @Test func zuluOffsetInUTC() throws {
        let value = try renderInput("{{ scheduled_at | date: \"yyyy-MM-dd'T'HH:mm:ssXXX\" }}", zone: "UTC", at: "2026-05-01T09:00:00Z")
        #expect(value == .string("2026-05-01T09:00:00Z"))
    }

    @Test func isoWeekAtYearStart() throws {
        // 2027-01-03 is a Sunday: still ISO week 53 of 2026; 2027-01-04 starts week 1 of 2027.
        let sunday = try renderInput("{{ scheduled_at | date: \"YYYY-'W'ww\" }}", zone: "UTC", at: "2027-01-03T12:00:00Z")
        let monday = try renderInput("{{ scheduled_at | date: \"YYYY-'W'ww\" }}", zone: "UTC", at: "2027-01-04T12:00:00Z")
        #expect(sunday == .string("2026-W53"))
        #expect(monday == .string("2027-W01"))
    }

    // MARK: - Previous day across month end, year end and DST

    /// Renders the previous day's date of each daily fire at 00:30 local time, from the schedule engine.
    private func previousDays(zone: String, from: String, count: Int) throws -> [String] {
        var job = Job(id: "daily-report", app: "reports", schedule: ScheduleSpec(cron: "0 30 0 * * *", timezone: zone))
        job.inputs = ["day": .string("{{ previous_day.start | date: \"yyyy-MM-dd\" }}")]
        let schedule = try CompiledSchedule(spec: job.schedule, jobID: job.id)
        var cursor = try #require(Timestamp.parse(from))
        var days: [String] = []
        while days.count < count, let fire = schedule.nextFire(after: cursor) {
            let rendered = try JobTemplates.render(job: job, scheduledAt: fire.scheduledAt, triggerID: "t")
            days.append(rendered.inputs["day"]?.stringValue ?? "")
            cursor = fire.scheduledAt
        }
        return days
    }

    @Test(arguments: ["Europe/Berlin", "America/New_York", "Asia/Shanghai"])
    func previousDayAcrossMonthEnd(zone: String) throws {
        // Fires at 00:30 local on 2026-04-29, 04-30, 05-01 and 05-02, whatever the zone.
        let days = try previousDays(zone: zone, from: "2026-04-28T12:00:00Z", count: 4)
        #expect(days == ["2026-04-28", "2026-04-29", "2026-04-30", "2026-05-01"])
    }

    @Test(arguments: ["Europe/Berlin", "America/New_York", "Asia/Shanghai"])
    func previousDayAcrossYearEnd(zone: String) throws {
        // Fires at 00:30 local on 2026-12-31, 2027-01-01 and 2027-01-02, whatever the zone.
        let start = try #require(Timestamp.parse("2026-12-31T00:00:00Z")).addingTimeInterval(-14 * 3600)
        let days = try previousDays(zone: zone, from: Timestamp.rfc3339(start), count: 3)
        #expect(days == ["2026-12-30", "2026-12-31", "2027-01-01"])
    }

    @Test func previousDayAcrossSpringForwardInBerlin() throws {
        // Clocks jump from 02:00 to 03:00 on 2026-03-29 in Berlin.
        let days = try previousDays(zone: "Europe/Berlin", from: "2026-03-27T12:00:00Z", count: 4)
        #expect(days == ["2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30"])

        let start = try renderInput("{{ previous_day.start }}", zone: "Europe/Berlin", at: "2026-03-29T22:30:00Z")
        let end = try renderInput("{{ previous_day.end }}", zone: "Europe/Berlin", at: "2026-03-29T22:30:00Z")
        let until = try renderInput("{{ previous_day.until }}", zone: "Europe/Berlin", at: "2026-03-29T22:30:00Z")
        #expect(start == .string("2026-03-29T00:00:00+01:00"))
        #expect(end == .string("2026-03-29T23:59:59+02:00"))
        #expect(until == .string("2026-03-30T00:00:00+02:00"))
    }

    @Test func previousDayAcrossFallBackInNewYork() throws {
        // Clocks go back from 02:00 to 01:00 on 2026-11-01 in New York: that day has 25 hours.
        let days = try previousDays(zone: "America/New_York", from: "2026-10-31T00:00:00Z", count: 3)
        #expect(days == ["2026-10-30", "2026-10-31", "2026-11-01"])

        let start = try renderInput("{{ previous_day.start }}", zone: "America/New_York", at: "2026-11-02T05:30:00Z")
        let until = try renderInput("{{ previous_day.until }}", zone: "America/New_York", at: "2026-11-02T05:30:00Z")
        #expect(start == .string("2026-11-01T00:00:00-04:00"))
        #expect(until == .string("2026-11-02T00:00:00-05:00"))
    }

    @Test func previousDayInShanghaiIsLocalNotUTC() throws {
        // 00:30 in Shanghai on 2026-03-01 is 16:30 UTC on 2026-02-28.
        let value = try renderInput("{{ previous_day.start | date: \"yyyy-MM-dd\" }}", zone: "Asia/Shanghai", at: "2026-02-28T16:30:00Z")
        #expect(value == .string("2026-02-28"))
    }

    @Test func previousHourAcrossSpringForward() throws {
        // 03:30 CEST on 2026-03-29 came one hour after 01:30 CET: the hour before started at 01:00.
        let value = try renderInput("{{ previous_hour.start }}", zone: "Europe/Berlin", at: "2026-03-29T01:30:00Z")
        #expect(value == .string("2026-03-29T01:00:00+01:00"))
    }

    @Test func halfHourSwitchHourIsLocal() throws {
        // Lord Howe Island moves its clocks from 02:00 +10:30 to 02:30 +11:00 on 2026-10-04:
        // the fire at 02:30 is in the local hour 02:00-03:00, which starts at 02:30 that day.
        let at = "2026-10-03T15:30:00Z"
        let zone = "Australia/Lord_Howe"
        #expect(try renderInput("{{ scheduled_at }}", zone: zone, at: at) == .string("2026-10-04T02:30:00+11:00"))
        #expect(try renderInput("{{ current_hour.start }}", zone: zone, at: at) == .string("2026-10-04T02:30:00+11:00"))
        #expect(try renderInput("{{ current_hour.until }}", zone: zone, at: at) == .string("2026-10-04T03:00:00+11:00"))
        #expect(try renderInput("{{ previous_hour.start }}", zone: zone, at: at) == .string("2026-10-04T01:00:00+10:30"))
        #expect(try renderInput("{{ previous_hour.until }}", zone: zone, at: at) == .string("2026-10-04T02:30:00+11:00"))
        // On an ordinary day every hour starts at :00.
        #expect(try renderInput("{{ current_hour.start }}", zone: zone, at: "2026-10-04T15:30:00Z") == .string("2026-10-05T02:00:00+11:00"))
    }

    @Test func repeatedHourIsOneLocalHour() throws {
        // Berlin's clocks go from 03:00 CEST back to 02:00 CET on 2026-10-25: the local hour
        // 02:00-03:00 lasts two hours, and 02:30 CET (01:30 UTC) is in it.
        let at = "2026-10-25T01:30:00Z"
        #expect(try renderInput("{{ current_hour.start }}", zone: "Europe/Berlin", at: at) == .string("2026-10-25T02:00:00+02:00"))
        #expect(try renderInput("{{ current_hour.until }}", zone: "Europe/Berlin", at: at) == .string("2026-10-25T03:00:00+01:00"))
        #expect(try renderInput("{{ previous_hour.start }}", zone: "Europe/Berlin", at: at) == .string("2026-10-25T01:00:00+02:00"))
    }

    @Test func previousWeekAndMonth() throws {
        // Wednesday 2026-03-04 in Shanghai.
        let at = "2026-03-04T01:00:00Z"
        #expect(try renderInput("{{ previous_week.start | date: \"yyyy-MM-dd EEE\" }}", zone: "Asia/Shanghai", at: at) == .string("2026-02-23 Mon"))
        #expect(try renderInput("{{ previous_week.end | date: \"yyyy-MM-dd EEE HH:mm:ss\" }}", zone: "Asia/Shanghai", at: at) == .string("2026-03-01 Sun 23:59:59"))
        #expect(try renderInput("{{ previous_month.start | date: \"yyyy-MM-dd\" }}", zone: "Asia/Shanghai", at: at) == .string("2026-02-01"))
        #expect(try renderInput("{{ previous_month.end | date: \"yyyy-MM-dd\" }}", zone: "Asia/Shanghai", at: at) == .string("2026-02-28"))
        #expect(try renderInput("{{ current_month.until | date: \"yyyy-MM-dd\" }}", zone: "Asia/Shanghai", at: at) == .string("2026-04-01"))
    }

    @Test func previousMonthInJanuary() throws {
        let at = "2027-01-15T12:00:00Z"
        #expect(try renderInput("{{ previous_month.start | date: \"yyyy-MM\" }}", zone: "Europe/Berlin", at: at) == .string("2026-12"))
        #expect(try renderInput("{{ previous_month.end | date: \"yyyy-MM-dd\" }}", zone: "Europe/Berlin", at: at) == .string("2026-12-31"))
    }

    // MARK: - Parent values and filters

    @Test func parentOutputsKeepTheirType() throws {
        let parent = ChainParent(
            jobID: "extract", triggerID: "t-parent", status: .succeeded,
            outputs: .object(["count": .int(3), "summary": .string("ok"), "rows": .array([.object(["name": .string("a")])])]),
            answer: "done")
        #expect(try renderInput("{{ parent.outputs.count }}", zone: "UTC", at: "2026-05-01T00:00:00Z", parent: parent) == .int(3))
        #expect(try renderInput("n={{ parent.outputs.count }}", zone: "UTC", at: "2026-05-01T00:00:00Z", parent: parent) == .string("n=3"))
        #expect(try renderInput("{{ parent.outputs.rows.0.name }}", zone: "UTC", at: "2026-05-01T00:00:00Z", parent: parent) == .string("a"))
        #expect(try renderInput("{{ parent.status }} {{ parent.trigger_id }} {{ parent.job_id }} {{ parent.answer | upper }}", zone: "UTC", at: "2026-05-01T00:00:00Z", parent: parent) == .string("succeeded t-parent extract DONE"))
        #expect(try renderInput("{{ parent.outputs | json }}", zone: "UTC", at: "2026-05-01T00:00:00Z", parent: parent) == .string(#"{"count":3,"rows":[{"name":"a"}],"summary":"ok"}"#))
    }

    @Test func missingValuesUseDefault() throws {
        #expect(try renderInput("[{{ parent.answer }}]", zone: "UTC", at: "2026-05-01T00:00:00Z") == .string("[]"))
        #expect(try renderInput("{{ parent.answer | default: \"none\" }}", zone: "UTC", at: "2026-05-01T00:00:00Z") == .string("none"))
        #expect(try renderInput("{{ parent.outputs.missing }}", zone: "UTC", at: "2026-05-01T00:00:00Z") == .string(""))
    }

    @Test func truncateAndTrim() throws {
        let parent = ChainParent(jobID: "p", triggerID: "t", status: .succeeded, answer: "  a long answer  ")
        #expect(try renderInput("{{ parent.answer | trim | truncate: 6 }}", zone: "UTC", at: "2026-05-01T00:00:00Z", parent: parent) == .string("a lon…"))
    }

    @Test func chatflowQueryIsRendered() throws {
        var job = Job(id: "chat", app: "bot", schedule: ScheduleSpec(cron: "0 0 9 * * *", timezone: "Asia/Shanghai"))
        job.kind = .chatflow
        job.query = "Summarise {{ previous_day.start | date: \"yyyy-MM-dd\" }}"
        job.inputs = ["nested": .object(["list": .array([.string("{{ job.id }}"), .int(1)])])]
        let rendered = try JobTemplates.render(job: job, scheduledAt: try #require(Timestamp.parse("2026-05-01T01:00:00Z")), triggerID: "t")
        #expect(rendered.query == "Summarise 2026-04-30")
        #expect(rendered.inputs["nested"] == .object(["list": .array([.string("chat"), .int(1)])]))
    }

    // MARK: - Errors at validation

    private func compileError(_ text: String) -> TemplateError? {
        do {
            _ = try Template.compile(text, scope: JobTemplates.scope)
            return nil
        } catch {
            return error
        }
    }

    @Test func unknownNameNamesTheChoices() throws {
        let error = try #require(compileError("day {{ previous_dya.start }}"))
        #expect(error.code == .unknownName)
        #expect(error.placeholder == "{{ previous_dya.start }}")
        #expect(error.reason.contains("unknown name \"previous_dya\""))
        #expect(error.reason.contains("previous_day"))
    }

    @Test func periodWithoutFieldIsRejected() throws {
        let error = try #require(compileError("{{ previous_day }}"))
        #expect(error.reason == "\"previous_day\" is a group of values, not a value: write one of previous_day.end, previous_day.start, previous_day.until")
    }

    @Test func unknownFieldIsRejected() throws {
        let error = try #require(compileError("{{ job.name }}"))
        #expect(error.reason.contains("unknown name \"job.name\": use job.app, job.id, job.timezone"))
    }

    @Test func unknownFilterIsRejected() throws {
        let error = try #require(compileError("{{ scheduled_at | format: \"yyyy\" }}"))
        #expect(error.code == .unknownFilter)
        #expect(error.reason.contains("unknown filter \"format\""))
    }

    @Test func badDateFormatIsRejected() throws {
        let error = try #require(compileError("{{ scheduled_at | date: \"YYYY-mm-DD\" }}"))
        #expect(error.code == .invalidFormat)
        #expect(error.reason.contains("\"DD\" is not a format field"))

        let quote = try #require(compileError("{{ scheduled_at | date: \"yyyy'T\" }}"))
        #expect(quote.reason.contains("not closed"))

        let word = try #require(compileError("{{ scheduled_at | date: \"yyyy week ww\" }}"))
        #expect(word.reason.contains("quote literal text"))
    }

    @Test func dateOnNonTimeIsRejected() throws {
        let error = try #require(compileError("{{ job.id | date: \"yyyy\" }}"))
        #expect(error.code == .invalidFilter)
    }

    @Test func unclosedPlaceholderIsRejected() throws {
        let error = try #require(compileError("report {{ scheduled_at"))
        #expect(error.code == .syntax)
        #expect(error.reason.contains("not closed"))
    }

    @Test func emptyPlaceholderIsRejected() throws {
        #expect(compileError("{{ }}")?.code == .syntax)
        #expect(compileError("{{ scheduled_at | }}")?.code == .syntax)
        #expect(compileError("{{ scheduled_at | truncate: 0 }}")?.code == .invalidFilter)
        #expect(compileError("{{ scheduled_at | upper: \"x\" }}")?.code == .invalidFilter)
    }

    @Test func validatorNamesJobInputAndPlaceholder() throws {
        var job = Job(id: "daily-report", app: "reports", schedule: ScheduleSpec(cron: "0 30 0 * * *", timezone: "Europe/Berlin"))
        job.inputs = ["day": .string("{{ previous_day.start | date: \"yyyy-MM-DD\" }}"), "ok": .string("{{ job.id }}")]
        job.query = "{{ yesterday }}"
        let problems = JobValidator().problems(in: job)
        let day = try #require(problems.first { $0.field == "inputs.day" })
        #expect(day.message.contains("job \"daily-report\""))
        #expect(day.message.contains("{{ previous_day.start | date: \"yyyy-MM-DD\" }}"))
        #expect(day.message.contains("\"DD\" is not a format field"))
        #expect(problems.contains { $0.field == "query" && $0.message.contains("unknown name \"yesterday\"") })
        #expect(!problems.contains { $0.field == "inputs.ok" })
    }
}
