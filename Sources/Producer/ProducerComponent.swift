import Shared

/// A part of the producer process that brings its own long-running services and HTTP routes,
/// such as the control API, run records or the console.
///
/// `RunCommand` starts every component's services next to the scheduler and serves every
/// component's routes on `producer.listen`; adding a part is one line in
/// ``RunCommand/components(context:)``.
protocol ProducerComponent: Sendable {
    /// Services to run for the life of the process; stopped before the scheduler.
    func services() -> [any Service]

    /// Adds the component's routes.
    func register(into router: inout Router)
}

extension ControlAPI: ProducerComponent {
    func services() -> [any Service] { [] }
}

/// Run records (ingest, retention, query API) and the web console.
struct RecordsComponent: ProducerComponent {
    let records: Records

    func services() -> [any Service] { records.services }

    func register(into router: inout Router) {
        RecordsAPI.register(into: &router, store: records.store)
        Console.register(into: &router)
    }
}
