import Foundation
import Shared
import Synchronization

/// The console's sign-in sessions, kept in memory by this producer.
///
/// A session id is 256 random bits from `RAND_bytes`, sent to the browser as the session
/// cookie. The store keeps only its SHA-256, so a memory dump or a log of the keys gives no
/// session away, and a lookup's timing reveals nothing about the id. Each session has its own
/// CSRF token, the caller it acts as, and the hash of the API token it signed in with, so
/// that removing the token from the configuration ends it (``retain(tokens:)``).
///
/// A session ends after the idle timeout without a request, at its maximum age, at sign-out,
/// or when the store is full and a newer sign-in replaces the least recently used one.
/// Sessions do not survive a restart of the producer: users sign in again.
final class SessionStore: Sendable {
    /// One signed-in browser.
    struct Session: Sendable, Hashable {
        var identity: CallerIdentity
        /// SHA-256 (hex) of the API token used to sign in.
        var tokenHash: String
        /// Sent by the console in `X-CSRF-Token` with every state-changing request.
        var csrfToken: String
        var createdAt: Date
        var lastUsedAt: Date
        var expiresAt: Date
    }

    private struct State {
        var settings: SessionSettings
        /// Sessions by the SHA-256 of their id.
        var sessions: [[UInt8]: Session] = [:]
    }

    private let state: Mutex<State>

    init(settings: SessionSettings) {
        state = Mutex(State(settings: settings))
    }

    var count: Int { state.withLock { $0.sessions.count } }

    /// Starts a session for `identity`; returns its id (the cookie value) and the session.
    ///
    /// - Throws: ``SecureRandom/Failure`` when no random bytes are available.
    func create(identity: CallerIdentity, tokenHash: String, now: Date = Date()) throws -> (id: String, session: Session) {
        let id = try SecureRandom.hex(32)
        let csrf = try SecureRandom.hex(32)
        return state.withLock { state in
            Self.removeExpired(&state, now: now)
            while state.sessions.count >= state.settings.maxCount,
                let oldest = state.sessions.min(by: { $0.value.lastUsedAt < $1.value.lastUsedAt })?.key {
                state.sessions[oldest] = nil
            }
            let maxAge = TimeInterval(state.settings.maxAgeMilliseconds) / 1000
            var identity = identity
            identity.sessionKey = Self.key(id)
            identity.csrfToken = csrf
            let session = Session(identity: identity, tokenHash: tokenHash, csrfToken: csrf, createdAt: now, lastUsedAt: now, expiresAt: now.addingTimeInterval(maxAge))
            state.sessions[Self.key(id)] = session
            return (id, session)
        }
    }

    /// Returns the live session with cookie value `id` and marks it used, or nil when there is
    /// none or it has expired (an expired session is removed).
    func session(id: String, now: Date = Date()) -> Session? {
        guard id.utf8.count == 64 else { return nil }
        let key = Self.key(id)
        return state.withLock { state in
            guard var session = state.sessions[key] else { return nil }
            let idle = TimeInterval(state.settings.idleMilliseconds) / 1000
            guard now < session.expiresAt, now.timeIntervalSince(session.lastUsedAt) < idle else {
                state.sessions[key] = nil
                return nil
            }
            session.lastUsedAt = now
            state.sessions[key] = session
            return session
        }
    }

    /// Returns the session stored under `key` without marking it used.
    func session(key: [UInt8]) -> Session? {
        state.withLock { $0.sessions[key] }
    }

    /// The maximum age of a session, from the current settings.
    var maxAge: TimeInterval { state.withLock { TimeInterval($0.settings.maxAgeMilliseconds) / 1000 } }

    /// The idle timeout, from the current settings.
    var idleTimeout: TimeInterval { state.withLock { TimeInterval($0.settings.idleMilliseconds) / 1000 } }

    /// Ends the session whose key (from ``CallerIdentity/sessionKey``) is `key`.
    @discardableResult
    func remove(key: [UInt8]) -> Bool {
        state.withLock { $0.sessions.removeValue(forKey: key) != nil }
    }

    /// Ends the sessions whose token is no longer configured, updates the role of the rest from
    /// `tokens`, and ends the least recently used beyond `max_count`. Returns how many ended.
    @discardableResult
    func retain(tokens: [AuthToken], settings: SessionSettings) -> Int {
        let byHash = Dictionary(tokens.map { ($0.sha256, $0) }, uniquingKeysWith: { first, _ in first })
        return state.withLock { state in
            state.settings = settings
            var ended = 0
            for (key, session) in state.sessions {
                guard let token = byHash[session.tokenHash], token.name == session.identity.actor else {
                    state.sessions[key] = nil
                    ended += 1
                    continue
                }
                state.sessions[key]?.identity.role = token.role
            }
            // A lower max_count keeps the sessions used most recently.
            if state.sessions.count > settings.maxCount {
                let surplus = state.sessions.sorted { $0.value.lastUsedAt < $1.value.lastUsedAt }.prefix(state.sessions.count - settings.maxCount)
                for (key, _) in surplus { state.sessions[key] = nil }
                ended += surplus.count
            }
            return ended
        }
    }

    /// Returns the key a session is stored under: the SHA-256 of its id.
    static func key(_ id: String) -> [UInt8] {
        StableHash.sha256(id)
    }

    private static func removeExpired(_ state: inout State, now: Date) {
        let idle = TimeInterval(state.settings.idleMilliseconds) / 1000
        state.sessions = state.sessions.filter { now < $0.value.expiresAt && now.timeIntervalSince($0.value.lastUsedAt) < idle }
    }
}
