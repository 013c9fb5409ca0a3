import Foundation
import Shared

/// `dify-producer run --config FILE`: the scheduling center.
enum RunCommand {
    static let usage = """
        usage: dify-producer run --config FILE [--config FILE ...]
          --config FILE   configuration or job file; several are merged in order
        """

    static func run(arguments: [String]) async -> Int32 {
        do {
            let options = try CommandArguments(arguments, options: ["config"])
            let configuration = try ConfigLoading.load(options.all("config"))
            ResourceLimits.raiseOpenFiles()
            let logger = Logger(label: "dify-producer")
            let metrics = ProducerMetrics(registry: .shared)

            let service = ProducerService(configuration: configuration, logger: logger, metrics: metrics)
            let records = try await Records.open(configuration: configuration, logger: logger)
            let endpoint = try MetricsEndpoint(listen: configuration.producer.listen, logger: logger, isReady: { service.isReady }) { router in
                RecordsAPI.register(into: &router, store: records.store)
                Console.register(into: &router)
            }
            try await ServiceGroup(services: [service] + records.services + [endpoint], gracePeriod: .seconds(30), logger: logger).run()
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
