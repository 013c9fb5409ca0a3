import Foundation

/// A failure to start or run an ``HTTPServer``.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    /// Kind of failure; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        public static let invalidAddress = Code(name: "invalid_address")
        public static let invalidConfiguration = Code(name: "invalid_configuration")
        public static let startFailed = Code(name: "start_failed")
        public static let alreadyStarted = Code(name: "already_started")
    }

    public let code: Code
    /// What failed, on which value, and what to do about it.
    public let reason: String
    /// `errno` observed after the failing C call, when there was one.
    public let systemError: Int32?
    public var isRetryable: Bool { code == .startFailed }

    public var description: String {
        if let systemError, systemError != 0 {
            return "\(reason) (\(String(cString: strerror(systemError))), errno \(systemError))"
        }
        return reason
    }

    static func invalidAddress(_ text: String) -> HTTPServerError {
        HTTPServerError(
            code: .invalidAddress,
            reason: "invalid listen address '\(text)': write HOST:PORT, for example 127.0.0.1:8080 or [::1]:8080",
            systemError: nil
        )
    }

    static func invalidConfiguration(_ reason: String) -> HTTPServerError {
        HTTPServerError(code: .invalidConfiguration, reason: reason, systemError: nil)
    }
}
