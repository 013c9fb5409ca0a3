import Foundation
import Shared

/// `dify-worker`: runs Dify apps for the triggers on Kafka.
enum WorkerCommand {
    static let usage = """
        usage: dify-worker run --config FILE [--config FILE ...] [--id ID]

        Consumes triggers, calls Dify within each app's limits and publishes results.
          --config FILE   configuration file; several are merged in order
          --id ID         worker id in results and logs (default: worker.id, else host name and process id)
        """

    static func main() async -> Int32 {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if ["help", "--help", "-h"].contains(arguments.first) || (arguments.first == "run" && arguments.contains { $0 == "--help" || $0 == "-h" }) {
            print(usage)
            return 0
        }
        // Hidden: the worker's CPU cost per run without a broker, for scripts/bench/worker-cpu.sh.
        if arguments.first == "bench-runs" { return await BenchRunsCommand.run(arguments: Array(arguments.dropFirst())) }
        guard arguments.first == "run" else {
            printError((arguments.first.map { "dify-worker: unknown command \"\($0)\"\n\n" } ?? "") + usage)
            return 2
        }
        do {
            let options = try CommandArguments(Array(arguments.dropFirst()), options: ["config", "id"])
            let files = options.all("config")
            guard !files.isEmpty else { throw CommandArguments.UsageError(message: "missing --config FILE") }
            return try await run(files: files, id: options.value("id"))
        } catch let error as CommandArguments.UsageError {
            printError("dify-worker: \(error.message)\n\n\(usage)")
            return 2
        } catch let error as ConfigErrors {
            printError("dify-worker: invalid configuration:\n\(error)")
            return 1
        } catch {
            printError("dify-worker: \(error)")
            return 1
        }
    }

    static func run(files: [String], id: String?) async throws -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        let configuration = try ConfigurationLoader(environment: environment).load(paths: files)
        LogSettings.configure(
            level: LogLevel(name: configuration.logging.level) ?? .info,
            format: LogFormat(rawValue: configuration.logging.format) ?? .text)
        ResourceLimits.raiseOpenFiles()

        let workerID = id ?? configuration.worker.id ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        let logger = Logger(label: "dify-worker", metadata: [LogKey.workerID: workerID])
        let apps = try WorkerApp.resolveAll(configuration, environment: environment)
        let signer: TriggerSigner?
        do {
            signer = try configuration.kafka.triggerSigner(environment: environment)
        } catch let error as ConfigError {
            throw ConfigErrors([error])
        }
        let metrics = WorkerMetrics(registry: .shared)

        let worker = WorkerService(configuration: configuration, apps: apps, workerID: workerID, logger: logger, metrics: metrics, signer: signer)
        var services: [any Service] = [worker]
        if let listen = configuration.worker.listen {
            services.append(try MetricsEndpoint(listen: listen, auth: configuration.auth, logger: logger, isReady: { worker.isReady }))
        }
        let reloader = ConfigurationReloader(paths: files, initial: configuration, logger: logger)
        WorkerReload.register(on: reloader, worker: worker)
        let grace = (try? DurationText.duration(configuration.worker.shutdownGrace)) ?? .seconds(30)
        try await ServiceGroup(
            services: services, gracePeriod: grace + .seconds(30), logger: logger, onReload: reloader.reloadFromSignal
        ).run()
        return 0
    }
}

exit(await WorkerCommand.main())
