import Foundation
import Shared
import Testing

@testable import Producer

/// Job bodies in JSON and YAML, the line of a field in a YAML body, entity tags, and the fix
/// part of the validator's messages.
@Suite struct JobDocumentTests {
    static let yaml = """
        id: report
        app: demo
        schedule:
          cron: "0 9 * * *"
          timezone: Asia/Shanghai
        alerts:
          on: [failure, timeout]
          channels:
            - ops
            - oncall
        inputs: {topic: x}
        """

    @Test func yamlBodyDecodesWithLines() throws {
        let document = JobDocument.readYAML(Data(Self.yaml.utf8), pathID: nil)
        #expect(document.issues.isEmpty, "\(document.issues)")
        let job = try #require(document.job)
        #expect(job.id == "report")
        #expect(job.managedBy == .api)
        #expect(job.version == Job.currentVersion)
        #expect(job.schedule.cron == "0 9 * * *")
        #expect(document.line(of: "schedule.cron") == 4)
        #expect(document.line(of: "schedule.timezone") == 5)
        #expect(document.line(of: "alerts.channels[1]") == 10)
        #expect(document.line(of: "alerts.on[1]") == 7)
        #expect(document.line(of: "inputs.topic") == 11)
        // A field that is not written maps to the deepest written part of its path.
        #expect(document.line(of: "schedule.jitter") == 3)
        #expect(document.line(of: "retry.max_attempts") == nil)
    }

    @Test func yamlBodyProblems() {
        let typo = JobDocument.readYAML(Data("id: a\napp: demo\nschedule: {every: 1h}\nretyr: {max_attempts: 2}\n".utf8), pathID: nil)
        #expect(typo.job == nil)
        #expect(typo.issues.first?.line == 4)
        #expect(typo.issues.first?.message.contains("retry") == true, "\(typo.issues)")

        let managed = JobDocument.readYAML(Data("id: a\napp: demo\nschedule: {every: 1h}\nmanaged_by: file\n".utf8), pathID: nil)
        #expect(managed.job == nil)
        #expect(managed.issues.map(\.field) == ["managed_by"])
        #expect(managed.issues.first?.line == 4)

        let otherID = JobDocument.readYAML(Data("id: b\napp: demo\nschedule: {every: 1h}\n".utf8), pathID: "a")
        #expect(otherID.issues.map(\.field) == ["id"])

        let list = JobDocument.readYAML(Data("- id: a\n".utf8), pathID: nil)
        #expect(list.issues.map(\.field) == ["body"])

        let syntax = JobDocument.readYAML(Data("id: [a\n".utf8), pathID: nil)
        #expect(syntax.job == nil)
        #expect(syntax.issues.first?.line != nil)
    }

    @Test func pathIDFillsMissingID() throws {
        let yaml = JobDocument.readYAML(Data("app: demo\nschedule: {every: 1h}\n".utf8), pathID: "from-path")
        #expect(try #require(yaml.job).id == "from-path")
        let json = JobDocument.readJSON(Data(#"{"app": "demo", "schedule": {"every": "1h"}}"#.utf8), pathID: "from-path")
        #expect(try #require(json.job).id == "from-path")
    }

    @Test func jsonBodyListsEveryUnknownField() {
        let document = JobDocument.readJSON(Data(#"{"id": "a", "app": "demo", "schedule": {"every": "1h"}, "ovrelap": "skip", "retyr": {}}"#.utf8), pathID: nil)
        #expect(document.job == nil)
        #expect(document.issues.map(\.field) == ["ovrelap", "retyr"])
        #expect(document.issues.allSatisfy { $0.line == nil })
        #expect(JobDocument.readJSON(Data("[1]".utf8), pathID: nil).issues.map(\.field) == ["body"])
        #expect(JobDocument.readJSON(Data("{".utf8), pathID: nil).issues.map(\.field) == ["body"])
    }

    @Test func entityTagFollowsContent() {
        var job = Job(id: "a", app: "demo", schedule: ScheduleSpec())
        job.schedule.every = "1h"
        let first = JobDocument.entityTag(of: job)
        #expect(first.hasPrefix("\"") && first.hasSuffix("\""))
        #expect(JobDocument.entityTag(of: job) == first)
        var versioned = job
        versioned.version = Job.currentVersion
        #expect(JobDocument.entityTag(of: versioned) == first)
        job.schedule.every = "2h"
        #expect(JobDocument.entityTag(of: job) != first)
    }

    @Test(arguments: [
        ("\"500\" is out of range: use 1 to 100", "use 1 to 100"),
        ("unknown app \"x\": configured apps are a, b", nil),
        ("jobs made through the API are managed_by: api; manage file jobs with dify-producer apply", "manage file jobs with dify-producer apply"),
        ("must be at least 1", nil),
        ("\"x y\" is not a valid job id: use 1-128 letters, digits, '.', '_' or '-'", "use 1-128 letters, digits, '.', '_' or '-'"),
    ] as [(String, String?)])
    func fixPartOfMessage(message: String, fix: String?) {
        #expect(JobPreviewRoute.fixPart(of: message) == fix)
    }
}
