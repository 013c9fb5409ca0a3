import Foundation
import Shared

/// Fires every owned job at its instants: keeps the next fire of each job in a ``FireQueue``,
/// sleeps until the earliest one (not on a fixed tick) and hands due fires to `emit`.
///
/// A fire whose emission fails (the broker is down) is tried again a second later with the same
/// scheduled instant, so its trigger id does not change and nothing is skipped.
actor FireScheduler {
    /// One job with its compiled schedule, run count and next fire.
    struct Slot: Sendable {
        var job: Job
        var schedule: CompiledSchedule
        var firedCount: Int
        var lastScheduledAt: Date?
        var paused: Bool
        var next: ScheduledFire?
    }

    /// Emits one fire; returns false when it could not be written and must be tried again.
    typealias Emit = @Sendable (Job, ScheduledFire) async -> Bool

    private var slots: [Slot?] = []
    /// Bumped whenever a slot's job changes or goes, so queue entries made before are stale.
    private var generations: [UInt32] = []
    private var slotByJob: [String: Int32] = [:]
    private var freeSlots: [Int32] = []
    private var queue = FireQueue()
    private let waker = Waker()
    private let emit: Emit
    private let logger: Logger
    private var stopped = false

    init(logger: Logger, emit: @escaping Emit) {
        self.logger = logger
        self.emit = emit
    }

    var jobCount: Int { slotByJob.count }

    /// Adds or replaces a job; its next fire is the first after `after` (normally now, or the
    /// last fired instant when resuming from recorded state).
    func upsert(job: Job, schedule: CompiledSchedule, firedCount: Int = 0, lastScheduledAt: Date? = nil, paused: Bool = false, after: Date = Date()) {
        let index: Int32
        if let existing = slotByJob[job.id] {
            index = existing
        } else if let free = freeSlots.popLast() {
            index = free
        } else {
            index = Int32(slots.count)
            slots.append(nil)
            generations.append(0)
        }
        generations[Int(index)] &+= 1
        let generation = generations[Int(index)]

        let next = paused ? nil : schedule.nextFire(after: lastScheduledAt.map { max($0, after) } ?? after, firedCount: firedCount)
        slots[Int(index)] = Slot(job: job, schedule: schedule, firedCount: firedCount, lastScheduledAt: lastScheduledAt, paused: paused, next: next)
        slotByJob[job.id] = index
        if let next {
            queue.push(FireQueue.Entry(fireAtMilliseconds: next.fireAt.millitimeIntervalSince1970, slot: index, generation: generation))
        }
        waker.wake()
    }

    /// Removes a job; a fire already handed to `emit` still completes.
    func remove(jobID: String) {
        guard let index = slotByJob.removeValue(forKey: jobID) else { return }
        slots[Int(index)] = nil
        generations[Int(index)] &+= 1
        freeSlots.append(index)
    }

    func next(jobID: String) -> ScheduledFire? {
        slotByJob[jobID].flatMap { slots[Int($0)]?.next }
    }

    func stop() {
        stopped = true
        waker.wake()
    }

    /// Runs the fire loop until ``stop()``.
    func run() async {
        while !stopped {
            guard let top = queue.first else {
                await waker.wait(upTo: .seconds(3600))
                continue
            }
            guard isCurrent(top) else {
                _ = queue.popFirst()
                continue
            }
            let wait = top.fireAtMilliseconds - Date().millitimeIntervalSince1970
            if wait > 0 {
                await waker.wait(upTo: .milliseconds(wait))
                continue
            }
            await fireDue()
        }
    }

    private func isCurrent(_ entry: FireQueue.Entry) -> Bool {
        guard let slot = slots[Int(entry.slot)] else { return false }
        return generations[Int(entry.slot)] == entry.generation && !slot.paused
    }

    /// Emits every fire that is due now, concurrently, and queues each job's following fire.
    private func fireDue() async {
        let now = Date()
        let nowMilliseconds = now.millitimeIntervalSince1970
        var due: [(index: Int32, generation: UInt32, job: Job, fire: ScheduledFire)] = []

        while let top = queue.first, top.fireAtMilliseconds <= nowMilliseconds {
            _ = queue.popFirst()
            guard isCurrent(top), let slot = slots[Int(top.slot)], let fire = slot.next else { continue }
            due.append((top.slot, top.generation, slot.job, fire))
        }
        guard !due.isEmpty else { return }

        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for (position, item) in due.enumerated() {
                group.addTask { [emit] in (position, await emit(item.job, item.fire)) }
            }
            var results = Array(repeating: false, count: due.count)
            for await (position, succeeded) in group {
                results[position] = succeeded
            }
            return results
        }

        for (position, item) in due.enumerated() {
            guard var slot = slots[Int(item.index)], generations[Int(item.index)] == item.generation else { continue }
            if outcomes[position] {
                slot.firedCount += 1
                slot.lastScheduledAt = item.fire.scheduledAt
                slot.next = slot.schedule.nextFire(after: item.fire.scheduledAt, firedCount: slot.firedCount)
            } else {
                // Try the same fire again shortly: its trigger id stays the same.
                slot.next = item.fire
            }
            slots[Int(item.index)] = slot
            if let next = slot.next {
                let fireAt = outcomes[position] ? next.fireAt.millitimeIntervalSince1970 : Date().millitimeIntervalSince1970 + 1000
                queue.push(FireQueue.Entry(fireAtMilliseconds: fireAt, slot: item.index, generation: item.generation))
            } else {
                logger.info("schedule ended", [LogKey.jobID: item.job.id, "fired": "\(slot.firedCount)"])
            }
        }
    }
}

extension Date {
    var millitimeIntervalSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }
}
