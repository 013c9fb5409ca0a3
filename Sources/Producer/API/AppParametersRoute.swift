import Foundation
import Shared

/// `GET /v1/apps/{app}/parameters`: an app's input variables as Dify's `GET /parameters`
/// reports them, read with the key from the producer's own `apps:` configuration.
///
/// Answers 200 with the body `dify-producer app inspect --json` prints, 404
/// `app_not_configured` for an app this producer has no `apps:` entry for, 400
/// `invalid_app_configuration` when its key or URL is unusable here, and 502 `dify_failed`
/// when Dify does not answer within `timeout` or answers with an error.
///
/// TODO: read `apps:` from the configuration in force; this route keeps the apps of the
/// configuration loaded at start, so an app added or changed by a SIGHUP reload answers as before.
struct AppParametersRoute: Sendable {
    let configuration: Configuration
    var timeout: Duration = .seconds(10)

    func register(into router: inout Router) {
        router.get("/v1/apps/{app}/parameters") { [configuration, timeout] _, parameters in
            let app = parameters["app"] ?? ""
            do {
                let inspection = try await AppInspection.fetch(app: app, configuration: configuration, timeout: timeout)
                return .json(200, inspection.json)
            } catch let failure as AppInspection.Failure {
                switch failure.code {
                case .notConfigured: throw HTTPError(status: 404, code: failure.code.name, message: failure.reason, field: "app")
                case .invalidConfiguration: throw HTTPError(status: 400, code: failure.code.name, message: failure.reason, field: "app")
                default: throw HTTPError(status: 502, code: failure.code.name, message: failure.reason)
                }
            }
        }
    }
}
