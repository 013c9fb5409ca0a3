import Foundation
import Shared

/// The configured channels with their secrets read, and the contacts and groups that name
/// them: turns the names an alert lists into the channels to send to and who to mention.
struct ChannelDirectory: Sendable {
    /// One channel ready to send: settings, secrets and delivery limits.
    struct Channel: Sendable {
        var name: String
        var settings: ChannelSettings
        var secrets: ChannelSettings.Secrets
        var connectTimeoutMilliseconds: Int
        var timeoutMilliseconds: Int
        var maxAttempts: Int
        var initialBackoffMilliseconds: Int64
        var maxBackoffMilliseconds: Int64
        var multiplier: Double
    }

    /// A channel to send one alert to, with the contacts it mentions.
    struct Target: Sendable {
        var channel: Channel
        var mentions: AlertMentions
    }

    var channels: [String: Channel]
    var contacts: [String: ContactSettings]
    var groups: [String: [String]]

    /// Reads every channel's secrets from the environment or files.
    ///
    /// - Throws: ``ConfigErrors`` naming each variable or file that is missing.
    init(configuration: Configuration, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var channels: [String: Channel] = [:]
        var errors: [ConfigError] = []
        for (name, settings) in configuration.channels {
            do {
                let secrets = try settings.resolveSecrets(name: name, environment: environment)
                channels[name] = Self.channel(name: name, settings: settings, secrets: secrets)
            } catch let error as ConfigError {
                errors.append(error)
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        self.channels = channels
        contacts = configuration.alerts.contacts ?? [:]
        groups = configuration.alerts.groups ?? [:]
    }

    init(channels: [Channel], contacts: [String: ContactSettings] = [:], groups: [String: [String]] = [:]) {
        self.channels = Dictionary(uniqueKeysWithValues: channels.map { ($0.name, $0) })
        self.contacts = contacts
        self.groups = groups
    }

    static func channel(name: String, settings: ChannelSettings, secrets: ChannelSettings.Secrets) -> Channel {
        func milliseconds(_ text: String?, _ fallback: Int64) -> Int64 { text.flatMap { try? DurationText.milliseconds($0) } ?? fallback }
        return Channel(
            name: name, settings: settings, secrets: secrets,
            connectTimeoutMilliseconds: Int(milliseconds(settings.connectTimeout, 5000)),
            timeoutMilliseconds: Int(milliseconds(settings.timeout, 15_000)),
            maxAttempts: settings.retry?.maxAttempts ?? 3,
            initialBackoffMilliseconds: milliseconds(settings.retry?.initialBackoff, 1000),
            maxBackoffMilliseconds: milliseconds(settings.retry?.maxBackoff, 30_000),
            multiplier: settings.retry?.multiplier ?? 2)
    }

    /// The channels `names` reach, each once with the contacts that led to it, and the names
    /// that match no channel, contact or group.
    func resolve(_ names: [String]) -> (targets: [Target], unknown: [String]) {
        var order: [String] = []
        var mentions: [String: AlertMentions] = [:]
        var unknown: [String] = []
        var visited: Set<String> = []

        func reach(_ channel: String, contact: ContactSettings?) {
            guard channels[channel] != nil else {
                if !unknown.contains(channel) { unknown.append(channel) }
                return
            }
            if mentions[channel] == nil {
                order.append(channel)
                mentions[channel] = AlertMentions()
            }
            if let contact { mentions[channel]?.add(contact) }
        }
        func expand(_ name: String) {
            if channels[name] != nil {
                reach(name, contact: nil)
            } else if let members = groups[name] {
                guard visited.insert("group:" + name).inserted else { return }
                members.forEach(expand)
            } else if let contact = contacts[name] {
                for channel in contact.channels ?? [] { reach(channel, contact: contact) }
            } else if !unknown.contains(name) {
                unknown.append(name)
            }
        }
        names.forEach(expand)
        return (order.compactMap { name in channels[name].map { Target(channel: $0, mentions: mentions[name] ?? AlertMentions()) } }, unknown)
    }

    /// Per-channel rate limits of the configured channels.
    var rateLimits: [String: ChannelRateLimiter.Limit] {
        var limits: [String: ChannelRateLimiter.Limit] = [:]
        for (name, channel) in channels {
            guard let limit = channel.settings.rateLimit, let per = try? DurationText.milliseconds(limit.per) else { continue }
            limits[name] = ChannelRateLimiter.Limit(messages: limit.messages, perSeconds: Double(per) / 1000)
        }
        return limits
    }
}
