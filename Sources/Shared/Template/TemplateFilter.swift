/// A filter in a placeholder, after a `|`.
///
/// | Filter | Does |
/// |---|---|
/// | `date: "yyyy-MM-dd"` | formats a time in its zone (``TemplateDateFormat``) |
/// | `default: "text"` | replaces a missing, null or empty value |
/// | `json` | writes the value as compact JSON (strings quoted) |
/// | `upper`, `lower`, `trim` | changes case, or removes surrounding white space |
/// | `truncate: 200` | keeps at most that many characters, ending in `…` when cut |
public enum TemplateFilter: Sendable, Hashable {
    case date(TemplateDateFormat)
    case `default`(String)
    case json
    case upper
    case lower
    case trim
    case truncate(Int)

    /// Filter names, for error messages.
    static let names = ["date", "default", "json", "upper", "lower", "trim", "truncate"]

    func apply(to value: TemplateValue?) -> TemplateValue? {
        switch self {
        case .date(let format):
            guard case .time(let time)? = value else { return value }
            return .string(format.format(time))
        case .default(let fallback):
            guard let value else { return .string(fallback) }
            switch value {
            case .json(.null), .json(.string("")): return .string(fallback)
            default: return value
            }
        case .json:
            return .string((value?.json ?? .null).compactText(sortedKeys: true))
        case .upper:
            return value.map { .string($0.text.uppercased()) }
        case .lower:
            return value.map { .string($0.text.lowercased()) }
        case .trim:
            return value.map { .string($0.text.trimmingWhitespace()) }
        case .truncate(let limit):
            guard let value else { return nil }
            let text = value.text
            guard text.count > limit else { return value }
            return .string(String(text.prefix(max(0, limit - 1))) + "…")
        }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
