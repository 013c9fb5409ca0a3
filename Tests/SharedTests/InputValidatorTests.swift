import Foundation
import Shared
import Testing

@Suite struct InputValidatorTests {
    /// A form with one variable of each kind that has a check.
    static let form: [DifyInputVariable] = [
        DifyInputVariable(kind: "text-input", name: "topic", required: true, maxLength: 10),
        DifyInputVariable(kind: "paragraph", name: "notes", required: false, maxLength: 20),
        DifyInputVariable(kind: "select", name: "tone", required: false, options: ["plain", "formal"]),
        DifyInputVariable(kind: "number", name: "count", required: false),
        DifyInputVariable(kind: "checkbox", name: "draft", required: false),
        DifyInputVariable(kind: "json_object", name: "extra", required: false),
        DifyInputVariable(kind: "file", name: "report", required: false),
        DifyInputVariable(kind: "file-list", name: "attachments", required: false),
        DifyInputVariable(kind: "future-kind", name: "later", required: false),
    ]

    func problems(_ inputs: [String: JSONValue]) -> [InputProblem] {
        InputValidator.problems(inputs: inputs, form: Self.form, app: "writer")
    }

    @Test func validInputsPass() {
        let inputs: [String: JSONValue] = [
            "topic": "sales", "notes": "short", "tone": "formal", "count": 3, "draft": true,
            "extra": ["a": 1], "report": ["type": "document", "transfer_method": "remote_url", "url": "http://x/a.pdf"],
            "attachments": [["type": "image", "transfer_method": "local_file", "upload_file_id": "f1"]], "later": [1, 2],
        ]
        #expect(problems(inputs).isEmpty)
    }

    @Test func missingRequiredInput() {
        for inputs: [String: JSONValue] in [[:], ["topic": nil], ["topic": ""]] {
            let found = problems(inputs)
            #expect(found.count == 1)
            #expect(found.first?.kind == .missingRequired)
            #expect(found.first?.field == "inputs.topic")
            #expect(found.first?.message == "missing required input \"topic\" (text-input) of app \"writer\": add it under inputs")
        }
    }

    @Test func unknownNameListsFormInputs() {
        let found = problems(["topic": "x", "tpoic": "x"])
        #expect(found.count == 1)
        #expect(found.first?.kind == .unknownName)
        #expect(found.first?.field == "inputs.tpoic")
        #expect(found.first?.message.contains("unknown input \"tpoic\"") == true)
        #expect(found.first?.message.contains("topic, notes, tone") == true)
    }

    @Test func selectValueOutsideOptions() {
        let found = problems(["topic": "x", "tone": "angry"])
        #expect(found.map(\.kind) == [.notAnOption])
        #expect(found.first?.message == "\"angry\" is not an option of select \"tone\" of app \"writer\": use one of plain, formal")
    }

    @Test func numberInputTakesNumbersAndNumericText() {
        #expect(problems(["topic": "x", "count": 2.5]).isEmpty)
        #expect(problems(["topic": "x", "count": "12"]).isEmpty)
        let found = problems(["topic": "x", "count": "soon"])
        #expect(found.map(\.kind) == [.wrongType])
        #expect(found.first?.message == "text \"soon\" does not fit number input \"count\" of app \"writer\": give a number such as 5 or 2.5")
        #expect(problems(["topic": "x", "count": true]).map(\.kind) == [.wrongType])
    }

    @Test func textLongerThanMaxLength() {
        let found = problems(["topic": "abcdefghijk"])
        #expect(found.map(\.kind) == [.tooLong])
        #expect(found.first?.message == "text of 11 characters is longer than the max length 10 of input \"topic\" of app \"writer\": shorten it")
        // Characters, not bytes: ten Chinese characters fit.
        #expect(problems(["topic": "一二三四五六七八九十"]).isEmpty)
    }

    @Test func wrongTypesForOtherKinds() {
        let cases: [(String, JSONValue)] = [
            ("topic", 5), ("tone", 1), ("draft", "yes"), ("extra", "{}"), ("report", "http://x/a.pdf"),
            ("attachments", ["http://x/a.pdf"]),
        ]
        for (name, value) in cases {
            var inputs: [String: JSONValue] = ["topic": "x"]
            inputs[name] = value
            let found = problems(inputs)
            #expect(found.map(\.kind) == [.wrongType], "input \(name)")
            #expect(found.first?.field == "inputs.\(name)")
        }
    }

    @Test func templatesCheckOnlyPresence() {
        #expect(problems(["topic": "report for {{ date }} and more", "tone": "{{ job_id }}", "count": "{{n}}"]).isEmpty)
    }

    @Test func everyProblemReportedTogether() {
        let found = problems(["tone": "angry", "count": "x", "typo": 1])
        #expect(Set(found.map(\.kind)) == [.missingRequired, .notAnOption, .wrongType, .unknownName])
    }
}
