import Foundation
import Shared

/// `dify-producer`: the scheduling center and its command-line tools.
enum ProducerCommand {
    static let usage = """
        usage: dify-producer COMMAND [OPTIONS]

        Commands:
          run        fire the configured jobs and write their triggers to Kafka
          validate   check configuration and job files, and jobs' inputs against reachable apps
          app        inspect an app's input variables (app inspect APP --config FILE)
          next       print the next fire instants of a schedule
          explain    print a cron expression in words
          topics     create or list the Kafka topics
          tail       print messages of a topic as they arrive

        Run a command with --help for its options.
        """

    static func main() async -> Int32 {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let rest = Array(arguments.dropFirst())
        switch arguments.first {
        case "run": return await RunCommand.run(arguments: rest)
        case "validate": return await ValidateCommand.run(arguments: rest)
        case "app": return await AppCommand.run(arguments: rest)
        case "next": return NextCommand.run(arguments: rest)
        case "explain": return ExplainCommand.run(arguments: rest)
        case "topics": return await TopicsCommand.run(arguments: rest)
        case "tail": return await TailCommand.run(arguments: rest)
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
