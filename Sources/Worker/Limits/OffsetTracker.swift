/// The offsets of one partition that are held (received, not yet finished), so the committed
/// offset never passes a trigger that is still being worked on.
///
/// Kafka's committed offset is "the next offset to read": after offsets 5 and 6 finish while 4
/// is still running, the commit point stays at 4; once 4 finishes it moves to 7.
struct OffsetTracker: Sendable {
    private var held: Set<Int64> = []
    private var finishedAbove: Set<Int64> = []
    /// The next offset to commit, or nil before the first message.
    private(set) var commitPoint: Int64?
    private var lowestHeld: Int64?

    var heldCount: Int { held.count }

    mutating func hold(_ offset: Int64) {
        if commitPoint == nil { commitPoint = offset }
        held.insert(offset)
        if lowestHeld == nil || offset < lowestHeld! { lowestHeld = offset }
    }

    /// Marks `offset` finished and returns the new commit point when it moved.
    @discardableResult
    mutating func finish(_ offset: Int64) -> Int64? {
        guard held.remove(offset) != nil else { return nil }
        finishedAbove.insert(offset)
        guard var point = commitPoint else { return nil }
        let before = point
        while finishedAbove.remove(point) != nil {
            point += 1
        }
        // Offsets may have gaps (compaction, transaction markers): jump to the lowest held one.
        if held.isEmpty {
            if let highest = finishedAbove.max() {
                point = max(point, highest + 1)
            }
            finishedAbove.removeAll()
        } else if let lowest = held.min(), lowest > point, finishedAbove.allSatisfy({ $0 < lowest }) {
            point = lowest
            finishedAbove.removeAll()
        }
        // TODO: keep the held offsets ordered; these min() scans cost 3 % of the worker's CPU
        // per run with 20,000 triggers held (scripts/bench/worker.sh part 1).
        lowestHeld = held.min()
        commitPoint = point
        return point != before ? point : nil
    }

    /// Forgets everything, as when the partition is revoked.
    mutating func reset() {
        held.removeAll()
        finishedAbove.removeAll()
        commitPoint = nil
        lowestHeld = nil
    }
}
