import Shared

/// `dify-producer explain`: prints a cron expression in words.
enum ExplainCommand {
    static func run(arguments: [String]) -> Int32 {
        // Replaced by the schedule engine's implementation.
        print("explain: not built yet")
        return 2
    }
}
