/// Upcoming fires of every owned job, earliest first: a binary min-heap of 16-byte entries
/// (fire instant in milliseconds, job slot, generation), so a million jobs cost about 16 MB.
///
/// Entries are never searched for: when a job changes, its slot's generation is bumped and the
/// stale entry is skipped when it reaches the top.
struct FireQueue: Sendable {
    struct Entry: Sendable, Equatable {
        var fireAtMilliseconds: Int64
        var slot: Int32
        var generation: UInt32
    }

    private var heap: [Entry] = []

    var count: Int { heap.count }
    var first: Entry? { heap.first }

    mutating func reserveCapacity(_ capacity: Int) {
        heap.reserveCapacity(capacity)
    }

    mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].fireAtMilliseconds < heap[parent].fireAtMilliseconds else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() -> Entry? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let entry = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].fireAtMilliseconds < heap[smallest].fireAtMilliseconds { smallest = left }
            if right < heap.count, heap[right].fireAtMilliseconds < heap[smallest].fireAtMilliseconds { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return entry
    }

    mutating func removeAll() {
        heap.removeAll()
    }
}
