import Foundation
import Shared

/// What a producer reads when it is given partitions: the latest job of every key in `jobs`,
/// the latest state of every job in `scheduler.state`, and the results written since the
/// group's committed offset in `results`, so open runs that ended meanwhile are closed.
struct PartitionRebuild: Sendable {
    var jobs: [String: KafkaMessage] = [:]
    var controls: [String: JobControl] = [:]
    var states: [String: JobState] = [:]
    /// Per partition, the offset in `jobs` the read stopped at; the group consumer skips
    /// messages before it.
    var jobsEndOffsets: [Int: Int64] = [:]
    /// The last result of each job read, by job id.
    var lastResults: [String: [RunResult]] = [:]
    var resultCount = 0
    /// Chain requests not yet done (no tombstone after them), with their partitions.
    var chainRequests: [(request: ChainRequest, partition: Int)] = []
    /// Every final result read since the committed offset, for the chains they start, because
    /// the producer that read them before may have stopped before writing the chain requests.
    /// Partitions without a committed offset contribute none.
    var chainResults: [RunResult] = []
    /// Per partition, the offset in `results` after the last result read.
    var resultsEndOffsets: [Int: Int64] = [:]

    /// Reads the three topics for `partitions`, on Dispatch threads.
    static func read(
        partitions: [Int], topics: TopicNames, reader: KafkaPartitionReader, resultStartOffsets: [Int: Int64]
    ) async throws -> PartitionRebuild {
        try await BlockingWork.run {
            var rebuild = PartitionRebuild()
            var latestJobs: [String: KafkaMessage] = [:]
            let summary = try reader.readBlocking(topic: topics.jobs, partitions: partitions, timeout: .seconds(600)) { message in
                guard let key = message.keyString else { return }
                if message.value == nil {
                    latestJobs.removeValue(forKey: key)
                } else {
                    latestJobs[key] = message
                }
            }
            rebuild.jobsEndOffsets = summary.endOffsets
            for (key, message) in latestJobs {
                if ChainRequest.isKey(key) {
                    if let value = message.value, let request = try? MessageCodec.decode(ChainRequest.self, from: Data(value)) {
                        rebuild.chainRequests.append((request, message.partition))
                    }
                } else if let jobID = JobControl.jobID(fromKey: key) {
                    if let value = message.value, let control = try? MessageCodec.decode(JobControl.self, from: Data(value)) {
                        rebuild.controls[jobID] = control
                    }
                } else {
                    rebuild.jobs[key] = message
                }
            }

            _ = try reader.readBlocking(topic: topics.schedulerState, partitions: partitions, timeout: .seconds(600)) { message in
                guard let key = message.keyString else { return }
                guard let value = message.value else {
                    rebuild.states.removeValue(forKey: key)
                    return
                }
                if let state = try? MessageCodec.decode(JobState.self, from: Data(value)) {
                    rebuild.states[key] = state
                }
            }

            let summaryResults = try reader.readBlocking(
                topic: topics.results, partitions: partitions, startOffsets: resultStartOffsets, timeout: .seconds(600)
            ) { message in
                guard let value = message.value, let result = try? MessageCodec.decode(RunResult.self, from: Data(value)),
                    let jobID = result.jobID
                else { return }
                // Without a committed offset the read starts at the oldest stored result, which
                // the group never handled live either, so those results start no chains.
                if resultStartOffsets[message.partition] != nil {
                    rebuild.chainResults.append(result)
                }
                guard let open = rebuild.states[jobID]?.openTriggerID, open == result.triggerID else { return }
                rebuild.lastResults[jobID, default: []].append(result)
            }
            rebuild.resultCount = summaryResults.messageCount
            rebuild.resultsEndOffsets = summaryResults.endOffsets
            return rebuild
        }
    }
}
