import Foundation
import Synchronization

/// The UTC offsets of one IANA time zone over time, read from its TZif file.
///
/// Loading reads `/usr/share/zoneinfo/NAME` (or `$TZDIR/NAME`), takes the 64-bit transition
/// table of a version 2+ file, and extends it through 2500 with the POSIX TZ rule in the file's
/// footer; instants after 2500 are computed from the same rule on demand. Lookups are a binary
/// search over plain arrays, so a loaded zone answers in tens of nanoseconds and is shared by
/// every schedule that names it (see ``named(_:)``).
public final class ZoneRules: Sendable {
    /// A stretch of UTC time with one offset, and the offset in effect just before it.
    struct Period {
        /// First instant of the period, in seconds since the Unix epoch; `Int64.min` when unbounded.
        var start: Int64
        /// First instant after the period; `Int64.max` when the offset never changes again.
        var end: Int64
        /// Seconds east of UTC.
        var offset: Int64
        /// Seconds east of UTC just before `start`; equal to `offset` at the first period.
        var previousOffset: Int64
    }

    /// How a local wall-clock time maps to instants.
    public enum LocalTimeResolution: Equatable, Sendable {
        /// The local time occurs once, at this instant.
        case unique(Int64)
        /// The local time falls into a gap (clocks moved forward); the gap ends at this instant.
        case gap(endsAt: Int64)
        /// The local time occurs twice (clocks moved back), at these two instants.
        case overlap(first: Int64, second: Int64)
    }

    /// The IANA name, such as `Europe/Berlin`.
    public let identifier: String
    /// Transition instants, ascending, with no two neighbours sharing an offset.
    let transitionTimes: [Int64]
    /// The offset in effect from the transition at the same index.
    let transitionOffsets: [Int64]
    /// The offset before the first transition.
    let initialOffset: Int64
    /// The footer rule used after the last precomputed transition, when it has daylight saving time.
    let footer: PosixTimeZoneRule?

    /// UTC, with no transitions.
    public static let utc = ZoneRules(identifier: "UTC", times: [], offsets: [], initialOffset: 0, footer: nil)

    /// The last year whose transitions are precomputed from the footer rule at load time.
    static let precomputedThroughYear = 2500

    init(identifier: String, times: [Int64], offsets: [Int64], initialOffset: Int64, footer: PosixTimeZoneRule?) {
        self.identifier = identifier
        self.transitionTimes = times
        self.transitionOffsets = offsets
        self.initialOffset = initialOffset
        self.footer = footer?.hasDaylightSavingTime == true ? footer : nil
    }

    // MARK: - Loading

    private static let cache = Mutex<[String: ZoneRules]>([:])

    /// Returns the rules of the zone `name`, loading its TZif file the first time.
    ///
    /// `UTC` and `Etc/UTC` need no file. Names are IANA names such as `Asia/Shanghai`; fixed
    /// offsets such as `+08:00` are rejected with a hint.
    /// - Throws: ``ScheduleError`` with code `invalid_timezone` naming the zone.
    public static func named(_ name: String) throws(ScheduleError) -> ZoneRules {
        if name == "UTC" || name == "Etc/UTC" { return .utc }
        if let cached = cache.withLock({ $0[name] }) { return cached }

        let rules = try load(name)
        cache.withLock { $0[name] = rules }
        return rules
    }

    private static func load(_ name: String) throws(ScheduleError) -> ZoneRules {
        func failure(_ reason: String) -> ScheduleError {
            ScheduleError(code: .invalidTimeZone, field: "timezone", token: name, reason: reason)
        }

        let allowed = name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "_+-/".unicodeScalars.contains(scalar))
        }
        guard !name.isEmpty, allowed, !name.hasPrefix("/"), !name.hasPrefix("-"),
            !name.split(separator: "/").contains(where: { $0 == ".." || $0 == "." })
        else {
            throw failure("not an IANA time zone name; write a name such as Asia/Shanghai, Europe/Berlin or UTC")
        }

        let directory = ProcessInfo.processInfo.environment["TZDIR"] ?? "/usr/share/zoneinfo"
        guard let data = FileManager.default.contents(atPath: directory + "/" + name) else {
            throw failure(
                "unknown time zone (no file in \(directory)); write an IANA name such as Asia/Shanghai, "
                    + "and install the tzdata package if the zone should exist")
        }
        do {
            return try TZifReader.read(Array(data), identifier: name)
        } catch {
            throw failure("the zone file in \(directory) is not valid TZif data (\(error.reason))")
        }
    }

    // MARK: - Lookup

    /// Returns the offset east of UTC, in seconds, in effect at `instant` (Unix seconds).
    public func offset(at instant: Int64) -> Int64 {
        period(containing: instant).offset
    }

    /// Returns the period of constant offset that contains `instant`.
    func period(containing instant: Int64) -> Period {
        if let footer, let last = transitionTimes.last, instant >= last {
            return footer.period(containing: instant, notBefore: last, previousTableOffset: transitionOffsets.last!)
        }

        // Index of the last transition at or before `instant`, or -1.
        var low = 0
        var high = transitionTimes.count
        while low < high {
            let middle = (low + high) / 2
            if transitionTimes[middle] <= instant { low = middle + 1 } else { high = middle }
        }
        let index = low - 1

        if index < 0 {
            return Period(
                start: .min, end: transitionTimes.first ?? .max, offset: initialOffset, previousOffset: initialOffset)
        }
        let previous = index > 0 ? transitionOffsets[index - 1] : initialOffset
        let end = index + 1 < transitionTimes.count ? transitionTimes[index + 1] : Int64.max
        return Period(start: transitionTimes[index], end: end, offset: transitionOffsets[index], previousOffset: previous)
    }

    /// Maps a local wall-clock time (seconds since 1970-01-01T00:00 local) to instants.
    public func resolve(local: Int64) -> LocalTimeResolution {
        // Offsets stay within ±26 hours, so every instant that can show `local` lies in this window.
        let window: Int64 = 26 * 3600
        var period = period(containing: local - window)
        var instants: [Int64] = []
        var gapEnd: Int64?

        while true {
            let candidate = local - period.offset
            if candidate >= period.start && candidate < period.end {
                instants.append(candidate)
            } else if gapEnd == nil, period.start != .min, local < period.start + period.offset,
                local >= period.start + period.previousOffset
            {
                gapEnd = period.start
            }
            guard period.end != .max, period.end <= local + window else { break }
            period = self.period(containing: period.end)
        }

        switch instants.count {
        case 0: return .gap(endsAt: gapEnd ?? local - offset(at: local))
        case 1: return .unique(instants[0])
        default: return .overlap(first: instants[0], second: instants[instants.count - 1])
        }
    }
}
