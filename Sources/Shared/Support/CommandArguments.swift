import Foundation

/// Command-line options of a subcommand: `--name value`, `--name=value`, repeated options and
/// flags, plus positional arguments.
///
/// Parsing checks every option against the declared ones, so a misspelt option is an error
/// instead of being ignored.
public struct CommandArguments: Sendable {
    public private(set) var values: [String: [String]] = [:]
    public private(set) var flags: Set<String> = []
    public private(set) var positional: [String] = []

    /// A usage error: the message names the option and what is expected.
    public struct UsageError: Error, CustomStringConvertible, Sendable {
        public let message: String

        public init(message: String) {
            self.message = message
        }

        public var description: String { message }
    }

    /// Parses `arguments`; `options` take a value, `flags` do not.
    public init(_ arguments: [String], options: Set<String>, flags allowedFlags: Set<String> = []) throws {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                positional.append(argument)
                continue
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if allowedFlags.contains(name) {
                guard inlineValue == nil else { throw UsageError(message: "--\(name) takes no value") }
                flags.insert(name)
            } else if options.contains(name) {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count else { throw UsageError(message: "--\(name) needs a value") }
                    value = arguments[index]
                    index += 1
                }
                values[name, default: []].append(value)
            } else {
                let known = (options.union(allowedFlags)).sorted().map { "--\($0)" }.joined(separator: ", ")
                throw UsageError(message: "unknown option --\(name); options are \(known)")
            }
        }
    }

    public func value(_ name: String) -> String? { values[name]?.last }
    public func all(_ name: String) -> [String] { values[name] ?? [] }
    public func has(_ name: String) -> Bool { flags.contains(name) }

    public func require(_ name: String) throws -> String {
        guard let value = value(name) else { throw UsageError(message: "missing --\(name)") }
        return value
    }

    public func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = value(name) else { return defaultValue }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError(message: "--\(name) \"\(text)\" is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}

/// Writes a line to standard error.
public func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
