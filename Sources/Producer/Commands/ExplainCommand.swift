import Foundation
import Shared

/// `dify-producer explain`: prints a cron expression in words.
///
/// ```
/// dify-producer explain "0 30 9 * * MON-FRI"
/// dify-producer explain "0 0 9 ? * 2" --dialect quartz --lang zh-CN
/// ```
///
/// The expression may also be given as separate words. Exit status 2 on invalid input.
enum ExplainCommand {
    static let usage = """
        usage: dify-producer explain EXPR [--lang en|zh-CN] [--dialect linux|quartz] [--day-match either|both]
        """

    static func run(arguments: [String]) -> Int32 {
        var words: [String] = []
        var language = CronDescription.Language.english
        var dialect = CronExpression.Dialect.linux
        var dayMatch = CronExpression.DayMatch.either

        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--lang", "--dialect", "--day-match":
                guard index + 1 < arguments.count else {
                    fail("\(argument) needs a value\n\(usage)")
                    return 2
                }
                index += 1
                let value = arguments[index]
                switch argument {
                case "--lang":
                    guard let parsed = CronDescription.Language(rawValue: value) else {
                        fail("--lang: \"\(value)\": must be en or zh-CN")
                        return 2
                    }
                    language = parsed
                case "--dialect":
                    guard let parsed = CronExpression.Dialect(rawValue: value.lowercased()) else {
                        fail("--dialect: \"\(value)\": must be linux or quartz")
                        return 2
                    }
                    dialect = parsed
                default:
                    guard let parsed = CronExpression.DayMatch(rawValue: value.lowercased()) else {
                        fail("--day-match: \"\(value)\": must be either or both")
                        return 2
                    }
                    dayMatch = parsed
                }
            case "-h", "--help":
                print(usage)
                return 0
            default:
                if argument.hasPrefix("--") {
                    fail("unknown option \"\(argument)\"\n\(usage)")
                    return 2
                }
                words.append(argument)
            }
            index += 1
        }
        guard !words.isEmpty else {
            fail("missing cron expression\n\(usage)")
            return 2
        }

        do throws(ScheduleError) {
            let expression = try CronExpression(words.joined(separator: " "), dialect: dialect, dayMatch: dayMatch)
            print(CronDescription.describe(expression, language: language))
            return 0
        } catch {
            fail(error.description)
            return 2
        }
    }

    private static func fail(_ message: String) {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map { "explain: \($0)" }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
