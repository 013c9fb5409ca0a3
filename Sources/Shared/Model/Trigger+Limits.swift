import Foundation

extension Trigger {
    /// Maximum size of a trigger's `inputs`, in bytes of compact JSON. Workers reject a larger
    /// trigger, and the control API rejects a job or request whose inputs exceed it.
    public static let maxInputsBytes = 512 * 1024
}
