import Foundation
import Shared

extension NotifierService {
    /// Work for one channel that returns the event recording its outcome, or nil when the
    /// notifier stopped before the outcome was known.
    typealias DeliveryUnit = @Sendable () async -> ScheduleEvent?

    /// Maximum time one part waits for the channel's rate limit before the delivery fails.
    static let rateLimitWait: Duration = .seconds(600)

    /// Returns the key that marks one run's output as handled on one channel.
    static func deliveryKey(triggerID: String, channel: String) -> String {
        triggerID + "\u{0}" + channel
    }

    /// Builds the units that send `result`'s output to each channel its job's `deliver` block names.
    ///
    /// A run is handled once per channel: the key is taken here, before sending, so a result
    /// read twice (a worker's duplicate, or a re-read after a restart) sends nothing more.
    /// Keys come back after a takeover from the `output_*` events (``rebuildDeliveries(_:consumer:reader:)``).
    func deliveryUnits(for result: RunResult, job: Job?, directory: ChannelDirectory) -> [DeliveryUnit] {
        guard let job, let spec = job.deliver, spec.effectiveWhen.includes(result.status) else { return [] }
        let renderer = RunOutputRenderer(publicURL: configuration.producer.publicURL)
        var units: [DeliveryUnit] = []
        for name in spec.channels ?? [] {
            let key = Self.deliveryKey(triggerID: result.triggerID, channel: name)
            guard state.withLock({ $0.deliveries.insert(key) }) else {
                logger.debug("output already delivered", [LogKey.triggerID: result.triggerID, "channel": name])
                continue
            }
            guard let channel = directory.channels[name] else {
                let error = "no channel is named \(name): define it under channels: or remove it from the job's deliver.channels"
                logger.warning("output not delivered", [LogKey.triggerID: result.triggerID, "channel": name, LogKey.error: error])
                units.append { Self.outputEvent(result, channel: name, type: nil, outcome: .failed(reason: "unknown_channel", error: error)) }
                continue
            }
            units.append { [self] in
                await deliverOutput(result, job: job, spec: spec, channel: channel, renderer: renderer)
            }
        }
        return units
    }

    /// Sends the output to one channel part by part, each part with the channel's retries,
    /// and returns the event that records how it went.
    func deliverOutput(
        _ result: RunResult, job: Job, spec: DeliverySpec, channel: ChannelDirectory.Channel, renderer: RunOutputRenderer
    ) async -> ScheduleEvent? {
        let settings = channel.settings
        let language = AlertWording.Language(setting: settings.language)
        let message: OutputMessage
        do {
            message = try renderer.message(for: result, job: job, spec: spec, language: language)
        } catch {
            logger.warning("output not rendered", [LogKey.triggerID: result.triggerID, "channel": channel.name, LogKey.error: error.message])
            return Self.outputEvent(result, channel: channel.name, type: settings.type, outcome: .failed(reason: error.reason, error: error.message))
        }
        if settings.isEmail && (settings.to ?? []).isEmpty {
            let error = "the email channel has no recipients: set to: on the channel"
            logger.warning("output not delivered", [LogKey.triggerID: result.triggerID, "channel": channel.name, LogKey.error: error])
            return Self.outputEvent(result, channel: channel.name, type: settings.type, outcome: .failed(reason: "no_recipients", error: error))
        }

        let parts = message.parts(channel: settings, overflow: spec.effectiveOverflow, maxParts: spec.effectiveMaxParts)
        guard await channelTurns.acquire(channel.name) else { return nil }
        let event = await send(parts, of: message, result: result, channel: channel)
        await channelTurns.release(channel.name)
        return event
    }

    /// Sends `parts` in order, each with the channel's retries, stopping at the first part
    /// that is not delivered.
    func send(_ parts: [OutputMessage.Part], of message: OutputMessage, result: RunResult, channel: ChannelDirectory.Channel) async -> ScheduleEvent? {
        let settings = channel.settings
        var progress = OutputProgress(parts: parts.count, cut: parts.last?.isCut ?? false, characters: message.text.count)
        for part in parts {
            guard await waitForRateLimit(channel.name) else {
                if Task.isCancelled { return nil }
                logger.warning("output not delivered", [LogKey.triggerID: result.triggerID, "channel": channel.name, LogKey.error: "rate limited"])
                return Self.outputEvent(result, channel: channel.name, type: settings.type, progress: progress,
                    outcome: .failed(reason: "rate_limited", error: "the channel's rate_limit left no room for \(DurationText.format(milliseconds: Self.rateLimitWait.milliseconds))"))
            }
            let outcome = await ChannelSender.retrying(channel) { now in
                if settings.isEmail {
                    try ChannelSender.sendMail(message.mail(channel: settings, channelName: channel.name, part: part), channel: channel, now: now)
                } else {
                    guard let url = channel.secrets.webhookURL else {
                        throw ChannelSender.AttemptFailure(message: "the channel has no webhook URL", retryable: false)
                    }
                    try ChannelSender.post(message.request(channel: settings, webhookURL: url, secret: channel.secrets.secret, part: part, now: now), channel: channel)
                }
            }
            progress.attempts += outcome.attempts
            progress.elapsedMilliseconds += outcome.elapsedMilliseconds
            progress.httpStatus = outcome.status
            guard outcome.delivered else {
                // A stop during the attempts leaves the result unfinished, so its next owner
                // sends it again rather than recording a failure nobody saw.
                if Task.isCancelled { return nil }
                logger.warning("output not delivered", [LogKey.triggerID: result.triggerID, "channel": channel.name, "part": "\(part.number)/\(part.count)", LogKey.error: outcome.error ?? "-"])
                return Self.outputEvent(result, channel: channel.name, type: settings.type, progress: progress,
                    outcome: .failed(reason: "delivery_failed", error: outcome.error ?? "the channel did not accept the message"))
            }
            progress.sent += 1
        }
        logger.info("output delivered", [LogKey.triggerID: result.triggerID, "channel": channel.name, "parts": "\(parts.count)", "attempts": "\(progress.attempts)"])
        return Self.outputEvent(result, channel: channel.name, type: settings.type, progress: progress, outcome: .delivered)
    }

    /// Takes one send from the channel's rate limit, waiting up to ``rateLimitWait``; false
    /// when the wait ran out or the notifier is stopping.
    func waitForRateLimit(_ channel: String) async -> Bool {
        let deadline = ContinuousClock.now + Self.rateLimitWait
        while !Task.isCancelled {
            if state.withLock({ $0.limiter.take(channel, now: Date()) }) { return true }
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .seconds(1))
        }
        return false
    }

    // MARK: - Jobs

    /// The jobs of one `jobs` partition and when they were read.
    struct RegistrySnapshot: Sendable {
        var readAt: Date
        var jobs: [String: Job]
    }

    /// How long a partition's jobs are used before they are read again, so a job changed
    /// through the API delivers with its new `deliver` block at most this much later.
    static let registryRefresh: TimeInterval = 10

    /// Returns the job of `result` as the registry stores it, or nil without a registry or
    /// when the job is not there (jobs from the configuration file are looked up by the caller).
    ///
    /// `jobs` and `results` have the same partition count and key, so the job is on the `jobs`
    /// partition with the result's number. The partition is read again when its jobs are older
    /// than ``registryRefresh``, or when the job is missing from jobs read before the run's
    /// trigger was emitted, as for a job created moments before its first fire. A failed read
    /// keeps the jobs read before.
    func currentJob(of result: RunResult, partition: Int) async -> Job? {
        guard let registry, let jobID = result.jobID else { return nil }
        let snapshot = state.withLock { $0.registryJobs[partition] }
        let now = Date()
        if let snapshot, now.timeIntervalSince(snapshot.readAt) < Self.registryRefresh {
            if let job = snapshot.jobs[jobID] { return job }
            let emittedAt = result.emittedAt ?? result.scheduledAt ?? now
            if snapshot.readAt > emittedAt { return nil }
        }
        do {
            let jobs = try await registry.jobs(partitions: [partition])
            state.withLock { $0.registryJobs[partition] = RegistrySnapshot(readAt: now, jobs: jobs) }
            return jobs[jobID]
        } catch {
            logger.warning("jobs not read from the registry", [LogKey.partition: "\(partition)", LogKey.error: "\(error)"])
            return snapshot?.jobs[jobID]
        }
    }

    // MARK: - Events

    /// Progress of one delivery: parts planned and sent, attempts and time spent.
    struct OutputProgress: Sendable, Hashable {
        var parts: Int
        var cut: Bool
        var characters: Int
        var sent = 0
        var attempts = 0
        var elapsedMilliseconds: Int64 = 0
        var httpStatus: Int?
    }

    enum OutputOutcome: Sendable, Hashable {
        case delivered
        case failed(reason: String, error: String)
    }

    /// Builds the `output_delivered` or `output_failed` event of one run on one channel. Its id is
    /// derived from the trigger id and the channel, so the records store keeps one row even
    /// if the event is published twice.
    static func outputEvent(_ result: RunResult, channel: String, type: String?, progress: OutputProgress? = nil, outcome: OutputOutcome) -> ScheduleEvent {
        var detail: [String: JSONValue] = [
            "channel": .string(channel),
            "run_status": .string(result.status.rawValue),
        ]
        if let type { detail["channel_type"] = .string(type) }
        if let progress {
            detail["parts"] = .int(Int64(progress.parts))
            detail["parts_sent"] = .int(Int64(progress.sent))
            detail["cut"] = .bool(progress.cut)
            detail["characters"] = .int(Int64(progress.characters))
            detail["attempts"] = .int(Int64(progress.attempts))
            detail["elapsed_ms"] = .int(progress.elapsedMilliseconds)
            if let status = progress.httpStatus { detail["http_status"] = .int(Int64(status)) }
        }
        let eventType: EventType
        switch outcome {
        case .delivered:
            eventType = .outputDelivered
        case .failed(let reason, let error):
            eventType = .outputFailed
            detail["reason"] = .string(reason)
            detail["error"] = .string(error)
        }
        let id = "e-out-" + StableHash.sha256Hex(deliveryKey(triggerID: result.triggerID, channel: channel)).prefix(24)
        return ScheduleEvent(type: eventType, jobID: result.jobID, triggerID: result.triggerID, app: result.app, detail: detail, id: String(id))
    }

    // MARK: - Takeover

    /// Marks the deliveries already recorded on the `events` partitions that match the newly
    /// assigned `results` partitions, so re-read results are not sent again.
    ///
    /// Reads the last `alerts.history_limit` events of each partition. A result before the
    /// committed offset is never read again. A result after it has a delivery event only when
    /// the previous owner sent it just before stopping, so that event is among the newest.
    /// NOTE: when more events than that were written since the previous owner stopped, its
    /// last deliveries are not seen and may be sent again.
    func rebuildDeliveries(_ partitions: [KafkaTopicPartition], consumer: KafkaConsumer, reader: KafkaPartitionReader) -> Int {
        let numbers = partitions.filter { $0.topic == topics.results }.map(\.partition)
        guard !numbers.isEmpty else { return 0 }
        let window = Int64(max(1, configuration.alerts.effectiveHistoryLimit))
        var starts: [Int: Int64] = [:]
        for partition in numbers {
            let high = (try? Self.waitFor { try await consumer.watermarks(topic: self.topics.events, partition: partition) })?.high ?? 0
            starts[partition] = max(0, high - window)
        }
        var keys: [String] = []
        do {
            _ = try reader.readBlocking(topic: topics.events, partitions: numbers, startOffsets: starts) { message in
                guard let value = message.value, let event = try? MessageCodec.decode(ScheduleEvent.self, from: Data(value)),
                    event.type == .outputDelivered || event.type == .outputFailed,
                    let triggerID = event.triggerID, let channel = event.detail?["channel"]?.stringValue
                else { return }
                keys.append(Self.deliveryKey(triggerID: triggerID, channel: channel))
            }
        } catch {
            logger.warning("delivery history not read", [LogKey.topic: topics.events, LogKey.error: "\(error)"])
        }
        state.withLock { state in
            for key in keys { _ = state.deliveries.insert(key) }
        }
        return keys.count
    }
}
