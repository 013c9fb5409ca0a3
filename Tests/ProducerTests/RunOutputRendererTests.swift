import Foundation
import Shared
import Testing

@testable import Producer

@Suite("Run output renderer")
struct RunOutputRendererTests {
    static let renderer = RunOutputRenderer(publicURL: "http://console.example/")

    static func job(_ deliver: DeliverySpec, kind: JobKind = .workflow) -> Job {
        var job = Job(id: "daily-report", app: "reports", schedule: ScheduleSpec())
        job.kind = kind
        job.schedule.timezone = "Asia/Shanghai"
        job.deliver = deliver
        return job
    }

    static func result(_ status: RunStatus = .succeeded) -> RunResult {
        var result = RunResult(triggerID: "t-9", app: "reports", status: status)
        result.jobID = "daily-report"
        result.scheduledAt = Timestamp.parse("2026-12-04T01:00:00Z")
        result.finishedAt = Timestamp.parse("2026-12-04T01:00:30Z")
        result.answer = "Streamed text"
        result.outputs = .object(["summary": .string("销售增长 12%"), "detail": .object(["rows": .int(3)])])
        return result
    }

    @Test func answerWithScheduledTitleAndLink() throws {
        let spec = DeliverySpec(channels: ["c"], content: "answer")
        let message = try Self.renderer.message(for: Self.result(), job: Self.job(spec), spec: spec, language: .english)
        #expect(message.text == "Streamed text")
        #expect(message.title == "daily-report · 2026-12-04 09:00 (Asia/Shanghai)")
        #expect(message.link == "http://console.example/runs/t-9")
        #expect(message.content == "answer")
    }

    @Test func truncatedAnswerSaysSo() throws {
        var result = Self.result()
        result.ioTruncated = true
        let spec = DeliverySpec(channels: ["c"], content: "answer")
        let message = try Self.renderer.message(for: result, job: Self.job(spec), spec: spec, language: .english)
        #expect(message.text.hasPrefix("Streamed text\n\n> The answer was longer than the result size cap"))
    }

    @Test func outputVariableAsTextOrJSON() throws {
        let text = DeliverySpec(channels: ["c"], output: "summary", title: "Sales")
        #expect(try Self.renderer.message(for: Self.result(), job: Self.job(text), spec: text, language: .english).text == "销售增长 12%")
        let object = DeliverySpec(channels: ["c"], output: "detail")
        let rendered = try Self.renderer.message(for: Self.result(), job: Self.job(object), spec: object, language: .english).text
        #expect(rendered == "```json\n{\n  \"rows\" : 3\n}\n```")
    }

    @Test func missingOutputFailsWithKnownKeys() {
        let spec = DeliverySpec(channels: ["c"], output: "summry")
        #expect(throws: RunOutputRenderer.Failure(reason: "output_missing", message: "the run's outputs have no \"summry\" (keys: detail, summary): set deliver.output to one of them")) {
            try Self.renderer.message(for: Self.result(), job: Self.job(spec), spec: spec, language: .english)
        }
    }

    @Test func templateRendersOutputsAndPeriods() throws {
        let spec = DeliverySpec(channels: ["c"], template: "{{ previous_day.start | date: \"yyyy-MM-dd\" }}: {{ outputs.summary }} / {{ outputs.detail.rows }} rows, {{ status }}")
        let message = try Self.renderer.message(for: Self.result(), job: Self.job(spec), spec: spec, language: .english)
        #expect(message.text == "2026-12-03: 销售增长 12% / 3 rows, succeeded")
    }

    @Test func failedRunLeadsWithStatusAndError() throws {
        var result = Self.result(.failed)
        result.outputs = nil
        result.error = RunError(code: "workflow_failed", message: "Node *LLM* failed", retryable: false)
        let spec = DeliverySpec(channels: ["c"], output: "summary", when: "always")
        let message = try Self.renderer.message(for: result, job: Self.job(spec), spec: spec, language: .chinese)
        #expect(message.title.hasPrefix("【failed】daily-report"))
        #expect(message.text == "**状态**: failed\n\n**错误**: Node \\*LLM\\* failed")
    }
}
