// libFuzzer entry for the decoders of untrusted input, compiled into one module with the Shared
// sources and the worker's and producer's files they need. FUZZ_TARGET picks the target:
//
//   trigger  MessageCodec.decode(Trigger.self) and TriggerCheck.decode/validate, as the worker
//            checks a message from the trigger topic
//   config   ConfigurationLoader().load(text:), the YAML loader with every configuration check
//   http     the producer's request handling in Swift: the access gate (Authorization header,
//            route permissions), Router path matching, query parameters and jsonBody; the HTTP
//            framing itself and percent-decoding are done by libmicrohttpd
//
// A crash, trap, leak or hang is a bug; a thrown error is the expected outcome for bad input.
import Foundation

enum FuzzTarget: String {
    case trigger, config, http

    static let selected: FuzzTarget = {
        // Denied requests log at info; a million of them would slow the run to a crawl.
        LogSettings.configure(level: .error, format: .text)
        let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("set FUZZ_TARGET to trigger, config or http, not \"\(name)\"")
        }
        return target
    }()
}

/// Worker apps the trigger check knows: one that accepts ad-hoc triggers, one that does not.
let fuzzApps: [String: WorkerApp] = {
    var apps: [String: WorkerApp] = [:]
    for (name, external, mode) in [("demo", false, JobKind.workflow), ("open", true, JobKind.chatflow), ("any", true, nil)] {
        let endpoint = try! DifyAppEndpoint(name: name, baseURL: "http://127.0.0.1:5001/v1", apiKey: "app-fuzz-key")
        apps[name] = WorkerApp(name: name, endpoint: endpoint, limits: AppLimits(), mode: mode, origin: "http://127.0.0.1:5001", acceptsExternal: external)
    }
    return apps
}()

let fuzzGate = AccessGate(
    authenticator: Authenticator(
        settings: AuthSettings(tokens: [
            AuthToken(name: "ci", role: .developer, sha256: StableHash.sha256Hex("fuzz-token-developer")),
            AuthToken(name: "ops", role: .operator, sha256: StableHash.sha256Hex("fuzz-token-operator")),
        ], openOnLoopback: false),
        listenHost: "127.0.0.1"),
    logger: Logger(label: "fuzz"))

/// Routes shaped like the control API's, whose handlers read the request as its handlers do.
let fuzzRouter: Router = {
    var router = Router(logger: Logger(label: "fuzz"))
    let readBody: Router.Handler = { request, parameters in
        let body = request.body.isEmpty ? JSONValue.object([:]) : try request.jsonBody()
        if case .object(let members) = body, let id = parameters["id"] {
            var job = members
            job["id"] = .string(id)
            _ = try? MessageCodec.decode(Job.self, from: Data(JSONValue.object(job).compactText().utf8))
        }
        _ = CallerIdentity.current
        return .json(200, body)
    }
    let readQuery: Router.Handler = { request, parameters in
        _ = JobValidator.isValidID(parameters["id"] ?? "")
        _ = request.query("count").flatMap(Int.init)
        _ = request.query("label")?.split(separator: "=", maxSplits: 1)
        return .json(200, ["items": .int(Int64(request.queryItems.count))])
    }
    router.get("/v1/jobs", readQuery)
    router.post("/v1/jobs", readBody)
    router.get("/v1/jobs/{id}", readQuery)
    router.put("/v1/jobs/{id}", readBody)
    router.delete("/v1/jobs/{id}", readQuery)
    for action in ["pause", "resume", "trigger", "backfill"] {
        router.post("/v1/jobs/{id}/\(action)", readBody)
    }
    router.get("/v1/jobs/{id}/next", readQuery)
    return router
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUntrustedInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    switch FuzzTarget.selected {
    case .trigger: fuzzTrigger(bytes)
    case .config: fuzzConfiguration(bytes)
    case .http: fuzzRequest(bytes)
    }
    return 0
}

func fuzzTrigger(_ bytes: [UInt8]) {
    let message = KafkaMessage(topic: "fuzz.triggers", partition: 0, offset: 0, key: nil, value: bytes)
    switch TriggerCheck.decode(message) {
    case .success(let trigger):
        _ = TriggerCheck.validate(trigger, apps: fuzzApps)
        _ = try? MessageCodec.encode(trigger)
    case .failure(let rejection):
        precondition(!rejection.reason.isEmpty, "a rejection names its reason")
    }
}

func fuzzConfiguration(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    do {
        _ = try ConfigurationLoader(environment: [:]).load(text: text, file: "fuzz.yaml")
    } catch let errors as ConfigErrors {
        precondition(!errors.errors.isEmpty, "a rejected configuration names its problems")
    } catch {
        preconditionFailure("the loader threw \(type(of: error)), not ConfigErrors: \(error)")
    }
}

/// Splits the input at NUL bytes into method, path, query, Authorization header and body.
func fuzzRequest(_ bytes: [UInt8]) {
    let parts = bytes.split(separator: 0, maxSplits: 4, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    func part(_ index: Int) -> String { index < parts.count ? parts[index] : "" }

    let queryItems: [(name: String, value: String)] = part(2).split(separator: "&").map { pair in
        let halves = pair.split(separator: "=", maxSplits: 1)
        return (String(halves.first ?? ""), halves.count > 1 ? String(halves[1]) : "")
    }
    var headers: [String: String] = ["content-type": "application/json"]
    if !part(3).isEmpty { headers["authorization"] = part(3) }
    let request = HTTPRequest(
        method: part(0).isEmpty ? "GET" : part(0), path: "/" + part(1), queryItems: queryItems, headers: headers,
        body: Data(part(4).utf8), remoteAddress: "127.0.0.1:50000")

    // Task.immediate runs on this thread until the first suspension; these handlers never
    // suspend, so the request completes before the call returns, without a thread hop.
    let handler = fuzzGate.guarding(fuzzRouter.handler)
    let done = DispatchSemaphore(value: 0)
    Task.immediate {
        let response = await handler(request)
        precondition((200...599).contains(response.status), "status \(response.status) out of range")
        done.signal()
    }
    done.wait()
}
