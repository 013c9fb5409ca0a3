/// Splits Markdown text into parts that each fit a channel's length limit.
///
/// Parts break between paragraphs where they can, then between lines, and only inside a line
/// that alone is longer than the limit, there after the last space when one is near the end
/// and otherwise between two characters. A fenced code block (```` ``` ```` or `~~~`) that has
/// to break is closed at the end of one part and opened again, with its info string, at the
/// start of the next, so every part renders as code where the text did. Characters are never
/// cut apart, so multi-byte UTF-8 text stays valid.
///
/// Text that fits is returned unchanged. Text that is split loses runs of blank lines between
/// paragraphs (one blank line remains) and the spaces at the ends of its parts.
public struct MessageSplitter: Sendable, Hashable {
    /// Largest length of one part, in `measure` units.
    public var limit: Int
    public var measure: TextMeasure

    public init(limit: Int, measure: TextMeasure) {
        self.limit = max(1, limit)
        self.measure = measure
    }

    /// An open code fence: the line that opened it and the marker that closes it.
    struct Fence: Hashable {
        var opener: String
        var marker: String
    }

    /// Splits `text` into parts of at most ``limit`` units each; an empty text gives no part.
    public func split(_ text: String) -> [String] {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        if normalized.isEmpty { return [] }
        if measure.count(normalized) <= limit { return [normalized] }

        let separator = measure.count("\n\n")
        var parts: [String] = []
        var current = ""
        var currentLength = 0
        for block in Self.blocks(normalized) {
            let text = block.joined(separator: "\n")
            let length = measure.count(text)
            if !current.isEmpty && currentLength + separator + length <= limit {
                current += "\n\n" + text
                currentLength += separator + length
                continue
            }
            if !current.isEmpty {
                parts.append(current)
                current = ""
                currentLength = 0
            }
            if length <= limit {
                current = text
                currentLength = length
                continue
            }
            var pieces = splitLines(block)
            if let last = pieces.popLast() {
                parts += pieces
                current = last
                currentLength = measure.count(last)
            }
        }
        if !current.isEmpty { parts.append(current) }
        return parts.map(Self.trimmingTrailingWhitespace).filter { !$0.isEmpty }
    }

    /// Returns the first part of `text` that leaves room for `suffix`, followed by `suffix`;
    /// `text` itself when it fits whole.
    public func cut(_ text: String, suffix: String) -> String {
        if measure.count(text) <= limit { return text }
        let room = max(1, limit - measure.count(suffix))
        let first = MessageSplitter(limit: room, measure: measure).split(text).first ?? ""
        return first + suffix
    }

    // MARK: - Blocks

    /// Paragraphs of `text` as lists of lines: blank lines end a paragraph except inside a
    /// code fence, so a fenced block stays in one paragraph.
    static func blocks(_ text: String) -> [[String]] {
        var blocks: [[String]] = []
        var lines: [String] = []
        var fence: Fence?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if fence == nil && line.allSatisfy(\.isWhitespace) {
                if !lines.isEmpty { blocks.append(lines) }
                lines = []
                continue
            }
            lines.append(line)
            fence = fenceState(after: line, open: fence)
        }
        if !lines.isEmpty { blocks.append(lines) }
        return blocks
    }

    /// Returns the fence open after `line`, given the fence `open` before it.
    static func fenceState(after line: String, open: Fence?) -> Fence? {
        let trimmed = line.drop { $0 == " " }
        if let open {
            guard let markCharacter = open.marker.first, trimmed.hasPrefix(open.marker) else { return open }
            let rest = trimmed.drop { $0 == markCharacter }
            return rest.allSatisfy(\.isWhitespace) ? nil : open
        }
        guard trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~"), let markCharacter = trimmed.first else { return nil }
        return Fence(opener: line, marker: String(trimmed.prefix { $0 == markCharacter }))
    }

    // MARK: - Lines

    /// Splits one paragraph longer than the limit between its lines, and a line longer than
    /// the limit inside it, closing and reopening a code fence around each break.
    func splitLines(_ lines: [String]) -> [String] {
        let newline = measure.count("\n")
        var pieces: [String] = []
        var current: [String] = []
        var length = 0
        var fence: Fence?
        // Lines a fresh piece starts with: the reopened fence, or nothing.
        var freshCount = 0

        func closing(_ fence: Fence?) -> Int {
            fence.map { newline + measure.count($0.marker) } ?? 0
        }
        func flush() {
            guard current.count > freshCount else { return }
            var text = current.joined(separator: "\n")
            if let fence { text += "\n" + fence.marker }
            pieces.append(text)
            current = []
            length = 0
            freshCount = 0
            if let fence {
                current = [fence.opener]
                length = measure.count(fence.opener)
                freshCount = 1
            }
        }
        func added(_ lineLength: Int) -> Int {
            length + (current.isEmpty ? 0 : newline) + lineLength
        }

        for line in lines {
            let after = Self.fenceState(after: line, open: fence)
            let lineLength = measure.count(line)
            if added(lineLength) + closing(after) > limit { flush() }
            if added(lineLength) + closing(after) <= limit {
                length = added(lineLength)
                current.append(line)
                fence = after
                continue
            }
            // The line alone is too long: cut it into chunks that fill the rest of each piece.
            var rest = Substring(line)
            while !rest.isEmpty {
                let room = limit - added(0) - closing(fence)
                var end = prefixEnd(of: rest, fitting: room)
                if end == rest.startIndex {
                    if current.count > freshCount {
                        flush()
                        continue
                    }
                    // Not even one character fits beside the fence: take one anyway, so the
                    // split always ends.
                    end = rest.index(after: rest.startIndex)
                }
                let chunk = rest[..<end]
                length = added(measure.count(chunk))
                current.append(String(chunk))
                rest = rest[end...]
                if !rest.isEmpty { flush() }
            }
            fence = after
        }
        if current.count > freshCount {
            var text = current.joined(separator: "\n")
            if let fence { text += "\n" + fence.marker }
            pieces.append(text)
        }
        return pieces
    }

    /// Returns the end of the longest prefix of `text` within `budget` units, moved back to just after
    /// the last space when that keeps at least half of the prefix.
    func prefixEnd(of text: Substring, fitting budget: Int) -> Substring.Index {
        var used = 0
        var index = text.startIndex
        var characters = 0
        var lastSpace: (index: Substring.Index, characters: Int)?
        while index < text.endIndex {
            let character = text[index]
            let width = measure.count(character)
            if used + width > budget { break }
            used += width
            index = text.index(after: index)
            characters += 1
            if character == " " { lastSpace = (index, characters) }
        }
        if index < text.endIndex, let lastSpace, lastSpace.characters * 2 >= characters {
            return lastSpace.index
        }
        return index
    }

    static func trimmingTrailingWhitespace(_ text: String) -> String {
        var result = Substring(text)
        while let last = result.last, last.isWhitespace { result = result.dropLast() }
        return String(result)
    }
}
