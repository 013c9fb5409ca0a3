import Shared

/// Per partition, the alerts still being delivered, so an offset is stored only once every
/// alert before it has its outcome recorded.
struct OffsetProgress: Sendable {
    private var pending: [Int: [(offset: Int64, remaining: Int)]] = [:]

    /// Registers the message at `offset` with `units` outcomes still to record.
    mutating func begin(partition: Int, offset: Int64, units: Int) {
        pending[partition, default: []].append((offset, max(units, 1)))
    }

    /// Records one outcome of the message at `offset`; returns the highest offset now safe to
    /// store, or nil when an earlier message is still open.
    mutating func finish(partition: Int, offset: Int64) -> Int64? {
        guard var entries = pending[partition], let index = entries.firstIndex(where: { $0.offset == offset }) else { return nil }
        entries[index].remaining -= 1
        var done: Int64?
        while let first = entries.first, first.remaining <= 0 {
            done = first.offset
            entries.removeFirst()
        }
        pending[partition] = entries
        return done
    }

    /// Forgets partitions handed to another consumer.
    mutating func drop(partitions: [Int]) {
        for partition in partitions { pending[partition] = nil }
    }
}
