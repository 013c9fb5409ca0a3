import Foundation
import Shared

/// `dify-producer hash-token`: reads an API token on standard input and prints its SHA-256, the
/// value to write as `sha256` in `auth.tokens`.
enum HashTokenCommand {
    static let usage = """
        usage: dify-producer hash-token < TOKEN_FILE
          Reads one token on standard input (a trailing newline is ignored) and prints its
          SHA-256 in hex for auth.tokens[].sha256. Make a token with: openssl rand -hex 32
        """

    /// Shortest token accepted: shorter ones can be guessed from their hash.
    static let minimumLength = 16

    static func run(arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return 0
        }
        guard arguments.isEmpty else {
            printError("dify-producer hash-token: unexpected argument \"\(arguments[0])\"\n\(usage)")
            return 2
        }
        let input = FileHandle.standardInput.readDataToEndOfFile()
        var token = String(decoding: input, as: UTF8.self)
        while token.hasSuffix("\n") || token.hasSuffix("\r") { token.removeLast() }
        guard !token.isEmpty else {
            printError("dify-producer hash-token: no token on standard input: pipe one in, such as openssl rand -hex 32 | tee token | dify-producer hash-token")
            return 1
        }
        guard !token.contains(where: { $0.isNewline || $0 == " " }) else {
            printError("dify-producer hash-token: the token must be one line without spaces: clients send it as Authorization: Bearer TOKEN")
            return 1
        }
        guard token.utf8.count >= minimumLength else {
            printError("dify-producer hash-token: the token has \(token.utf8.count) characters, fewer than \(minimumLength): use a random one such as openssl rand -hex 32")
            return 1
        }
        print(StableHash.sha256Hex(token))
        return 0
    }
}
