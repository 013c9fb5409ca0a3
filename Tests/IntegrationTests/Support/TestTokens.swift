import Foundation
import Shared

/// The API tokens every test configuration holds: one admin token per actor name the tests
/// use, and one token per role for permission checks.
enum TestTokens {
    /// Actor names with an admin token; ``ControlClient`` sends the token of its actor.
    static let admins = ["alice", "bob", "carol", "dave", "erin", "test-operator"]

    /// Name of the token that has `role` and nothing else.
    static func name(of role: AccessRole) -> String { "as-\(role.rawValue)" }

    /// The clear token of the actor `name`.
    static func token(for name: String) -> String { "test-token-\(name)-5c1d3e9a" }

    /// The `auth` section listing every test token by hash.
    static var authSection: String {
        let entries = admins.map { ($0, AccessRole.admin) } + AccessRole.allCases.map { (name(of: $0), $0) }
        let lines = entries.map { name, role in
            "    - {name: \(name), role: \(role.rawValue), sha256: \(StableHash.sha256Hex(token(for: name)))}"
        }
        return "auth:\n  tokens:\n" + lines.joined(separator: "\n")
    }
}
