import Foundation
import Shared

/// `dify-producer bench-schedule`: measures next-fire computation, for `scripts/bench/schedule.sh`.
///
/// Prints nanoseconds per `nextFire(after:)` call for simple and complex schedules, then compiles
/// `--jobs N` schedules (default 1,000,000) from a mix of expressions and zones and times one
/// next-fire computation for every job. Not a user command: build with `-c release` to measure.
enum BenchScheduleCommand {
    static func run(arguments: [String]) -> Int32 {
        var jobCount = 1_000_000
        if let index = arguments.firstIndex(of: "--jobs"), index + 1 < arguments.count, let value = Int(arguments[index + 1]) {
            jobCount = value
        }

        let calendar = try! ScheduleCalendar(
            name: "cn-workdays", weekdayNames: ["MON", "TUE", "WED", "THU", "FRI"],
            holidays: ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"], workdays: ["2026-09-27"])
        let registry = CalendarRegistry([calendar])
        let from = Date(timeIntervalSince1970: 1_774_700_000)  // 2026-03-28, the day before Europe's switch.

        let cases: [(String, ScheduleSpec)] = [
            ("simple: 0 0 9 * * * UTC", ScheduleSpec(cron: "0 0 9 * * *")),
            ("simple: every 5m", ScheduleSpec(every: "5m")),
            ("zone: 0 30 2 * * * Europe/Berlin", ScheduleSpec(cron: "0 30 2 * * *", timezone: "Europe/Berlin")),
            ("complex: 0 0/15 9-17 ? * MON-FRI Asia/Shanghai + calendar",
             ScheduleSpec(cron: "0 0/15 9-17 ? * MON-FRI", timezone: "Asia/Shanghai", calendar: "cn-workdays")),
            ("complex: */20 59 1,2 L,15W * 5L Australia/Lord_Howe twice",
             ScheduleSpec(cron: "*/20 59 1,2 L,15W * 5L", timezone: "Australia/Lord_Howe", dstOverlap: "twice")),
            ("complex: 0 0 0 29 2 MON both (next in 2044)",
             ScheduleSpec(cron: "0 0 0 29 2 MON", dayMatch: "both")),
            ("complex: 0 0 12 ? * FRI#3 2027 quartz, jitter 30s",
             ScheduleSpec(cron: "0 0 12 ? * 6#3 2027", cronDialect: "quartz", jitter: "30s")),
            ("worst: last Saturday on a Mon-Fri calendar (400-year search, nil)",
             ScheduleSpec(cron: "0 0 12 ? * 6L", timezone: "Europe/Berlin", calendar: "cn-workdays")),
        ]
        print("next-fire cost (ns per nextFire(after:) call, median of 5 rounds)")
        for (name, spec) in cases {
            let schedule = try! CompiledSchedule(spec: spec, jobID: "bench", calendars: registry.lookup)
            let iterations = name.hasPrefix("worst") ? 200 : 200_000
            var rounds: [Double] = []
            var sink = 0.0
            for _ in 0..<5 {
                let started = DispatchTime.now().uptimeNanoseconds
                var cursor = from
                for index in 0..<iterations {
                    // Step the cursor so the computation is not the same call repeated.
                    cursor = from.addingTimeInterval(Double(index % 5000) * 601)
                    sink += schedule.nextFire(after: cursor)?.scheduledAt.timeIntervalSince1970 ?? 0
                }
                rounds.append(Double(DispatchTime.now().uptimeNanoseconds - started) / Double(iterations))
            }
            rounds.sort()
            let label = name.padding(toLength: 70, withPad: " ", startingAt: 0)
            print("  \(label) \(Int(rounds[2])) ns" + (sink == 0 ? " " : ""))
        }

        // A million jobs: a mix of expressions and zones, each with its own id (so its own jitter).
        let expressions = [
            "0 0 9 * * MON-FRI", "0 */5 * * * *", "0 30 2 * * *", "0 0 0 L * ?", "0 15 10 ? * 5L", "0 0 8 15W * ?",
            "0 0/30 9-18 * * *", "30 0 0 1 * MON", "0 0 12 ? * MON#2", "@hourly",
        ]
        let zones = ["UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
        let compileStarted = DispatchTime.now().uptimeNanoseconds
        var schedules: [CompiledSchedule] = []
        schedules.reserveCapacity(jobCount)
        for index in 0..<jobCount {
            var spec = ScheduleSpec(
                cron: expressions[index % expressions.count], timezone: zones[index / expressions.count % zones.count])
            if index % 3 == 0 { spec.calendar = "cn-workdays" }
            if index % 7 == 0 { spec = ScheduleSpec(every: "\(index % 600 + 1)s") }
            if index % 11 == 0 { spec.jitter = "30s" }
            schedules.append(try! CompiledSchedule(spec: spec, jobID: "job-\(index)", calendars: registry.lookup))
        }
        let compileSeconds = Double(DispatchTime.now().uptimeNanoseconds - compileStarted) / 1e9

        let started = DispatchTime.now().uptimeNanoseconds
        var count = 0
        for schedule in schedules where schedule.nextFire(after: from) != nil { count += 1 }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9

        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print(String(format: "%d jobs: compile %.2f s; next fire for all %.3f s (%.0f ns per job, %d fires); peak RSS %.0f MB",
                     jobCount, compileSeconds, seconds, seconds * 1e9 / Double(jobCount), count, Double(usage.ru_maxrss) / 1024))
        return 0
    }
}
