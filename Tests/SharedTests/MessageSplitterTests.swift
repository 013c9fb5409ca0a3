import Foundation
import Shared
import Testing

@Suite("Message splitter")
struct MessageSplitterTests {
    @Test func textThatFitsIsUnchanged() {
        let splitter = MessageSplitter(limit: 100, measure: .utf8Bytes)
        let text = "# Report\n\n\n\nline one  \nline two"
        #expect(splitter.split(text) == [text])
        #expect(splitter.split("") == [])
    }

    @Test func splitsAtParagraphsFirst() {
        let paragraphs = (1...6).map { "Paragraph \($0): " + String(repeating: "x", count: 30) }
        let parts = MessageSplitter(limit: 100, measure: .utf8Bytes).split(paragraphs.joined(separator: "\n\n"))
        #expect(parts.count == 3)
        for part in parts {
            #expect(part.utf8.count <= 100)
            #expect(part.hasPrefix("Paragraph "))
        }
        #expect(parts.joined(separator: "\n\n") == paragraphs.joined(separator: "\n\n"))
    }

    @Test func chineseCountsThreeBytesPerCharacter() {
        // 30 characters of 3 bytes per line; 4096 bytes hold 45 such lines with their newlines.
        let line = String(repeating: "报", count: 30)
        let text = Array(repeating: line, count: 100).joined(separator: "\n")
        let parts = MessageSplitter(limit: 4096, measure: .utf8Bytes).split(text)
        #expect(parts.count == 3)
        for part in parts {
            #expect(part.utf8.count <= 4096)
            #expect(part.split(separator: "\n").allSatisfy { $0 == Substring(line) })
        }
        #expect(parts.map { $0.split(separator: "\n").count }.reduce(0, +) == 100)
        // The same text counted in UTF-16 units is a third of the size.
        #expect(MessageSplitter(limit: 4096, measure: .utf16Units).split(text).count == 1)
    }

    @Test func lineLongerThanLimitBreaksBetweenCharacters() {
        let text = String(repeating: "数据分析😀", count: 500)
        let parts = MessageSplitter(limit: 1000, measure: .utf8Bytes).split(text)
        #expect(parts.count > 1)
        for part in parts {
            #expect(part.utf8.count <= 1000)
            // Whole characters only: re-encoding gives the same bytes.
            #expect(String(decoding: Array(part.utf8), as: UTF8.self) == part)
        }
        #expect(parts.joined() == text)
    }

    @Test func longLineBreaksAfterSpaceWhenNearEnd() {
        let words = Array(repeating: "alpha", count: 100).joined(separator: " ")
        let parts = MessageSplitter(limit: 64, measure: .utf8Bytes).split(words)
        for part in parts {
            #expect(part.utf8.count <= 64)
            #expect(!part.hasPrefix(" "))
            #expect(part.split(separator: " ").allSatisfy { $0 == "alpha" })
        }
        #expect(parts.joined(separator: " ") == words)
    }

    @Test func codeFenceIsClosedAndReopened() {
        let code = (1...40).map { "let value\($0) = compute(\($0))" }.joined(separator: "\n")
        let text = "Intro line\n\n```swift\n\(code)\n```\n\nOutro"
        let parts = MessageSplitter(limit: 300, measure: .utf8Bytes).split(text)
        #expect(parts.count > 2)
        for part in parts {
            #expect(part.utf8.count <= 300)
            // Every part has balanced fences.
            let fences = part.split(separator: "\n").filter { $0.hasPrefix("```") }.count
            #expect(fences % 2 == 0, "unbalanced fence in: \(part)")
        }
        let inner = parts.dropFirst().dropLast()
        #expect(inner.allSatisfy { $0.hasPrefix("```swift\n") })
        #expect(inner.allSatisfy { $0.hasSuffix("\n```") })
        #expect(parts.last?.hasSuffix("Outro") == true)
        let allCode = parts.flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("let value") }
        #expect(allCode.count == 40)
    }

    @Test func blankLinesInsideFenceDoNotEndParagraph() {
        let parts = MessageSplitter(limit: 14, measure: .utf8Bytes).split("a\n\n```\nx\n\ny\n```\n\nb")
        #expect(parts == ["a", "```\nx\n\ny\n```", "b"])
    }

    @Test func jsonMeasureCountsEscapes() {
        #expect(TextMeasure.jsonUTF8Bytes.count("a\"b\n") == 6)
        #expect(TextMeasure.jsonUTF8Bytes.count("报") == 3)
        #expect(TextMeasure.jsonUTF8Bytes.count("\u{1}") == 6)
        let text = "第一行\n\"quoted\"\ttab"
        #expect(TextMeasure.jsonUTF8Bytes.count(text) == JSONValue.string(text).encodedSize - 2)
        #expect(TextMeasure.utf16Units.count("😀a") == 3)
    }

    @Test func cutLeavesRoomForSuffix() {
        let splitter = MessageSplitter(limit: 50, measure: .utf8Bytes)
        let cut = splitter.cut(String(repeating: "word ", count: 40), suffix: " [more]")
        #expect(cut.utf8.count <= 50)
        #expect(cut.hasSuffix(" [more]"))
        #expect(splitter.cut("short", suffix: " [more]") == "short")
    }

    @Test func tinyLimitStillEnds() {
        let parts = MessageSplitter(limit: 2, measure: .utf8Bytes).split("```\n数据\n```")
        #expect(!parts.isEmpty)
        #expect(parts.joined().contains("数"))
    }
}
