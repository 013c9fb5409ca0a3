import Foundation

/// Request signatures of the channels that sign, all HMAC-SHA256 from OpenSSL's libcrypto.
public enum ChannelSignature {
    /// DingTalk robot: Base64 of HMAC-SHA256 keyed by the secret over `"{timestamp}\n{secret}"`,
    /// with the timestamp in Unix milliseconds. The caller URL-encodes it into the `sign` query
    /// parameter next to `timestamp`.
    public static func dingtalk(secret: String, timestampMilliseconds: Int64) -> String {
        let digest = StableHash.hmacSHA256(key: Data(secret.utf8), message: Data("\(timestampMilliseconds)\n\(secret)".utf8))
        return Data(digest).base64EncodedString()
    }

    /// Feishu and Lark bot: Base64 of HMAC-SHA256 keyed by `"{timestamp}\n{secret}"` over an
    /// empty message, with the timestamp in Unix seconds; both go in the request body.
    public static func feishu(secret: String, timestampSeconds: Int64) -> String {
        let digest = StableHash.hmacSHA256(key: Data("\(timestampSeconds)\n\(secret)".utf8), message: Data())
        return Data(digest).base64EncodedString()
    }

    /// Generic webhook: `sha256=` and the hex HMAC-SHA256 keyed by the secret over
    /// `"{timestamp}.{body}"`, the timestamp in Unix seconds as sent in
    /// `X-Dify-Scheduler-Timestamp`. Signing the timestamp lets receivers refuse replays.
    public static func webhook(secret: String, timestampSeconds: Int64, body: [UInt8]) -> String {
        var message = Data("\(timestampSeconds).".utf8)
        message.append(contentsOf: body)
        return "sha256=" + StableHash.hex(StableHash.hmacSHA256(key: Data(secret.utf8), message: message))
    }

    /// Percent-encodes `text` for a URL query value, leaving only RFC 3986's unreserved characters.
    public static func queryEscape(_ text: String) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
