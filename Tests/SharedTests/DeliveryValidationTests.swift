import Foundation
import Shared
import Testing

@Suite("Delivery validation")
struct DeliveryValidationTests {
    static let validator = JobValidator(knownChannels: ["team-chat", "ops-mail"])

    static func job(kind: JobKind = .workflow, _ deliver: DeliverySpec) -> Job {
        var job = Job(id: "daily-report", app: "reports", schedule: ScheduleSpec())
        job.schedule.cron = "0 9 * * *"
        job.kind = kind
        job.query = kind == .chatflow ? "write the daily summary" : nil
        job.deliver = deliver
        return job
    }

    static func messages(_ job: Job) -> [String] {
        validator.problems(in: job).map(\.description)
    }

    @Test func validBlocksPass() {
        #expect(Self.messages(Self.job(DeliverySpec(channels: ["team-chat"], content: "output", output: "report"))) == [])
        #expect(Self.messages(Self.job(DeliverySpec(channels: ["team-chat"], output: "report.summary"))) == [])
        #expect(Self.messages(Self.job(kind: .chatflow, DeliverySpec(channels: ["team-chat", "ops-mail"], when: "always", overflow: "cut"))) == [])
        #expect(Self.messages(Self.job(DeliverySpec(channels: ["team-chat"], content: "answer"))) == [])
    }

    @Test func unknownChannelNamesKnownOnes() {
        let messages = Self.messages(Self.job(DeliverySpec(channels: ["team-chat", "teamchat"], content: "answer")))
        #expect(messages == ["deliver.channels[1]: unknown channel \"teamchat\": define it under channels: (known: ops-mail, team-chat); contacts and groups are for alerts only"])
    }

    @Test func workflowWithoutContentIsRejected() {
        let messages = Self.messages(Self.job(DeliverySpec(channels: ["team-chat"])))
        #expect(messages.count == 1)
        #expect(messages.first?.hasPrefix("deliver.content: a workflow job must say what to send: content: output with output: VARIABLE") == true)
    }

    @Test func badValuesAreNamed() {
        let job = Self.job(DeliverySpec(channels: [], content: "output", output: "1st-report", when: "sometimes", overflow: "wrap", maxParts: 50))
        let messages = Self.messages(job)
        #expect(messages.contains("deliver.channels: name at least one channel from channels: to send the run's output to"))
        #expect(messages.contains { $0.hasPrefix("deliver.output: \"1st-report\" is not an output variable name") })
        #expect(messages.contains("deliver.when: unknown value \"sometimes\": use success, failure or always"))
        #expect(messages.contains { $0.hasPrefix("deliver.overflow: unknown value \"wrap\"") })
        #expect(messages.contains("deliver.max_parts: 50 is out of range: use 1 to 20"))
        #expect(messages.count == 5)
    }

    @Test func contentNeedsItsField() {
        #expect(Self.messages(Self.job(DeliverySpec(channels: ["team-chat"], content: "output"))) == ["deliver.output: content: output needs output: VARIABLE, the name of the workflow output to send"])
        #expect(Self.messages(Self.job(DeliverySpec(channels: ["team-chat"], content: "template"))).first?.hasPrefix("deliver.template: content: template needs template: TEXT") == true)
        #expect(Self.messages(Self.job(DeliverySpec(channels: ["team-chat"], content: "answer", output: "report"))) == ["deliver.output: output is used only with content: output: remove it or set content: output"])
        #expect(Self.messages(Self.job(DeliverySpec(channels: ["team-chat"], content: "summary"))).first?.hasPrefix("deliver.content: unknown content \"summary\"") == true)
    }

    @Test func templateIsCompiled() {
        let good = DeliverySpec(channels: ["team-chat"], template: "Sales for {{ previous_day.start | date: \"yyyy-MM-dd\" }}: {{ outputs.total }} ({{ status }})")
        #expect(Self.messages(Self.job(good)) == [])
        let bad = Self.messages(Self.job(DeliverySpec(channels: ["team-chat"], template: "{{ output.total }}")))
        #expect(bad.count == 1)
        #expect(bad.first?.hasPrefix("deliver.template: template in job \"daily-report\": {{ output.total }}") == true)
    }

    @Test func storeIOFalseIsRejected() {
        var job = Self.job(DeliverySpec(channels: ["team-chat"], content: "answer"))
        job.storeIO = false
        #expect(Self.messages(job).first?.hasPrefix("deliver: store_io: false keeps the answer and outputs out of the run's result") == true)
    }

    @Test func duplicateChannelIsRejected() {
        #expect(Self.messages(Self.job(DeliverySpec(channels: ["team-chat", "team-chat"], content: "answer"))) == ["deliver.channels[1]: channel \"team-chat\" is listed twice: list each channel once"])
    }

    @Test func configurationNamesFileAndLine() {
        let text = """
            channels:
              team-chat: {type: wecom, webhook_env: WECOM_HOOK}
            jobs:
              - id: daily-report
                app: reports
                schedule: {cron: "0 9 * * *"}
                deliver: {channels: [team-chta], content: answer}
            """
        #expect {
            try ConfigurationLoader(environment: [:]).load(text: text, file: "jobs.yaml")
        } throws: { error in
            "\(error)".contains("jobs.yaml:7: jobs[0].deliver.channels[0]: unknown channel \"team-chta\"")
        }
    }

    @Test func unknownKeyInDeliverIsReported() {
        let text = """
            jobs:
              - id: daily-report
                app: reports
                schedule: {cron: "0 9 * * *"}
                deliver: {channels: [a], contents: answer}
            """
        #expect {
            try ConfigurationLoader(environment: [:]).load(text: text, file: "jobs.yaml")
        } throws: { error in
            "\(error)".contains("unknown key \"contents\"")
        }
    }
}
