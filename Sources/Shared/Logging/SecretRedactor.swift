import Foundation
import Synchronization

/// Replaces every registered secret in a text with `[REDACTED]`.
///
/// Configuration registers each API key and channel secret it loads, so a secret that reaches
/// an error text (a URL with a token, a server that echoes a header) is cut from log lines,
/// error messages and stored records alike.
public final class SecretRedactor: Sendable {
    public static let shared = SecretRedactor()

    private let secrets = Mutex<[String]>([])

    public init() {}

    /// Registers `secret`; values shorter than 6 characters are ignored because redacting them
    /// would mangle ordinary words.
    public func register(_ secret: String) {
        let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count >= 6 else { return }
        secrets.withLock {
            if !$0.contains(trimmed) {
                $0.append(trimmed)
                $0.sort { $0.count > $1.count }
            }
        }
    }

    public func redact(_ text: String) -> String {
        let current = secrets.withLock { $0 }
        guard !current.isEmpty else { return text }
        var result = text
        for secret in current where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "[REDACTED]")
        }
        return result
    }
}
