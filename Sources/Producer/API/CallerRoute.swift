import Shared

/// `GET /v1/whoami`: the caller's name, role and permissions, so that the console offers only
/// the actions the caller may take. The server checks every request anyway (``AccessGate``).
enum CallerRoute {
    static func register(into router: inout Router) {
        router.get("/v1/whoami") { request, _ in
            let caller = try CallerIdentity.of(request)
            let permissions = AccessPermission.allCases.filter { caller.role.allows($0) }.map { JSONValue.string($0.rawValue) }
            return .json(200, ["actor": .string(caller.actor), "role": .string(caller.role.rawValue), "permissions": .array(permissions)])
        }
    }
}
