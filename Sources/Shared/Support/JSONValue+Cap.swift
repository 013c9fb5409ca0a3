extension JSONValue {
    /// Returns the value unchanged when its compact JSON is at most `maxBytes`, else a marker
    /// object `{"truncated": true, "size": N, "preview": "…"}` holding the first part of the
    /// text, and whether it was cut.
    public func capped(maxBytes: Int) -> (value: JSONValue, truncated: Bool) {
        let text = compactText()
        let size = text.utf8.count
        guard size > maxBytes else { return (self, false) }
        let previewBytes = max(0, maxBytes - 64)
        var preview = ""
        var used = 0
        for character in text {
            let length = character.utf8.count
            guard used + length <= previewBytes else { break }
            preview.append(character)
            used += length
        }
        return (.object(["truncated": .bool(true), "size": .int(Int64(size)), "preview": .string(preview)]), true)
    }
}

extension String {
    /// Returns the longest prefix of at most `maxBytes` UTF-8 bytes that ends on a character boundary.
    public func prefix(maxBytes: Int) -> String {
        guard utf8.count > maxBytes else { return self }
        var result = ""
        var used = 0
        for character in self {
            let length = character.utf8.count
            guard used + length <= maxBytes else { break }
            result.append(character)
            used += length
        }
        return result
    }
}
