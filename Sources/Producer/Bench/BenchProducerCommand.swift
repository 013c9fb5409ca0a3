import Foundation
import Shared

/// `dify-producer bench-producer`: hidden; measured by `scripts/bench/producer.sh`.
enum BenchProducerCommand {
    static func run(arguments: [String]) async -> Int32 {
        printError("bench-producer: not built yet")
        return 1
    }
}
