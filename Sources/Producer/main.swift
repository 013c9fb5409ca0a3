import Foundation
import Shared

/// `dify-producer`: the scheduling center and its command-line tools.
enum ProducerCommand {
    static let usage = """
        usage: dify-producer COMMAND [OPTIONS]

        Commands:
          run        schedule the registry's jobs and serve the control API
          apply      publish the jobs of job files to the registry (--dry-run, --prune)
          validate   check configuration and job files, and jobs' inputs against reachable apps
          app        inspect an app's input variables (app inspect APP --config FILE)
          next       print the next fire instants of a schedule
          explain    print a cron expression in words
          topics     create or list the Kafka topics
          tail       print messages of a topic as they arrive
          hash-token print the SHA-256 of an API token read on standard input

        Run a command with --help for its options.
        """

    /// Usage of each command, printed for `COMMAND --help` or `-h` anywhere after it.
    static let commandUsage: [String: String] = [
        "run": RunCommand.usage, "apply": ApplyCommand.usage, "validate": ValidateCommand.usage,
        "app": AppCommand.usage, "next": NextCommand.usage, "explain": ExplainCommand.usage,
        "topics": TopicsCommand.usage, "tail": TailCommand.usage, "hash-token": HashTokenCommand.usage,
        // Benchmark commands for `make bench`; not listed in the usage above.
        "bench-kafka": "usage: dify-producer bench-kafka --config FILE [--messages N] [--round-trips N]\n  broker produce rate and round trip, for make bench",
        "bench-producer": "usage: dify-producer bench-producer --config FILE --measure memory|rebuild|emit --jobs N\n  producer figures for make bench (scripts/bench/producer.sh)",
        "bench-schedule": "usage: dify-producer bench-schedule [--jobs N]\n  next-fire computation times, for scripts/bench/schedule.sh (build with -c release)",
        "bench-triggers": "usage: dify-producer bench-triggers --config FILE --app APP --count N [--inputs JSON] [--job ID] [--policy JSON] [--rate N]\n  writes N triggers for APP to the trigger topic, for worker benchmarks",
        "bench-records": "usage: dify-producer bench-records --store sqlite:PATH|postgres://... [--runs N] [--nodes K] [--fill N]\n  run-record ingest and query times, for make bench (build with -c release)",
    ]

    static func main() async -> Int32 {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let rest = Array(arguments.dropFirst())
        if let command = arguments.first, let text = commandUsage[command], rest.contains(where: { $0 == "--help" || $0 == "-h" }) {
            print(text)
            return 0
        }
        switch arguments.first {
        case "run": return await RunCommand.run(arguments: rest)
        case "apply": return await ApplyCommand.run(arguments: rest)
        case "validate": return await ValidateCommand.run(arguments: rest)
        case "app": return await AppCommand.run(arguments: rest)
        case "bench-producer": return await BenchProducerCommand.run(arguments: rest)
        case "next": return NextCommand.run(arguments: rest)
        case "explain": return ExplainCommand.run(arguments: rest)
        case "topics": return await TopicsCommand.run(arguments: rest)
        case "tail": return await TailCommand.run(arguments: rest)
        case "hash-token": return HashTokenCommand.run(arguments: rest)
        case "bench-kafka": return await BenchKafkaCommand.run(arguments: rest)
        case "bench-schedule": return BenchScheduleCommand.run(arguments: rest)
        case "bench-triggers": return await BenchTriggersCommand.run(arguments: rest)
        case "bench-records": return await BenchRecordsCommand.run(arguments: rest)
        case "help", "--help", "-h":
            print(usage)
            return 0
        case let command?:
            printError("dify-producer: unknown command \"\(command)\"\n\n\(usage)")
            return 2
        case nil:
            printError(usage)
            return 2
        }
    }
}

exit(await ProducerCommand.main())
