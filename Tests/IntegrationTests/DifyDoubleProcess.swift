import Foundation
import Shared

/// A running `dify-double` process on a free loopback port, stopped by `stop()`.
final class DifyDoubleProcess: @unchecked Sendable {
    // `process` is started in `init` and only terminated afterwards.
    struct LaunchError: Error, CustomStringConvertible {
        let description: String
    }

    let process = Process()
    let port: Int
    static let apiKey = "app-double-test"

    /// Starts the binary from `DIFY_SCHEDULER_BIN_DIR`, or from `<package>/.build/debug`.
    init(arguments: [String] = []) throws {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let binDirectory = ProcessInfo.processInfo.environment["DIFY_SCHEDULER_BIN_DIR"]
            ?? packageRoot.appendingPathComponent(".build/debug").path
        let binary = URL(fileURLWithPath: binDirectory).appendingPathComponent("dify-double")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw LaunchError(description: "\(binary.path) not found: run `swift build --product dify-double` first or set DIFY_SCHEDULER_BIN_DIR")
        }

        let output = Pipe()
        process.executableURL = binary
        process.arguments = ["--listen", "127.0.0.1:0", "--api-key", Self.apiKey] + arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()

        var line: [UInt8] = []
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard let first = byte.first else {
                throw LaunchError(description: "dify-double exited before printing its address")
            }
            if first == UInt8(ascii: "\n") { break }
            line.append(first)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on http://127.0.0.1:"),
            let portText = text.split(separator: ":").last?.split(separator: "/").first,
            let port = Int(portText)
        else {
            process.terminate()
            throw LaunchError(description: "unexpected first line '\(text)'")
        }
        self.port = port
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// One Server-Sent Event frame: its event name and parsed JSON, or a bare `event: ping`.
struct SSEFrame {
    var name: String
    var json: JSONValue?

    var dataKeys: [String] { json?["data"]?.objectValue.map { $0.keys.sorted() } ?? [] }

    /// Splits an event stream body into frames.
    static func parse(_ text: String) -> [SSEFrame] {
        text.components(separatedBy: "\n\n").compactMap { block in
            let trimmed = block.trimmingCharacters(in: .newlines)
            if trimmed.isEmpty { return nil }
            if trimmed.hasPrefix("event: ") { return SSEFrame(name: String(trimmed.dropFirst(7)), json: nil) }
            guard trimmed.hasPrefix("data: "), let json = try? JSONValue.parse(String(trimmed.dropFirst(6))) else {
                return SSEFrame(name: "?", json: nil)
            }
            return SSEFrame(name: json["event"]?.stringValue ?? "?", json: json)
        }
    }

    /// Frames of a recorded `.http` fixture's response body.
    static func recorded(_ fixture: String) throws -> [SSEFrame] {
        let text = try recordedText(fixture)
        guard let start = text.range(of: "\n\ndata: ", range: text.range(of: "### RESPONSE")!.upperBound..<text.endIndex) else {
            return []
        }
        return parse(String(text[text.index(start.lowerBound, offsetBy: 2)...]))
    }

    static func recordedText(_ fixture: String) throws -> String {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("SharedTests/Fixtures/dify")
        return try String(contentsOf: directory.appendingPathComponent(fixture), encoding: .utf8)
    }

    /// The JSON body of a recorded non-streaming response.
    static func recordedJSON(_ fixture: String) throws -> JSONValue {
        let text = try recordedText(fixture)
        let last = text.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONValue.parse(last)
    }
}
