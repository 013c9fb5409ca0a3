import Foundation

/// A notification channel from `channels:`: where alerts go and how they are sent.
///
/// Webhook URLs, signing secrets and SMTP passwords come only from environment variables or
/// files (`*_env`, `*_file`), never from this file or a topic; ``resolveSecrets(name:environment:)``
/// reads them and registers them with ``SecretRedactor``.
public struct ChannelSettings: Codable, Sendable, Hashable {
    /// `dingtalk`, `wecom`, `feishu`, `slack`, `webhook` or `email`.
    public var type: String
    public var webhookEnv: String?
    public var webhookFile: String?
    /// DingTalk and Feishu signing secret, or the generic webhook's HMAC key.
    public var secretEnv: String?
    public var secretFile: String?
    /// `zh-CN` or `en` (the default).
    public var language: String?
    /// At most this many messages per `per` window; more are recorded as rate limited.
    public var rateLimit: ChannelRateLimit?
    /// Time allowed to connect (default 5s).
    public var connectTimeout: String?
    /// Time allowed for one delivery attempt from connect to answer (default 15s).
    public var timeout: String?
    /// Attempts and backoff of one delivery (default 3 attempts from 1s, at most 30s apart).
    public var retry: RetryPolicy?
    /// Extra HTTP headers of a generic webhook (not secrets).
    public var headers: [String: String]?
    /// Header carrying a generic webhook's signature (default `X-Dify-Scheduler-Signature`).
    public var signatureHeader: String?
    /// A CA bundle to trust for this channel's TLS, besides the system's (self-signed servers).
    public var caFile: String?

    // SMTP
    public var host: String?
    public var port: Int?
    /// Upgrade the connection with STARTTLS and refuse to send without it (default true).
    public var starttls: Bool?
    public var username: String?
    public var passwordEnv: String?
    public var passwordFile: String?
    public var from: String?
    public var to: [String]?

    public init(type: String) {
        self.type = type
    }

    enum CodingKeys: String, CodingKey {
        case type, language, timeout, retry, headers, host, port, starttls, username, from, to
        case webhookEnv = "webhook_env"
        case webhookFile = "webhook_file"
        case secretEnv = "secret_env"
        case secretFile = "secret_file"
        case rateLimit = "rate_limit"
        case connectTimeout = "connect_timeout"
        case signatureHeader = "signature_header"
        case caFile = "ca_file"
        case passwordEnv = "password_env"
        case passwordFile = "password_file"
    }

    /// The channel types this version can deliver to.
    public static let knownTypes: [String] = ["dingtalk", "wecom", "feishu", "slack", "webhook", "email"]
    public static let knownLanguages: [String] = ["zh-CN", "en"]

    public var isEmail: Bool { type == "email" }

    /// The secrets of one channel, read from the environment or files.
    public struct Secrets: Sendable, Hashable {
        public var webhookURL: String?
        public var secret: String?
        public var password: String?

        public init(webhookURL: String? = nil, secret: String? = nil, password: String? = nil) {
            self.webhookURL = webhookURL
            self.secret = secret
            self.password = password
        }
    }

    /// Reads the channel's webhook URL, secret and password from where the configuration says.
    ///
    /// - Throws: ``ConfigError`` naming the variable or file that is missing or empty.
    public func resolveSecrets(name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Secrets {
        var secrets = Secrets()
        secrets.webhookURL = try Self.read(env: webhookEnv, file: webhookFile, path: "channels.\(name).webhook", what: "webhook URL", environment: environment)
        secrets.secret = try Self.read(env: secretEnv, file: secretFile, path: "channels.\(name).secret", what: "signing secret", environment: environment)
        secrets.password = try Self.read(env: passwordEnv, file: passwordFile, path: "channels.\(name).password", what: "SMTP password", environment: environment)
        return secrets
    }

    private static func read(env: String?, file: String?, path: String, what: String, environment: [String: String]) throws -> String? {
        if let env {
            guard let value = environment[env]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                throw ConfigError(file: "environment", line: 0, path: path + "_env",
                    message: "environment variable \(env) is not set: export the channel's \(what) in it")
            }
            SecretRedactor.shared.register(value)
            return value
        }
        if let file {
            guard let data = FileManager.default.contents(atPath: file),
                let value = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty
            else {
                throw ConfigError(file: file, line: 0, path: path + "_file",
                    message: "cannot read the channel's \(what): check that the file exists, is readable and is not empty")
            }
            SecretRedactor.shared.register(value)
            return value
        }
        return nil
    }
}

/// A channel's rate limit: at most `messages` per `per`.
public struct ChannelRateLimit: Codable, Sendable, Hashable {
    public var messages: Int
    public var per: String

    public init(messages: Int, per: String) {
        self.messages = messages
        self.per = per
    }
}
