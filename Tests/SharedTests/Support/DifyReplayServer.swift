import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Synchronization

/// The Python replay server (`dify_replay_server.py`) that serves the recorded Dify responses
/// on a free 127.0.0.1 port. One process serves the whole test run, and it ends when the
/// test process closes its standard input.
final class DifyReplayServer: Sendable {
    let port: Int
    private let process: Process
    private let input: Pipe

    static let shared: DifyReplayServer = {
        do { return try DifyReplayServer() } catch { fatalError("replay server did not start: \(error)") }
    }()

    private init() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("dify_replay_server.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, DifyFixture.directory.path]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()

        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { throw ServerError(message: "no port line") }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else { throw ServerError(message: text) }
        self.port = port
        self.process = process
        self.input = input
    }

    /// Returns the app base URL (ending in /v1) of a scenario, with `options` as the script
    /// documents them.
    func baseURL(_ options: [String: String]) -> String {
        let text = options.keys.sorted().map { "\($0)=\(options[$0]!)" }.joined(separator: ",")
        return "http://127.0.0.1:\(port)/s/\(text)/v1"
    }

    /// Fetches the requests recorded under `tag`.
    func requests(tag: String) async throws -> [JSONValueRecord] {
        let url = URL(string: "http://127.0.0.1:\(port)/_log/\(tag)")!
        let data = try Data(contentsOf: url)
        return try JSONDecoder().decode([JSONValueRecord].self, from: data)
    }

    /// Stores a synthetic streaming response under `name`, for `fixture=name`.
    func upload(name: String, sseBody: String) async throws {
        let text = "# synthetic\n### REQUEST\n\n### RESPONSE\nHTTP/1.1 200 OK\n"
            + "Content-Type: text/event-stream; charset=utf-8\nTransfer-Encoding: chunked\n\n" + sseBody
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/_fixture/\(name)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(text.utf8)
        _ = try await URLSession.shared.data(for: request)
    }

    struct JSONValueRecord: Decodable {
        var method: String?
        var path: String?
        var headers: [String: String]?
        var body: String?
        var at: Double?
    }

    struct ServerError: Error { var message: String }
}
