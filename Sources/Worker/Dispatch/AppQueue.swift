/// The triggers of one app waiting for a slot, highest priority first and, within one
/// priority, in arrival order.
struct AppQueue<Element>: Sendable where Element: Sendable {
    private struct Entry: Sendable {
        var priority: Int
        var sequence: UInt64
        var element: Element
    }

    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }

    var first: Element? { heap.first?.element }

    mutating func push(_ element: Element, priority: Int) {
        heap.append(Entry(priority: priority, sequence: nextSequence, element: element))
        nextSequence += 1
        siftUp(heap.count - 1)
    }

    mutating func popFirst() -> Element? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let entry = heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
        return entry.element
    }

    /// Returns the element that leaves first among those matching `predicate`.
    func first(where predicate: (Element) -> Bool) -> Element? {
        heap.filter { predicate($0.element) }.min(by: before)?.element
    }

    func contains(where predicate: (Element) -> Bool) -> Bool {
        heap.contains { predicate($0.element) }
    }

    /// Removes and returns every element matching `predicate`.
    mutating func removeAll(where predicate: (Element) -> Bool) -> [Element] {
        let removed = heap.filter { predicate($0.element) }.map(\.element)
        guard !removed.isEmpty else { return [] }
        let kept = heap.filter { !predicate($0.element) }
        heap = []
        for entry in kept.sorted(by: { $0.sequence < $1.sequence }) {
            heap.append(entry)
            siftUp(heap.count - 1)
        }
        return removed
    }

    private func before(_ a: Entry, _ b: Entry) -> Bool {
        a.priority != b.priority ? a.priority > b.priority : a.sequence < b.sequence
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard before(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < heap.count, before(heap[left], heap[best]) { best = left }
            if right < heap.count, before(heap[right], heap[best]) { best = right }
            guard best != parent else { return }
            heap.swapAt(parent, best)
            parent = best
        }
    }
}
