import CRdKafka

/// The librdkafka library loaded into this process.
public enum KafkaLibrary {
    /// The oldest librdkafka this client accepts: versions before 2.2 misread tagged fields in
    /// responses from newer brokers (Tansu among them).
    public static let minimumVersion = (major: 2, minor: 2, patch: 0)

    /// The loaded librdkafka version as `major.minor.patch`, from `rd_kafka_version()`.
    public static var version: String {
        let (major, minor, patch) = versionComponents
        return "\(major).\(minor).\(patch)"
    }

    static var versionComponents: (Int, Int, Int) {
        let hex = Int(rd_kafka_version())
        return ((hex >> 24) & 0xFF, (hex >> 16) & 0xFF, (hex >> 8) & 0xFF)
    }

    /// Checks that the loaded librdkafka is 2.2 or newer.
    ///
    /// - Throws: ``KafkaError`` with code `unsupportedLibraryVersion` that names the loaded
    ///   version and how to install a newer one.
    public static func checkVersion() throws {
        let (major, minor, _) = versionComponents
        if (major, minor) < (minimumVersion.major, minimumVersion.minor) {
            throw KafkaError(
                code: .unsupportedLibraryVersion,
                reason: "librdkafka \(version) is loaded but 2.2 or newer is required; run scripts/setup.sh, which builds librdkafka 2.8.0 into /usr/local, then rebuild"
            )
        }
    }
}
