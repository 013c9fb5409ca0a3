import Foundation
import Shared

// dify-double: a Dify 1.9.2 Service API double. See docs/dify-double.md.

let options: DoubleOptions
do {
    options = try DoubleOptions(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("dify-double: \(error)\n\n\(DoubleOptions.usage)\n".utf8))
    exit(2)
}
if options.showHelp {
    print(DoubleOptions.usage)
    exit(0)
}

var limit = rlimit()
let openFilesResource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
if getrlimit(openFilesResource, &limit) == 0, limit.rlim_cur < limit.rlim_max {
    limit.rlim_cur = limit.rlim_max
    setrlimit(openFilesResource, &limit)
}

let logger = Logger(label: "dify-double")
let double = DifyDoubleServer(options: options)
let server = HTTPServer(
    name: "dify-double",
    configuration: HTTPServerConfiguration(
        host: options.host,
        port: options.port,
        threads: options.threads,
        maxBodyBytes: 16 << 20,
        connectionTimeout: .seconds(120),
        maxConnections: 16_384,
        shutdownGracePeriod: .seconds(2)
    ),
    logger: logger,
    handler: double.handler
)
do {
    try server.start()
} catch {
    FileHandle.standardError.write(Data("dify-double: \(error)\n".utf8))
    exit(1)
}

let shownHost = options.host.contains(":") ? "[\(options.host)]" : options.host
let base = "http://\(shownHost):\(server.boundPort ?? options.port)"
double.setPublicBaseURL(base)
FileHandle.standardOutput.write(Data("listening on \(base)/v1\n".utf8))

try await ServiceGroup(services: [server], gracePeriod: .seconds(5), logger: logger).run()
