import Foundation
import Shared

let arguments = Array(CommandLine.arguments.dropFirst())
let status: Int32
switch arguments.first {
case "next": status = NextCommand.run(arguments: Array(arguments.dropFirst()))
case "explain": status = ExplainCommand.run(arguments: Array(arguments.dropFirst()))
case "bench-schedule": status = BenchScheduleCommand.run(arguments: Array(arguments.dropFirst()))
default:
    FileHandle.standardError.write(Data("usage: dify-producer run|validate|next|explain ...\n".utf8))
    status = 2
}
exit(status)
