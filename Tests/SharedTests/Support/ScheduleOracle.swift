import Foundation

/// Runs `scripts/schedule_oracle.py` (Python's zoneinfo, no engine code) over JSON-line cases.
enum ScheduleOracle {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static var scriptPath: String {
        // Tests/SharedTests/Support/ScheduleOracle.swift -> repository root.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/schedule_oracle.py").path
    }

    /// Sends `cases` (JSON objects) to the oracle, split over `workers` processes, and returns
    /// one decoded answer per case, in order.
    static func run(_ cases: [[String: Any]], workers: Int = 2) throws -> [[String: Any]] {
        let chunkSize = max(1, (cases.count + workers - 1) / workers)
        let chunks = stride(from: 0, to: cases.count, by: chunkSize).map { Array(cases[$0..<min($0 + chunkSize, cases.count)]) }
        var processes: [(Process, URL, URL)] = []
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("schedule-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if ProcessInfo.processInfo.environment["SCHEDULE_ORACLE_KEEP"] == nil { try? FileManager.default.removeItem(at: directory) } }

        for (index, chunk) in chunks.enumerated() {
            let input = directory.appendingPathComponent("in-\(index).jsonl")
            let output = directory.appendingPathComponent("out-\(index).jsonl")
            var text = ""
            for item in chunk {
                text += String(decoding: try JSONSerialization.data(withJSONObject: item), as: UTF8.self) + "\n"
            }
            try text.write(to: input, atomically: true, encoding: .utf8)
            FileManager.default.createFile(atPath: output.path, contents: nil)

            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", scriptPath]
            process.standardInput = try FileHandle(forReadingFrom: input)
            process.standardOutput = try FileHandle(forWritingTo: output)
            try process.run()
            processes.append((process, input, output))
        }

        var answers: [[String: Any]] = []
        for (process, _, output) in processes {
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw Failure(description: "schedule_oracle.py exited with \(process.terminationStatus)")
            }
            let data = try Data(contentsOf: output)
            for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                    throw Failure(description: "oracle wrote a line that is not a JSON object")
                }
                answers.append(object)
            }
        }
        guard answers.count == cases.count else {
            throw Failure(description: "oracle answered \(answers.count) of \(cases.count) cases")
        }
        return answers
    }
}
