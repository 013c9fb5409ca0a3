import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP port that accepts connections into its backlog and never answers: a receiver that
/// hangs.
public final class SilentListener: @unchecked Sendable {
    // @unchecked Sendable: the descriptor and port are set in init and never changed.
    /// The port of 127.0.0.1 it listens on.
    public let port: Int
    private let descriptor: Int32

    /// Listens on a port of 127.0.0.1 the kernel picks.
    public init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 64) == 0 else { throw CocoaError(.fileWriteUnknown) }
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(descriptor)
    }
}
