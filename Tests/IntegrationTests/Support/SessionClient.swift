import Foundation
import Shared

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Calls a producer the way the console does after signing in: with the session cookie and the
/// CSRF header set by hand, through a URL session that neither stores nor sends cookies, so
/// no cookie leaks into other tests' requests.
struct SessionClient: Sendable {
    let port: Int

    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: JSONValue
    }

    /// A signed-in session: the cookie value and the CSRF token.
    struct Session: Sendable {
        var cookie: String
        var csrfToken: String

        /// Headers of a request in this session; `csrf` false leaves the CSRF header out.
        func headers(csrf: Bool = true) -> [String: String] {
            var headers = ["Cookie": "dify_scheduler_session=\(cookie)"]
            if csrf { headers["X-CSRF-Token"] = csrfToken }
            return headers
        }
    }

    static let urlSession: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpCookieStorage = nil
        return URLSession(configuration: configuration)
    }()

    func send(_ method: String, _ path: String, body: JSONValue? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpShouldHandleCookies = false
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        if let body {
            request.httpBody = Data(body.compactText().utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await Self.urlSession.data(for: request)
        let http = response as? HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] {
            fields[String(describing: name).lowercased()] = String(describing: value)
        }
        let json = (try? JSONValue.parse(data)) ?? .string(String(decoding: data, as: UTF8.self))
        return Reply(status: http?.statusCode ?? 0, headers: fields, body: json)
    }

    /// Signs in with `token`; returns the reply and, when it succeeded, the session.
    func signIn(token: String) async throws -> (reply: Reply, session: Session?) {
        let reply = try await send("POST", "/v1/session", body: ["token": .string(token)])
        guard reply.status == 201, let cookie = reply.headers["set-cookie"], let csrf = reply.body["csrf_token"]?.stringValue else {
            return (reply, nil)
        }
        let value = cookie.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last.map(String.init) ?? ""
        return (reply, Session(cookie: value, csrfToken: csrf))
    }
}
