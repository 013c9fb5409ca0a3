/// The partition of a key as librdkafka's `murmur2_random` partitioner and the Java client
/// choose it, for messages that must be written to an explicit partition (pause and resume
/// requests) and for reading only the partition of one job.
enum KeyPartitioner {
    /// Kafka's murmur2 hash of `key`, masked to a positive value, modulo `partitions`.
    static func partition(of key: String, partitions: Int) -> Int {
        precondition(partitions > 0, "a topic has at least one partition")
        return Int(murmur2(Array(key.utf8)) & 0x7fff_ffff) % partitions
    }

    /// The 32-bit murmur2 hash with Kafka's seed.
    static func murmur2(_ data: [UInt8]) -> UInt32 {
        let seed: UInt32 = 0x9747_b28c
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        let length = data.count
        var h = seed ^ UInt32(truncatingIfNeeded: length)

        let blocks = length / 4
        for index in 0..<blocks {
            let base = index * 4
            var k = UInt32(data[base]) | UInt32(data[base + 1]) << 8 | UInt32(data[base + 2]) << 16 | UInt32(data[base + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }

        let tail = blocks * 4
        switch length & 3 {
        case 3:
            h ^= UInt32(data[tail + 2]) << 16
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h = h &* m
        case 2:
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h = h &* m
        case 1:
            h ^= UInt32(data[tail])
            h = h &* m
        default:
            break
        }

        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return h
    }
}
