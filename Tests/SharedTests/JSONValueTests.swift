import Foundation
import Testing

@testable import Shared

@Suite struct JSONValueTests {
    @Test func roundTripKeepsIntegers() throws {
        let value = try JSONValue.parse(#"{"a":42,"b":[1.5,true,null,"x\n"]}"#)
        #expect(value["a"] == .int(42))
        #expect(value.compactText(sortedKeys: true) == #"{"a":42,"b":[1.5,true,null,"x\n"]}"#)
    }

    @Test func rejectsDeepNesting() {
        let text = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: JSONValueError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsTrailingData() {
        #expect(throws: JSONValueError.self) { try JSONValue.parse("{} x") }
    }
}

@Suite struct TimestampTests {
    @Test func formatsAndParsesUTC() throws {
        let date = try #require(Timestamp.parse("2026-03-29T03:00:00+02:00"))
        #expect(Timestamp.rfc3339(date) == "2026-03-29T01:00:00Z")
    }

    @Test func rejectsLocalTimeWithoutOffset() {
        #expect(Timestamp.parse("2026-03-29T03:00:00") == nil)
    }

    @Test func civilDateRoundTrip() {
        for days in stride(from: -800_000, to: 800_000, by: 997) {
            #expect(CivilDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
        #expect(CivilDate(year: 1970, month: 1, day: 1).weekday == 4)
    }
}

@Suite struct DurationTextTests {
    @Test func parsesUnitsAndSums() throws {
        #expect(try DurationText.milliseconds("500ms") == 500)
        #expect(try DurationText.milliseconds("1h30m") == 5_400_000)
        #expect(try DurationText.milliseconds("1d") == 86_400_000)
    }

    @Test func rejectsMissingUnit() {
        #expect(throws: DurationText.ParseError.self) { try DurationText.milliseconds("30") }
        #expect(throws: DurationText.ParseError.self) { try DurationText.milliseconds("5 weeks") }
    }
}
