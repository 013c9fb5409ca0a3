import Foundation
import Shared

/// An app this worker may call: its endpoint with the key, its limits and its kind.
struct WorkerApp: Sendable {
    let name: String
    let endpoint: DifyAppEndpoint
    let limits: AppLimits
    /// The kind of app from configuration; nil until learned from `GET /info`.
    let mode: JobKind?
    /// Scheme, host and port of the base URL: apps on one Dify share its concurrency cap.
    let origin: String
    let acceptsExternal: Bool
    /// Daily token and cost limits; nil when the app has none.
    var budget: AppBudget? = nil

    /// Resolves every app of `configuration`, reading each key from its environment variable
    /// or file.
    ///
    /// - Throws: ``ConfigErrors`` listing every app whose key or URL is unusable.
    static func resolveAll(_ configuration: Configuration, environment: [String: String]) throws -> [String: WorkerApp] {
        var apps: [String: WorkerApp] = [:]
        var errors: [ConfigError] = []
        for (name, settings) in configuration.apps.sorted(by: { $0.key < $1.key }) {
            do {
                let key = try settings.resolveAPIKey(app: name, environment: environment)
                let endpoint = try DifyAppEndpoint(name: name, baseURL: settings.baseURL, apiKey: key)
                let url = endpoint.baseURL
                let origin = "\(url.scheme ?? "http")://\(url.host ?? ""):\(url.port.map(String.init) ?? "")"
                apps[name] = WorkerApp(
                    name: name, endpoint: endpoint, limits: settings.limits ?? AppLimits(),
                    mode: settings.mode.flatMap(JobKind.init(rawValue:)), origin: origin,
                    acceptsExternal: settings.acceptExternal ?? false, budget: settings.budget)
            } catch let error as ConfigError {
                errors.append(error)
            } catch {
                errors.append(ConfigError(file: configuration.file, line: 0, path: "apps.\(name)", message: "\(error)"))
            }
        }
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        return apps
    }
}
