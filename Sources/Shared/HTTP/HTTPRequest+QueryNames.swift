import Foundation

extension HTTPRequest {
    /// Rejects a query parameter whose name is not in `known`, so that a misspelled filter
    /// such as `job_id` for `job` gets a 400 instead of being ignored.
    ///
    /// - Throws: ``HTTPError`` 400 naming the first unknown parameter and the known ones.
    public func requireKnownQueryNames(_ known: [String]) throws {
        guard let unknown = queryItems.map(\.name).first(where: { !known.contains($0) }) else { return }
        let list = known.isEmpty ? "no query parameters" : "the query parameters \(known.joined(separator: ", "))"
        throw HTTPError.badRequest("unknown query parameter \"\(unknown)\": this route takes \(list)", field: unknown)
    }
}
