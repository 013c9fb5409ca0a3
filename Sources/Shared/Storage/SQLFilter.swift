import Foundation

/// A `WHERE` clause built from the filters a query gives, with its parameters in order.
///
/// Only filters that are present become conditions, so PostgreSQL never has to guess the type
/// of an unused parameter and each query can use the index that fits.
struct SQLFilter {
    private(set) var conditions: [String] = []
    private(set) var parameters: [SQLValue] = []

    var whereClause: String {
        conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    }

    mutating func equal(_ column: String, _ value: String?) {
        guard let value else { return }
        conditions.append("\(column) = ?")
        parameters.append(.text(value))
    }

    mutating func any(_ column: String, _ values: [String]) {
        guard !values.isEmpty else { return }
        if values.count == 1 {
            equal(column, values[0])
            return
        }
        conditions.append("\(column) IN (\(Array(repeating: "?", count: values.count).joined(separator: ",")))")
        parameters += values.map(SQLValue.text)
    }

    mutating func range(_ column: String, from: Date?, to: Date?) {
        if let from {
            conditions.append("\(column) >= ?")
            parameters.append(SQLValue(from))
        }
        if let to {
            conditions.append("\(column) < ?")
            parameters.append(SQLValue(to))
        }
    }

    /// Text the column must contain, without case; `%`, `_` and `\` in it match themselves.
    mutating func contains(_ column: String, _ text: String?) {
        guard let text, !text.isEmpty else { return }
        let escaped = text.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        conditions.append("LOWER(\(column)) LIKE ? ESCAPE '\\'")
        parameters.append(.text("%" + escaped + "%"))
    }

    /// Rows after the cursor in the list's order, by time and then id.
    mutating func after(_ cursor: RecordCursor?, time: String, id: String, ascending: Bool) {
        guard let cursor else { return }
        let comparison = ascending ? ">" : "<"
        // A row-value comparison, which both SQLite and PostgreSQL answer from the (time, id) index.
        conditions.append("(\(time), \(id)) \(comparison) (?, ?)")
        parameters += [.integer(cursor.sortAt), .text(cursor.id)]
    }
}
