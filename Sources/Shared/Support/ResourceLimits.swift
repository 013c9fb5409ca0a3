import Foundation

/// Process resource limits.
public enum ResourceLimits {
    /// Raises the soft limit of open files to the hard limit: thousands of runs in flight each
    /// hold a socket.
    public static func raiseOpenFiles() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
