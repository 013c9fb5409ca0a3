import Foundation

/// One fire of a schedule.
public struct ScheduledFire: Sendable, Hashable, Comparable {
    /// The nominal instant the schedule names, without jitter; trigger ids derive from it.
    public var scheduledAt: Date
    /// `scheduledAt` plus the job's deterministic jitter offset: when the trigger is emitted.
    public var fireAt: Date

    public init(scheduledAt: Date, fireAt: Date) {
        self.scheduledAt = scheduledAt
        self.fireAt = fireAt
    }

    public static func < (lhs: ScheduledFire, rhs: ScheduledFire) -> Bool {
        lhs.scheduledAt < rhs.scheduledAt
    }
}
