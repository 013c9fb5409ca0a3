import CRdKafka
import Synchronization

/// The Swift side of librdkafka's callbacks for one client instance.
///
/// librdkafka reaches it through the instance opaque. Log and error callbacks run on
/// librdkafka's internal threads; delivery and rebalance callbacks run on the thread that calls
/// `rd_kafka_poll`, `rd_kafka_consumer_poll` or `rd_kafka_consumer_close`.
final class RDKafkaEvents: Sendable {
    /// Receives the partition and offset of a delivered message, or why it failed.
    typealias DeliveryHandler = @Sendable (_ messageOpaque: UnsafeMutableRawPointer?, _ result: Result<(partition: Int, offset: Int64), KafkaError>) -> Void
    typealias RebalanceHandler = @Sendable (KafkaRebalanceEvent) -> Void

    let logger: Logger
    let onDelivery: DeliveryHandler?
    let onRebalance: RebalanceHandler?
    private let fatal = Mutex<KafkaError?>(nil)

    init(logger: Logger, onDelivery: DeliveryHandler? = nil, onRebalance: RebalanceHandler? = nil) {
        self.logger = logger
        self.onDelivery = onDelivery
        self.onRebalance = onRebalance
    }

    /// The fatal error librdkafka raised, after which the instance cannot be used.
    var fatalError: KafkaError? { fatal.withLock { $0 } }

    func recordFatal(_ error: KafkaError) {
        fatal.withLock { if $0 == nil { $0 = error } }
    }

    /// Installs the callbacks on `conf` and points its opaque at `self`.
    ///
    /// - Important: the client that uses `conf` must keep `self` alive until `rd_kafka_destroy`
    ///   has returned, because librdkafka keeps an unretained pointer to it.
    func install(on conf: OpaquePointer?) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf, logCallback)
        rd_kafka_conf_set_error_cb(conf, errorCallback)
        if onDelivery != nil {
            rd_kafka_conf_set_dr_msg_cb(conf, deliveryCallback)
        }
        if onRebalance != nil {
            rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
        }
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> RDKafkaEvents? {
        guard let opaque else { return nil }
        return Unmanaged<RDKafkaEvents>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// Maps syslog levels, which librdkafka uses, to log levels.
func logLevel(syslogLevel: Int32) -> LogLevel {
    switch syslogLevel {
    case ...2: .critical
    case 3: .error
    case 4: .warning
    case 5: .notice
    case 6: .info
    default: .debug
    }
}

private let logCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    handle, level, facility, text in
    guard let events = RDKafkaEvents.from(rd_kafka_opaque(handle)) else { return }
    var mapped = logLevel(syslogLevel: level)
    let message = text.map { String(cString: $0) } ?? ""
    let facilityName = facility.map { String(cString: $0) } ?? ""

    // One settings map serves producers and consumers alike, so a consumer property that a
    // producer ignores (or the reverse) is expected and not worth a warning.
    if facilityName == "CONFWARN" && message.contains("will be ignored by this") {
        mapped = .debug
    }
    guard events.logger.isEnabled(mapped) else { return }
    events.logger.log(mapped, "librdkafka: " + message, ["kafka.facility": facilityName])
}

private let errorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    handle, code, reason, opaque in
    guard let events = RDKafkaEvents.from(opaque) else { return }
    let reasonText = reason.map { String(cString: $0) } ?? ""
    let error = rd_kafka_resp_err_t(code)

    if error == RD_KAFKA_RESP_ERR__FATAL {
        var buffer = [CChar](repeating: 0, count: 512)
        let underlying = rd_kafka_fatal_error(handle, &buffer, buffer.count)
        let fatal = KafkaError.librdkafka(
            underlying,
            code: .deliveryFailed,
            reason: "librdkafka raised a fatal error: \(errorText(buffer)); close this client and create a new one",
            fatal: true
        )
        events.recordFatal(fatal)
        events.logger.critical("Kafka client failed fatally", [LogKey.error: fatal.description])
        return
    }

    // librdkafka retries transport errors itself; they are worth a warning, not an error.
    let transient = error == RD_KAFKA_RESP_ERR__TRANSPORT || error == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN
        || error == RD_KAFKA_RESP_ERR__RESOLVE
    let fields = [LogKey.error: reasonText, LogKey.errorCode: String(cString: rd_kafka_err2name(error))]
    if transient {
        events.logger.warning("Kafka connection error", fields)
    } else {
        events.logger.error("Kafka client error", fields)
    }
}

private let deliveryCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
    _, message, opaque in
    guard let events = RDKafkaEvents.from(opaque), let onDelivery = events.onDelivery, let message else { return }
    let record = message.pointee

    if record.err == RD_KAFKA_RESP_ERR_NO_ERROR {
        onDelivery(record._private, .success((Int(record.partition), record.offset)))
    } else {
        let topic = record.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let error = KafkaError.librdkafka(
            record.err,
            code: .deliveryFailed,
            reason: "message to topic \(topic) was not delivered"
        )
        onDelivery(record._private, .failure(error))
    }
}

private let rebalanceCallback: @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = {
    handle, error, partitions, opaque in
    guard let events = RDKafkaEvents.from(opaque) else { return }
    let list = RDKafkaTopicPartitionList.partitions(in: partitions)
    let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"

    switch error {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        events.onRebalance?(.assigned(list))
        let failure: String?
        if cooperative {
            failure = RDKafkaClient.takeErrorText(rd_kafka_incremental_assign(handle, partitions))
        } else {
            let code = rd_kafka_assign(handle, partitions)
            failure = code == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : String(cString: rd_kafka_err2str(code))
        }
        if let failure {
            events.logger.error("assigning partitions failed", [LogKey.error: failure])
        }

    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        events.onRebalance?(.revoked(list))
        if cooperative {
            if let failure = RDKafkaClient.takeErrorText(rd_kafka_incremental_unassign(handle, partitions)) {
                events.logger.error("revoking partitions failed", [LogKey.error: failure])
            }
        } else {
            rd_kafka_assign(handle, nil)
        }

    default:
        events.logger.error("rebalance failed", [LogKey.error: String(cString: rd_kafka_err2str(error))])
        rd_kafka_assign(handle, nil)
    }
}
