import Foundation
import Shared

/// Command line of `dify-double`.
struct DoubleOptions {
    static let usage = """
        usage: dify-double --listen HOST:PORT [options]

        A Dify 1.9.2 Service API double for tests, benchmarks and demos.

        options:
          --listen HOST:PORT       address to serve (port 0 picks a free port); default 127.0.0.1:0
          --api-key KEY            API key of the default app; repeat for more keys. Without any
                                   --api-key or --app, every Bearer token is accepted
          --mode MODE              mode of the default app: workflow (default), chat, completion
          --app KEY=MODE           another app reached with KEY; repeatable
          --ping-interval DURATION quiet time before an `event: ping` frame; default 10s
          --max-concurrency N      per-app cap on running requests (0 = none); default 0
          --threads N              HTTP polling threads; default 2
          --help                   print this text

        The first line on standard output is `listening on http://HOST:PORT/v1`.
        """

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    var host = "127.0.0.1"
    var port = 0
    var defaultMode = DifyApp.Mode.workflow
    var defaultKeys: [String] = []
    var extraApps: [(key: String, mode: DifyApp.Mode)] = []
    var pingInterval: Duration = .seconds(10)
    var maxConcurrency = 0
    var threads = 2
    var showHelp = false

    /// Parses `arguments` (without the program name).
    ///
    /// - Throws: ``UsageError`` naming the bad argument and the expected form.
    init(arguments: [String]) throws {
        var remaining = arguments[...]
        func value(for option: String) throws -> String {
            guard let next = remaining.popFirst() else {
                throw UsageError(description: "missing value for \(option)")
            }
            return next
        }

        while let argument = remaining.popFirst() {
            switch argument {
            case "--listen":
                let text = try value(for: argument)
                do {
                    (host, port) = try HTTPServerConfiguration.parseListenAddress(text)
                } catch {
                    throw UsageError(description: "invalid --listen '\(text)': write HOST:PORT, for example 127.0.0.1:5001")
                }
            case "--api-key":
                defaultKeys.append(try value(for: argument))
            case "--mode":
                defaultMode = try Self.mode(try value(for: argument), option: argument)
            case "--app":
                let text = try value(for: argument)
                guard let equals = text.lastIndex(of: "="), equals != text.startIndex else {
                    throw UsageError(description: "invalid --app '\(text)': write KEY=MODE, for example app-chat-key=chat")
                }
                let mode = try Self.mode(String(text[text.index(after: equals)...]), option: argument)
                extraApps.append((String(text[..<equals]), mode))
            case "--ping-interval":
                let text = try value(for: argument)
                guard let milliseconds = try? DurationText.milliseconds(text), milliseconds > 0 else {
                    throw UsageError(description: "invalid --ping-interval '\(text)': give a positive duration such as 10s or 500ms")
                }
                pingInterval = .milliseconds(milliseconds)
            case "--max-concurrency":
                let text = try value(for: argument)
                guard let number = Int(text), number >= 0 else {
                    throw UsageError(description: "invalid --max-concurrency '\(text)': give 0 (no cap) or a positive number")
                }
                maxConcurrency = number
            case "--threads":
                let text = try value(for: argument)
                guard let number = Int(text), (1...64).contains(number) else {
                    throw UsageError(description: "invalid --threads '\(text)': give a number from 1 to 64")
                }
                threads = number
            case "--help", "-h":
                showHelp = true
            default:
                throw UsageError(description: "unknown argument '\(argument)'")
            }
        }
    }

    private static func mode(_ text: String, option: String) throws -> DifyApp.Mode {
        guard let mode = DifyApp.Mode(rawValue: text) else {
            let choices = DifyApp.Mode.allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError(description: "invalid \(option) mode '\(text)': use one of \(choices)")
        }
        return mode
    }
}
