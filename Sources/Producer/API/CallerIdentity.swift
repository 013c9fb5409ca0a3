import Shared

/// Who is calling the control API: the one place where a request's caller is determined.
///
/// For now the caller names itself in the `X-Actor` header (default `anonymous`).
/// TODO: authenticate with the `auth.tokens` of the configuration (a bearer token, matched by
/// its SHA-256) and return the token's name and role here; routes then check the role.
struct CallerIdentity: Sendable, Hashable {
    var actor: String

    static func of(_ request: HTTPRequest) throws -> CallerIdentity {
        guard let header = request.header("X-Actor")?.trimmingCharacters(in: .whitespaces), !header.isEmpty else {
            return CallerIdentity(actor: "anonymous")
        }
        guard header.count <= 200, !header.contains(where: { $0.isNewline }) else {
            throw HTTPError.badRequest("X-Actor must be one line of at most 200 characters", field: "X-Actor")
        }
        return CallerIdentity(actor: header)
    }
}
