import Shared

/// `dify-producer next`: prints the next fire instants of a schedule.
enum NextCommand {
    static func run(arguments: [String]) -> Int32 {
        // Replaced by the schedule engine's implementation.
        print("next: not built yet")
        return 2
    }
}
