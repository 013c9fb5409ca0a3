import Foundation
import Testing

@testable import Shared

/// How `validate` and the loaders word and place configuration problems.
@Suite struct ConfigProblemReportTests {
    func problems(_ text: String, file: String = "c.yaml") -> [String] {
        do {
            _ = try ConfigurationLoader(environment: [:]).load(text: text, file: file)
            return []
        } catch let errors as ConfigErrors {
            return errors.errors.map { "\($0)" }
        } catch {
            return ["\(error)"]
        }
    }

    @Test func jobIndexCountsUndecodedJobs() {
        let found = problems("""
            apps:
              demo: {base_url: "http://x/v1", api_key_env: K}
            jobs:
              - id: k1
                app: demo
                schedule: {every: 1m}
                retry: {max_attempt: 3}
              - id: k2
                app: nope
                schedule: {every: 1m}
            """)
        #expect(found.contains { $0.hasPrefix("c.yaml:7: jobs[0].retry: unknown key \"max_attempt\"") })
        #expect(found.contains { $0.hasPrefix("c.yaml:8: jobs[1].app: unknown app \"nope\"") || $0.hasPrefix("c.yaml:9: jobs[1].app: unknown app \"nope\"") })
    }

    @Test func enumErrorListsAllowedValues() {
        let found = problems("""
            jobs:
              - id: k1
                app: demo
                schedule: {every: 1m}
                overlap: skipp
            """)
        #expect(found == ["c.yaml:5: jobs[0].overlap: \"skipp\" is not one of allow, skip, buffer_one, cancel_previous"])
    }

    @Test func jsonErrorsUseJSONTerms() {
        func reason(_ json: String) -> String {
            do {
                _ = try MessageCodec.decode(Trigger.self, from: Data(json.utf8))
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(reason(#"{"v":1,"id":"t1","app":"demo","job_id":"j","type":"stop","source":"api"}"#) == "type: \"stop\" is not one of run, cancel")
        #expect(reason(#"{"v":1,"id":"t1","app":"demo","job_id":"j","inputs":"notobj","source":"external"}"#) == "inputs: expected an object, found text")
        #expect(MessageText.valueKind([JSONValue].self) == "a list")
        #expect(MessageText.valueKind([String: JSONValue].self) == "an object")
    }

    @Test func authReportsEveryProblem() {
        let found = problems("""
            auth:
              tokens:
                - {name: "bad name!", role: superuser, sha256: nothex}
                - {name: ops, role: admin, sha256: 6b891423ee11473737e712b1ebacac0b98884d90cba6404281999a8dc615f3e3}
                - {name: ops, role: viewer, sha256: 7b891423ee11473737e712b1ebacac0b98884d90cba6404281999a8dc615f3e3}
              sessions: {max_count: -5, sign_in_window: 0s}
            """)
        #expect(found.contains { $0.hasPrefix("c.yaml:3: auth.tokens[0].name: invalid token name \"bad name!\"") })
        #expect(found.contains { $0.hasPrefix("c.yaml:3: auth.tokens[0].role: unknown role \"superuser\"") })
        #expect(found.contains { $0.hasPrefix("c.yaml:3: auth.tokens[0].sha256: not a SHA-256 hash") })
        #expect(found.contains { $0.hasPrefix("c.yaml:5: auth.tokens[2].name: duplicate token name \"ops\"") })
        #expect(found.contains { $0.contains("auth.sessions.max_count: max_count -5 is out of range") })
        #expect(found.contains { $0.contains("auth.sessions.sign_in_window: sign_in_window 0s is out of range") })
        #expect(found.count == 6)
    }

    @Test func budgetProblemsHaveValueLines() {
        let found = problems("""
            apps:
              demo:
                base_url: http://127.0.0.1:5001/v1
                api_key_env: DIFY_API_KEY
                budget:
                  daily_tokens: -5
                  daily_cost: "ten"
                  zone: Mars/Olympus
                  when_exhausted: pause
                  warn_at: 120%
            """)
        #expect(found.contains { $0.hasPrefix("c.yaml:7: apps.demo.budget.daily_cost: expected a number, found \"ten\"") })
        #expect(found.contains { $0.hasPrefix("c.yaml:6: apps.demo.budget.daily_tokens: -5 is out of range") })
        #expect(found.contains { $0.hasPrefix("c.yaml:8: apps.demo.budget.zone:") })
        #expect(found.contains { $0.hasPrefix("c.yaml:9: apps.demo.budget.when_exhausted: unknown action \"pause\"") })
        #expect(found.contains { $0.hasPrefix("c.yaml:10: apps.demo.budget.warn_at:") })
        #expect(found.count == 5)
    }

    @Test func templateProblemPointsAtInput() {
        let found = problems("""
            jobs:
              - id: a
                app: demo
                schedule: {every: 1m}
                inputs:
                  ok: plain
                  day: "{{ previous_dya.start }}"
            """)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("c.yaml:7: jobs[0].inputs.day: template in job \"a\"") == true)
    }

    @Test func longIDIsCutWithRule() {
        let id = String(repeating: "x", count: 20_000) + "!"
        let message = JobValidator.invalidIDMessage(id)
        #expect(message.count < 300)
        #expect(message.hasPrefix("\"\(String(repeating: "x", count: 100))… (20001 characters)\" is not a valid job id"))
        #expect(message.hasSuffix("use 1 to 128 ASCII letters (A-Z, a-z), digits (0-9), '.', '_' or '-', with no spaces"))
    }

    @Test func nonJSONNamesExpectedValue() {
        #expect {
            try JSONValue.parse(Data("not json at all".utf8))
        } throws: { error in
            "\(error)".hasPrefix("invalid JSON at byte 0: expected a JSON value such as an object")
        }
        #expect {
            try JSONValue.parse(Data("hello".utf8))
        } throws: { error in
            "\(error)".contains("unexpected character 'h': expected a JSON value such as an object")
        }
    }

    @Test func emptyDateFormatIsRejected() {
        #expect {
            try Template.compile("{{ scheduled_at | date: \"\" }}", scope: JobTemplates.scope)
        } throws: { error in
            "\(error)".contains("the format is empty")
        }
    }

    @Test func aliasBombMessageGivesFix() {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...7 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let found = problems(text)
        #expect(found.count == 1)
        #expect(found.first?.contains("which looks like an alias bomb: use fewer or smaller aliases") == true)
    }
}
