/// A reader of TZif files (RFC 8536), versions 1 to 4.
///
/// Version 2+ files carry the table twice, first with 32-bit then with 64-bit times; the reader
/// takes the 64-bit table and the POSIX TZ footer. Leap-second records are skipped because
/// schedules count POSIX seconds.
enum TZifReader {
    struct Failure: Error {
        var reason: String
    }

    static func read(_ bytes: [UInt8], identifier: String) throws(Failure) -> ZoneRules {
        var cursor = 0

        func require(_ count: Int) throws(Failure) {
            guard count >= 0, cursor + count <= bytes.count else { throw Failure(reason: "truncated file") }
        }
        func readInteger(_ width: Int) throws(Failure) -> Int64 {
            try require(width)
            var value: UInt64 = 0
            for byte in bytes[cursor..<cursor + width] { value = value << 8 | UInt64(byte) }
            cursor += width
            // Sign-extend the big-endian two's complement value.
            let shift = UInt64(64 - width * 8)
            return Int64(bitPattern: value << shift) >> Int64(shift)
        }

        struct Header {
            var version: UInt8
            var utIndicatorCount, standardIndicatorCount, leapCount, transitionCount, typeCount, characterCount: Int
        }
        func readHeader() throws(Failure) -> Header {
            try require(44)
            guard bytes[cursor..<cursor + 4].elementsEqual("TZif".utf8) else { throw Failure(reason: "no TZif magic") }
            let version = bytes[cursor + 4]
            cursor += 20
            var counts: [Int] = []
            for _ in 0..<6 {
                let count = try readInteger(4)
                guard count >= 0, count < 1_000_000 else { throw Failure(reason: "implausible record count") }
                counts.append(Int(count))
            }
            return Header(
                version: version, utIndicatorCount: counts[0], standardIndicatorCount: counts[1],
                leapCount: counts[2], transitionCount: counts[3], typeCount: counts[4], characterCount: counts[5])
        }

        var header = try readHeader()
        var timeWidth = 4
        if header.version >= UInt8(ascii: "2") {
            // Skip the 32-bit block; the 64-bit block that follows has its own header.
            let skip =
                header.transitionCount * 5 + header.typeCount * 6 + header.characterCount + header.leapCount * 8
                + header.standardIndicatorCount + header.utIndicatorCount
            try require(skip)
            cursor += skip
            header = try readHeader()
            timeWidth = 8
        }
        guard header.typeCount > 0 else { throw Failure(reason: "no local time types") }

        var times: [Int64] = []
        times.reserveCapacity(header.transitionCount)
        for _ in 0..<header.transitionCount { times.append(try readInteger(timeWidth)) }
        var typeIndices: [Int] = []
        for _ in 0..<header.transitionCount {
            try require(1)
            typeIndices.append(Int(bytes[cursor]))
            cursor += 1
        }
        var typeOffsets: [Int64] = []
        for _ in 0..<header.typeCount {
            typeOffsets.append(try readInteger(4))
            try require(2)
            cursor += 2  // isdst and the abbreviation index
        }
        guard typeIndices.allSatisfy({ $0 < header.typeCount }) else { throw Failure(reason: "bad type index") }
        let rest = header.characterCount + header.leapCount * (timeWidth + 4) + header.standardIndicatorCount
            + header.utIndicatorCount
        try require(rest)
        cursor += rest

        var footer: PosixTimeZoneRule?
        if timeWidth == 8, cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\n") {
            let start = cursor + 1
            if let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")), end > start {
                let text = String(decoding: bytes[start..<end], as: UTF8.self)
                guard let rule = PosixTimeZoneRule(text) else { throw Failure(reason: "unreadable footer \"\(text)\"") }
                footer = rule
            }
        }

        // Merge neighbours with equal offsets: a change of abbreviation or of the isdst flag alone
        // moves no wall clock.
        var mergedTimes: [Int64] = []
        var mergedOffsets: [Int64] = []
        let initialOffset = typeOffsets[0]
        var current = initialOffset
        for (time, typeIndex) in zip(times, typeIndices) where typeOffsets[typeIndex] != current {
            guard mergedTimes.last.map({ time > $0 }) ?? true else { throw Failure(reason: "transitions out of order") }
            current = typeOffsets[typeIndex]
            mergedTimes.append(time)
            mergedOffsets.append(current)
        }

        // Extend the table with the footer rule so that lookups before 2500 are a binary search.
        if let footer, footer.hasDaylightSavingTime {
            let tableEnd = times.last ?? Int64.min
            let firstYear = max(1970, CivilDate(daysSinceEpoch: Int(max(tableEnd, 0) / 86_400)).year)
            for year in firstYear...ZoneRules.precomputedThroughYear {
                for transition in footer.transitions(year: year) where transition.instant > tableEnd {
                    guard transition.offset != current else { continue }
                    guard mergedTimes.last.map({ transition.instant > $0 }) ?? true else { continue }
                    current = transition.offset
                    mergedTimes.append(transition.instant)
                    mergedOffsets.append(current)
                }
            }
        }

        return ZoneRules(
            identifier: identifier, times: mergedTimes, offsets: mergedOffsets, initialOffset: initialOffset,
            footer: footer)
    }
}
