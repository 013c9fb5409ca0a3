import Foundation
import Shared

/// An app's input form and mode as Dify reports them, read with the key from the producer's
/// own `apps:` configuration.
///
/// Used by `dify-producer app inspect`, the control API's `GET /v1/apps/{app}/parameters` and
/// the input checks of `validate` and `apply`.
struct AppInspection: Sendable {
    /// Why an app could not be inspected.
    struct Failure: Error, Sendable, CustomStringConvertible {
        /// Extensible cause, compare with the static members.
        struct Code: Hashable, Sendable {
            let name: String
            /// The app is not under `apps:` in this configuration.
            static let notConfigured = Code(name: "app_not_configured")
            /// The key or base URL of the app is unusable.
            static let invalidConfiguration = Code(name: "invalid_app_configuration")
            /// Dify did not respond in time, or returned an error.
            static let difyFailed = Code(name: "dify_failed")
        }

        var code: Code
        var reason: String
        var description: String { reason }
    }

    let app: String
    let baseURL: String
    /// Dify's mode from `GET /info` (`workflow`, `advanced-chat`, …); nil when that call failed.
    let mode: String?
    let parameters: DifyAppParameters

    /// Reads `GET /parameters` (and `GET /info` for the mode) of `app`.
    ///
    /// - Parameter timeout: time allowed for each call.
    /// - Throws: ``Failure``.
    static func fetch(
        app: String, configuration: Configuration, environment: [String: String] = ProcessInfo.processInfo.environment,
        timeout: Duration = .seconds(10)
    ) async throws -> AppInspection {
        guard let settings = configuration.apps[app] else {
            let known = configuration.apps.keys.sorted().joined(separator: ", ")
            throw Failure(
                code: .notConfigured,
                reason: "app \"\(app)\" is not under apps: in this configuration (configured: \(known.isEmpty ? "none" : known)); add its base_url and api_key_env there")
        }
        let endpoint: DifyAppEndpoint
        do {
            let key = try settings.resolveAPIKey(app: app, environment: environment)
            endpoint = try DifyAppEndpoint(name: app, baseURL: settings.baseURL, apiKey: key)
        } catch {
            throw Failure(code: .invalidConfiguration, reason: "\(error)")
        }

        let client = DifyClient(configuration: DifyClientConfiguration(maxConnectionsPerHost: 4, requestTimeout: timeout))
        let parameters: DifyAppParameters
        do {
            parameters = try await client.parameters(app: endpoint)
        } catch {
            // The client words its errors for the worker, which retries; this one-shot read does not.
            let detail = "\(error)".replacingOccurrences(of: "; retrying with a backoff.", with: ".")
            throw Failure(code: .difyFailed, reason: "reading GET /parameters of app \"\(app)\" at \(settings.baseURL) failed: \(detail)")
        }
        let mode = try? await client.info(app: endpoint).mode
        return AppInspection(app: app, baseURL: settings.baseURL, mode: mode, parameters: parameters)
    }

    /// The inspection as JSON: app, base URL, mode and one object per input variable.
    var json: JSONValue {
        .object([
            "app": .string(app),
            "base_url": .string(baseURL),
            "mode": mode.map(JSONValue.string) ?? .null,
            "inputs": .array(parameters.inputs.map { variable in
                .object([
                    "name": .string(variable.name),
                    "kind": .string(variable.kind),
                    "label": variable.label.map(JSONValue.string) ?? .null,
                    "required": .bool(variable.required),
                    "default": variable.defaultValue ?? .null,
                    "options": .array(variable.options.map(JSONValue.string)),
                    "max_length": variable.maxLength.map { .int(Int64($0)) } ?? .null,
                ])
            }),
        ])
    }

    /// The inspection as an aligned table, one input variable per row.
    var table: String {
        var lines = ["app \(app) at \(baseURL), mode \(mode ?? "unknown"): \(parameters.inputs.count) input variable\(parameters.inputs.count == 1 ? "" : "s")"]
        guard !parameters.inputs.isEmpty else { return lines[0] }
        var rows = [["NAME", "KIND", "REQUIRED", "DEFAULT", "OPTIONS", "MAX LENGTH", "LABEL"]]
        for variable in parameters.inputs {
            let defaultText = variable.defaultValue.flatMap { $0.isNull ? nil : ($0.stringValue ?? $0.compactText()) }
            rows.append([
                variable.name, variable.kind, variable.required ? "yes" : "no",
                defaultText.map { $0.isEmpty ? "\"\"" : $0 } ?? "-",
                variable.options.isEmpty ? "-" : variable.options.joined(separator: ","),
                variable.maxLength.map(String.init) ?? "-", variable.label ?? "-",
            ])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            lines.append(cells.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }
}
