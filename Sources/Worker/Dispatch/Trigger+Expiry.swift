import Foundation
import Shared

extension Trigger {
    /// The instant after which the trigger ends as `expired` instead of calling Dify: the
    /// earlier of its `deadline` and its scheduled (else emitted) time plus `max_delay`; nil
    /// when it has neither.
    var expiresAt: Date? {
        var instants: [Date] = []
        if let deadline { instants.append(deadline) }
        if let text = policy?.maxDelay, let maximum = try? DurationText.milliseconds(text), let reference = scheduledAt ?? emittedAt {
            instants.append(reference.addingTimeInterval(Double(maximum) / 1000))
        }
        return instants.min()
    }
}
