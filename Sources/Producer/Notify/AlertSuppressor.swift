import Foundation
import Shared

/// Decides whether an alert is sent: once per incident then silent for the silence window
/// unless the state changes, never during maintenance, never when older than the maximum age,
/// and never twice for one alert id.
///
/// Decisions use the alert's own time for silences, so replaying the `alerts` topic after a
/// takeover rebuilds the same state the previous owner had.
struct AlertSuppressor: Sendable {
    enum Decision: Sendable, Hashable {
        case send
        /// The same alert id was handled before; nothing is recorded again.
        case duplicate
        case silenced(until: Date)
        case maintenance(window: String)
        case tooOld(ageMilliseconds: Int64)

        /// The `reason` recorded on the alert's event when it is not sent.
        var reason: String? {
            switch self {
            case .send, .duplicate: nil
            case .silenced: "silenced"
            case .maintenance: "maintenance"
            case .tooOld: "too_old"
            }
        }
    }

    /// What was last sent for one incident: a job (or app) and a kind group.
    struct Incident: Sendable, Hashable {
        var sentAt: Date
        var status: RunStatus?
        var kind: AlertKind
    }

    var maxAgeMilliseconds: Int64
    var maintenance: MaintenanceCalendar
    private(set) var incidents: [String: Incident] = [:]
    /// Latest success per job, which ends its failure incident.
    private(set) var lastSuccess: [String: Date] = [:]
    private var seen = RecentIDs(capacity: 50_000)

    init(maxAgeMilliseconds: Int64, maintenance: MaintenanceCalendar) {
        self.maxAgeMilliseconds = maxAgeMilliseconds
        self.maintenance = maintenance
    }

    /// Notes a successful run, which ends the job's failure incident.
    mutating func observeSuccess(jobID: String, at time: Date) {
        if (lastSuccess[jobID] ?? .distantPast) < time { lastSuccess[jobID] = time }
    }

    /// Decides `alert` and updates the incident state as if the decision were carried out.
    ///
    /// - Parameters:
    ///   - silenceMilliseconds: the job's or rule's silence window; nil or 0 sends every alert.
    ///   - now: the time of sending; ignored for silences, which use the alert's time.
    mutating func decide(_ alert: Alert, silenceMilliseconds: Int64?, now: Date) -> Decision {
        guard seen.insert(alert.id) else { return .duplicate }

        let key = Self.incidentKey(alert)
        if alert.kind == .recovered, let jobID = alert.jobID {
            // A recovery closes the failure incident: the next failure is news again.
            observeSuccess(jobID: jobID, at: alert.time)
        }
        var silencedUntil: Date?
        if let key, let silence = silenceMilliseconds, silence > 0, let last = incidents[key], last.status == alert.status,
            last.kind == alert.kind, !endedBySuccess(alert, since: last.sentAt)
        {
            let until = last.sentAt.addingTimeInterval(Double(silence) / 1000)
            if alert.time < until { silencedUntil = until }
        }
        if let silencedUntil { return .silenced(until: silencedUntil) }
        if let key { incidents[key] = Incident(sentAt: alert.time, status: alert.status, kind: alert.kind) }

        let age = Int64(now.timeIntervalSince(alert.time) * 1000)
        if age > maxAgeMilliseconds { return .tooOld(ageMilliseconds: age) }
        if let window = maintenance.window(covering: alert, at: now) { return .maintenance(window: window) }
        return .send
    }

    private func endedBySuccess(_ alert: Alert, since sentAt: Date) -> Bool {
        guard let jobID = alert.jobID, let success = lastSuccess[jobID] else { return false }
        return success > sentAt && success <= alert.time
    }

    /// The incident an alert belongs to: failures and timeouts of a job are one incident.
    static func incidentKey(_ alert: Alert) -> String? {
        let subject = alert.jobID.map { "job:\($0)" } ?? alert.app.map { "app:\($0)" }
        guard let subject else { return nil }
        switch alert.kind {
        case .failure, .timeout: return subject + "/failing"
        case .recovered: return nil
        default: return subject + "/" + alert.kind.rawValue
        }
    }
}

/// A bounded set of recent ids, oldest forgotten first.
struct RecentIDs: Sendable {
    let capacity: Int
    private var members: Set<String> = []
    private var order: [String] = []
    private var head = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Inserts `id`; false when it was already present.
    mutating func insert(_ id: String) -> Bool {
        guard members.insert(id).inserted else { return false }
        order.append(id)
        if order.count - head > capacity {
            members.remove(order[head])
            head += 1
            if head > capacity {
                order.removeFirst(head)
                head = 0
            }
        }
        return true
    }

    func contains(_ id: String) -> Bool { members.contains(id) }
}
