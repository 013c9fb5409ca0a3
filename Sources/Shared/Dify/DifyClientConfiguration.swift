import Foundation

/// Settings of a `DifyClient`, shared by every app it calls.
public struct DifyClientConfiguration: Sendable, Hashable {
    /// Connections kept open to one Dify host. URLSession's default of 6 would queue every
    /// run beyond the sixth, and a streaming run keeps its connection until it ends.
    public var maxConnectionsPerHost: Int
    /// Time allowed for the response headers of any request but a blocking run, and for the
    /// whole response of short calls (info, parameters, stop, get run).
    public var requestTimeout: Duration
    /// Time a stream may go without a byte once it opened. Dify pings every 10 s, so this
    /// stays well above that.
    public var streamIdleTimeout: Duration
    /// Time allowed for a blocking run's response, which Dify sends only when the run ends.
    /// The default is Dify's default `APP_MAX_EXECUTION_TIME` (1200 s) plus a minute.
    public var blockingTimeout: Duration
    /// Largest non-stream response body read into memory.
    public var maxResponseBytes: Int
    /// Largest single stream event.
    public var maxEventBytes: Int
    public var userAgent: String
    /// URLSessions the client spreads requests over; each parses its streams on its own
    /// serial queue. `maxConnectionsPerHost` is divided among them.
    public var sessionCount: Int

    public init(
        maxConnectionsPerHost: Int = 256, requestTimeout: Duration = .seconds(30),
        streamIdleTimeout: Duration = .seconds(60), blockingTimeout: Duration = .seconds(1260),
        maxResponseBytes: Int = 64 << 20, maxEventBytes: Int = 32 << 20, userAgent: String = "dify-scheduler",
        sessionCount: Int = max(2, ProcessInfo.processInfo.activeProcessorCount)
    ) {
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.requestTimeout = requestTimeout
        self.streamIdleTimeout = streamIdleTimeout
        self.blockingTimeout = blockingTimeout
        self.maxResponseBytes = maxResponseBytes
        self.maxEventBytes = maxEventBytes
        self.userAgent = userAgent
        self.sessionCount = sessionCount
    }
}
