// libFuzzer entry for the schedule engine: each input is split into a cron expression and a few
// option bytes, compiled, and, when valid, asked for fires and a description. A crash, trap or
// hang is a bug; a thrown ScheduleError is the expected outcome for malformed input.
import Foundation

let zones = ["UTC", "Europe/Berlin", "Australia/Lord_Howe", "America/New_York", "Asia/Kathmandu"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScheduleParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let options = bytes.first ?? 0
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    let spec = ScheduleSpec(
        cron: text, timezone: zones[Int(options) % zones.count], dstGap: options & 8 == 0 ? "shift" : "skip",
        dstOverlap: options & 16 == 0 ? "once" : "twice", dayMatch: options & 32 == 0 ? "either" : "both",
        cronDialect: options & 64 == 0 ? "linux" : "quartz")
    guard let schedule = try? CompiledSchedule(spec: spec, jobID: "fuzz") else { return 0 }

    var cursor = Date(timeIntervalSince1970: 1_774_700_000)
    for _ in 0..<3 {
        guard let fire = schedule.nextFire(after: cursor) else { break }
        precondition(fire.scheduledAt > cursor, "fires must move forward")
        cursor = fire.scheduledAt
    }
    if case .cron(let expression) = schedule.kind {
        _ = CronDescription.describe(expression, language: options & 128 == 0 ? .english : .chinese)
    }
    return 0
}
