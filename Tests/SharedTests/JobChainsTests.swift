import Foundation
import Testing

@testable import Shared

@Suite struct JobChainsTests {
    private func job(_ id: String, onSuccess: [String]? = nil, onFailure: [String]? = nil, inputs: [String: JSONValue]? = nil) -> Job {
        var job = Job(id: id, app: "demo", schedule: ScheduleSpec())
        job.onSuccess = onSuccess
        job.onFailure = onFailure
        job.inputs = inputs
        return job
    }

    /// Loads `jobs` (YAML list items) and returns the error text, or nil when the file is valid.
    private func configurationErrors(_ jobs: String) -> String? {
        do {
            _ = try ConfigurationLoader(environment: [:]).load(text: "jobs:\n" + jobs, file: "jobs.yaml")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func loopThroughThreeJobs() {
        let jobs = ["a": job("a", onSuccess: ["b"]), "b": job("b", onFailure: ["c"]), "c": job("c", onSuccess: ["a"])]
        #expect(JobChains.loop(in: jobs) == ["a", "b", "c", "a"])
    }

    @Test func diamondIsNoLoop() {
        let jobs = [
            "a": job("a", onSuccess: ["b", "c"]), "b": job("b", onSuccess: ["d"]), "c": job("c", onFailure: ["d"]), "d": job("d"),
        ]
        #expect(JobChains.loop(in: jobs) == nil)
    }

    @Test func loopClosedByChangedJob() {
        let existing = ["a": job("a", onSuccess: ["b"]), "b": job("b")]
        #expect(JobChains.loop(writing: [job("b", onFailure: ["a"])], over: existing) == ["b", "a", "b"])
        #expect(JobChains.loop(writing: [job("b", onFailure: ["c"])], over: existing) == nil)
    }

    @Test func selfChainRejectedByValidator() throws {
        let problems = JobValidator().problems(in: job("a", onSuccess: ["a"], onFailure: ["b", "b", "bad id"]))
        let loop = try #require(problems.first { $0.field == "on_success[0]" })
        #expect(loop.message.contains("the chain loops: a → a"))
        let repeated = try #require(problems.first { $0.field == "on_failure[1]" })
        #expect(repeated.message.contains("listed twice"))
        let invalid = try #require(problems.first { $0.field == "on_failure[2]" })
        #expect(invalid.message.contains("not a valid job id"))
    }

    @Test func tooManyChildren() throws {
        let children = (0...JobChains.maxChildren).map { "child-\($0)" }
        let problems = JobValidator().problems(in: job("a", onSuccess: children))
        let tooMany = try #require(problems.first { $0.field == "on_success" })
        #expect(tooMany.message.contains("21 jobs is too many"))
    }

    @Test func fileRejectsLoopAndUnknownChild() throws {
        let errors = try #require(configurationErrors("""
              - {id: a, app: demo, schedule: {every: 1h}, on_success: [b]}
              - {id: b, app: demo, schedule: {}, on_failure: [a, ghost]}
            """))
        #expect(errors.contains("jobs.yaml:2: jobs[0].on_success: the chain loops: a → b → a"))
        #expect(errors.contains("jobs[1].on_failure[1]: unknown job \"ghost\": job \"b\" chains to it"))
    }

    @Test func fileRejectsParentWithoutChain() throws {
        let errors = try #require(configurationErrors("""
              - {id: lonely, app: demo, schedule: {every: 1h}, inputs: {text: "{{ parent.answer }}"}}
            """))
        #expect(errors.contains("jobs[0].inputs.text: job \"lonely\" uses parent.* in inputs.text, but no job chains to it"))
    }

    @Test func fileAcceptsParentWithDefaultOrChain() {
        #expect(configurationErrors("""
              - {id: lonely, app: demo, schedule: {every: 1h}, inputs: {text: "{{ parent.answer | default: \\"none\\" }}"}}
              - {id: parent, app: demo, schedule: {every: 1h}, on_success: [child]}
              - {id: child, app: demo, schedule: {}, inputs: {text: "{{ parent.answer }}"}}
            """) == nil)
    }
}
