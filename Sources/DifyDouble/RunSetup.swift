import Foundation
import Shared

/// Everything a simulated run needs, fixed when the request is accepted.
struct RunSetup: Sendable {
    let app: DifyApp
    let runID: String
    let taskID: String
    let user: String
    let topic: String
    let fail: String?
    /// The `sleep` input as Dify stores it (an int or a float), or nil when not given.
    let sleep: OrderedJSON?
    let sleepSeconds: Double
    let mode: String?
    /// Chat and completion apps: the `query` of the request.
    let query: String
    let conversationID: String?
    let hang: Bool
    let tokens: Int
    /// `total_price` of chat and completion usage, as decimal text.
    var price = "0.0"
    let pingInterval: Duration
    /// Base URL of the double without `/v1`, for the tool icon link Dify puts in `extras`.
    let publicBaseURL: String
    let createdAt: Date

    var endUserID: String { app.endUserID(for: user) }

    /// The run's inputs as Dify's start node reports them, `sys.*` variables included.
    var inputs: OrderedJSON {
        .object([
            ("topic", .string(topic)),
            ("fail", .optionalString(fail)),
            ("sleep", sleep ?? .null),
            ("mode", .optionalString(mode)),
            ("sys.files", .array([])),
            ("sys.user_id", .string(user)),
            ("sys.app_id", .string(app.appID)),
            ("sys.workflow_id", .string(app.workflowID)),
            ("sys.workflow_run_id", .string(runID)),
        ])
    }

    /// The `sleep` value as it appears in the stub URL (`25`, `0.5`, or empty).
    var sleepQueryValue: String {
        switch sleep {
        case .int(let number)?: String(number)
        case .double(let number)?: OrderedJSON.pythonFloat(number)
        default: ""
        }
    }
}
