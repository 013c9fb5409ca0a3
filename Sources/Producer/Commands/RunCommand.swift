import Foundation
import Shared

/// `dify-producer run --config FILE`: the scheduling center.
enum RunCommand {
    static let usage = """
        usage: dify-producer run --config FILE [--config FILE ...]
          --config FILE   configuration or job file; several are merged in order
        """

    /// The parts of the process beside the scheduler, each with its services and routes.
    static func components(context: ProducerContext, records: Records) -> [any ProducerComponent] {
        [
            ControlAPI(context: context),
            RecordsComponent(records: records),
            RunControlAPI(context: context, store: records.store),
        ]
    }

    /// The HTTP server's limits from `producer`: body size, idle timeout and connection count.
    static func serverConfiguration(_ producer: ProducerSettings, host: String, port: Int) -> HTTPServerConfiguration {
        // The validator has checked the timeout, so the fallback is never used.
        let timeout = (try? DurationText.milliseconds(producer.connectionTimeout)) ?? 30_000
        return HTTPServerConfiguration(
            host: host, port: port, maxBodyBytes: producer.maxBodyBytes,
            connectionTimeout: .seconds(max(1, Int(timeout / 1000))), maxConnections: producer.maxConnections)
    }

    static func run(arguments: [String]) async -> Int32 {
        do {
            let options = try CommandArguments(arguments, options: ["config"])
            let configuration = try ConfigLoading.load(options.all("config"))
            try KafkaLibrary.checkVersion()
            ResourceLimits.raiseOpenFiles()
            let logger = Logger(label: "dify-producer")
            let metrics = ProducerMetrics(registry: .shared)

            let context = try ProducerContext(configuration: configuration, logger: logger, metrics: metrics)
            let scheduling = ProducerService(context: context)
            let records = try await Records.open(configuration: configuration, logger: logger)
            let components = components(context: context, records: records)
            let (host, port) = try HTTPServerConfiguration.parseListenAddress(configuration.producer.listen)
            let authenticator = Authenticator(settings: configuration.auth, listenHost: host, publicURL: configuration.producer.publicURL)
            let denials = AccessDenials(logger: logger)
            var router = Router(logger: logger)
            for component in components {
                component.register(into: &router)
            }
            SessionRoutes(authenticator: authenticator, denials: denials, logger: logger).register(into: &router)
            // Every route is behind the access gate: it authenticates the caller and checks the role.
            let gate = AccessGate(authenticator: authenticator, logger: logger, denials: denials)
            let server = HTTPServer(
                name: "control-api", configuration: serverConfiguration(configuration.producer, host: host, port: port), logger: logger,
                handler: gate.guarding(router.handler))

            // Stopped in reverse: the HTTP server first, the scheduler last.
            let notifier = configuration.channels.isEmpty ? nil : NotifierService(configuration: configuration, logger: logger, registry: context.registry)
            let services: [any Service] = [scheduling] + components.flatMap { $0.services() } + (notifier.map { [$0] } ?? []) + [server]
            let reloader = ConfigurationReloader(paths: options.all("config"), initial: configuration, logger: logger)
            ProducerReload.register(on: reloader, authenticator: authenticator, context: context, notifier: notifier, logger: logger)
            try await ServiceGroup(services: services, gracePeriod: .seconds(30), logger: logger, onReload: reloader.reloadFromSignal).run()
            return 0
        } catch let error as CommandArguments.UsageError {
            printError("dify-producer run: \(error.message)\n\(usage)")
            return 2
        } catch let error as ConfigErrors {
            printError("dify-producer run: invalid configuration:\n\(error)")
            return 1
        } catch {
            printError("dify-producer run: \(error)")
            return 1
        }
    }
}
