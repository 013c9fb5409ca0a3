import CMicroHTTPD
import Foundation

/// The libmicrohttpd daemon handle, stopped in `deinit` if still running.
///
/// - Important: the daemon's threads call ``HTTPServerCore`` through the C callbacks in
///   `MHDCallbacks.swift`; the core is retained for as long as the daemon runs.
final class MHDDaemon: @unchecked Sendable {
    // Safe to share: `handle` is written once in `init`; `quiesce()` and `stop()` are called
    // once each, in that order, by the one task running `HTTPServer.shutdown()`.
    private var handle: OpaquePointer?
    private var quiescedSocket: Int32?
    private let core: Unmanaged<HTTPServerCore>
    /// Port the listening socket is bound to.
    let boundPort: Int

    init(core: HTTPServerCore) throws {
        let configuration = core.configuration
        let address = try SocketAddress(host: configuration.host, port: configuration.port)
        self.core = Unmanaged.passRetained(core)

        var flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
            | MHD_USE_ERROR_LOG.rawValue
        if address.isIPv6 { flags |= MHD_USE_IPv6.rawValue }

        let coreCls = self.core.toOpaque()
        let timeoutSeconds = max(1, Int(configuration.connectionTimeout.components.seconds))
        let started: OpaquePointer? = address.withSockAddr { sockaddr in
            // The logger comes first so that errors about later options reach it.
            var options: [MHD_OptionItem] = [
                MHD_OptionItem(
                    option: .EXTERNAL_LOGGER,
                    value: unsafeBitCast(mhdLog, to: Int.self),
                    ptr_value: coreCls
                ),
                MHD_OptionItem(option: .CONNECTION_LIMIT, value: configuration.maxConnections, ptr_value: nil),
                MHD_OptionItem(option: .CONNECTION_TIMEOUT, value: timeoutSeconds, ptr_value: nil),
                MHD_OptionItem(option: .LISTEN_BACKLOG_SIZE, value: 1024, ptr_value: nil),
                MHD_OptionItem(
                    option: .NOTIFY_COMPLETED,
                    value: unsafeBitCast(mhdRequestCompleted, to: Int.self),
                    ptr_value: coreCls
                ),
                MHD_OptionItem(option: .SOCK_ADDR, value: 0, ptr_value: UnsafeMutableRawPointer(mutating: sockaddr)),
                MHD_OptionItem(option: .UNESCAPE_CALLBACK, value: unsafeBitCast(mhdUnescape, to: Int.self), ptr_value: nil),
            ]
            if configuration.threads > 1 {
                options.append(MHD_OptionItem(option: .THREAD_POOL_SIZE, value: configuration.threads, ptr_value: nil))
            }
            options.append(MHD_OptionItem(option: .END, value: 0, ptr_value: nil))

            return options.withUnsafeMutableBufferPointer { buffer in
                withVaList([MHD_OPTION.ARRAY.rawValue, buffer.baseAddress!, MHD_OPTION.END.rawValue]) { arguments in
                    MHD_start_daemon_va(flags, 0, nil, nil, mhdAccessHandler, coreCls, arguments)
                }
            }
        }
        guard let started else {
            let systemError = errno
            self.core.release()
            throw HTTPServerError(
                code: .startFailed,
                reason: "cannot listen on \(configuration.host):\(configuration.port): choose a free port or another address",
                systemError: systemError
            )
        }
        handle = started
        boundPort = MHDVariadic.bindPort(started) ?? configuration.port
    }

    /// Stops accepting new connections; in-flight requests go on.
    func quiesce() {
        guard let handle, quiescedSocket == nil else { return }
        let socket = MHD_quiesce_daemon(handle)
        if socket >= 0 { quiescedSocket = socket }
    }

    /// Stops the daemon; every suspended connection must have been resumed before.
    func stop() {
        guard let handle else { return }
        self.handle = nil
        MHD_stop_daemon(handle)
        // The listening socket handed back by quiesce is ours to close, after the stop.
        if let quiescedSocket { close(quiescedSocket) }
        quiescedSocket = nil
        core.release()
    }

    deinit {
        stop()
    }
}

/// Calls to libmicrohttpd's C-variadic functions, which Swift does not import.
///
/// `MHD_get_daemon_info` and `MHD_get_connection_info` take `...` but read no variadic
/// argument for the info kinds used here. On the Linux x86-64 and AArch64 calling
/// conventions a variadic callee reads fixed arguments exactly like a non-variadic one, so
/// the symbols are called through a non-variadic function type found with `dlsym`.
enum MHDVariadic {
    private typealias DaemonInfoFunction = @convention(c) (OpaquePointer?, UInt32) -> UnsafePointer<MHD_DaemonInfo>?
    private typealias ConnectionInfoFunction = @convention(c) (OpaquePointer?, UInt32) -> UnsafePointer<MHD_ConnectionInfo>?

    private static let daemonInfo: DaemonInfoFunction? = symbol("MHD_get_daemon_info")
    private static let connectionInfo: ConnectionInfoFunction? = symbol("MHD_get_connection_info")

    private static func symbol<Function>(_ name: String) -> Function? {
        guard let pointer = dlsym(dlopen(nil, RTLD_NOW), name) else { return nil }
        return unsafeBitCast(pointer, to: Function.self)
    }

    static func bindPort(_ daemon: OpaquePointer) -> Int? {
        guard let info = daemonInfo?(daemon, MHD_DaemonInfoType.DAEMON_INFO_BIND_PORT.rawValue) else { return nil }
        return Int(info.pointee.port)
    }

    static func socket(of connection: OpaquePointer) -> Int32? {
        guard let info = connectionInfo?(connection, MHD_ConnectionInfoType.CONNECTION_INFO_CONNECTION_FD.rawValue) else { return nil }
        return info.pointee.connect_fd
    }

    static func clientAddress(of connection: OpaquePointer) -> String {
        guard let info = connectionInfo?(connection, MHD_ConnectionInfoType.CONNECTION_INFO_CLIENT_ADDRESS.rawValue),
            let address = info.pointee.client_addr
        else { return "unknown" }
        return SocketAddress.describe(address)
    }
}
