import Foundation

/// Reads a configuration file, applies environment overrides and checks every value.
public struct ConfigurationLoader {
    /// Prefix of environment variables that override file values:
    /// `DIFY_SCHEDULER__KAFKA__BOOTSTRAP_SERVERS=host:9092` sets `kafka.bootstrap_servers`.
    public static let environmentPrefix = "DIFY_SCHEDULER__"

    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Loads and validates `path`.
    ///
    /// - Throws: ``ConfigErrors`` listing every problem with file and line.
    public func load(path: String) throws -> Configuration {
        let root: YAMLNode
        do {
            root = try YAMLNode.parse(contentsOf: path)
        } catch let error as ConfigError {
            throw ConfigErrors([error])
        }
        return try load(root: root, file: path)
    }

    /// Loads several files as one: sections that are mappings merge key by key (a later file
    /// wins), `jobs` lists are joined, and anything else is replaced by the later file.
    public func load(paths: [String]) throws -> Configuration {
        guard paths.count > 1 else { return try load(path: paths.first ?? "") }
        var merged: YAMLNode?
        for path in paths {
            let root: YAMLNode
            do {
                root = try YAMLNode.parse(contentsOf: path)
            } catch let error as ConfigError {
                throw ConfigErrors([error])
            }
            merged = merged.map { merge($0, root) } ?? root
        }
        return try load(root: merged!, file: paths.joined(separator: ", "))
    }

    private func merge(_ base: YAMLNode, _ overlay: YAMLNode) -> YAMLNode {
        guard case .mapping(var pairs, let mark) = base, case .mapping(let overlayPairs, _) = overlay else { return overlay }
        for pair in overlayPairs {
            guard let key = pair.key.scalarText, let index = pairs.firstIndex(where: { $0.key.scalarText == key }) else {
                pairs.append(pair)
                continue
            }
            switch (pairs[index].value, pair.value) {
            case (.sequence(let first, let sequenceMark), .sequence(let second, _)) where key == "jobs":
                pairs[index].value = .sequence(first + second, mark: sequenceMark)
            case (.mapping(let first, let sectionMark), .mapping(let second, _)):
                var combined = first
                for entry in second {
                    if let existing = combined.firstIndex(where: { $0.key.scalarText == entry.key.scalarText }) {
                        combined[existing] = entry
                    } else {
                        combined.append(entry)
                    }
                }
                pairs[index].value = .mapping(combined, mark: sectionMark)
            default:
                pairs[index] = pair
            }
        }
        return .mapping(pairs, mark: mark)
    }

    public func load(text: String, file: String = "<input>") throws -> Configuration {
        let root: YAMLNode
        do {
            root = try YAMLNode.parse(text, file: file)
        } catch let error as ConfigError {
            throw ConfigErrors([error])
        }
        return try load(root: root, file: file)
    }

    func load(root original: YAMLNode, file: String) throws -> Configuration {
        guard case .mapping = original else {
            throw ConfigErrors([ConfigError(file: file, line: original.mark.line, message: "the file must be a mapping of sections (kafka, apps, jobs, …)")])
        }
        let root = applyEnvironment(to: original)
        var errors: [ConfigError] = []

        // Jobs are decoded one by one so that every broken job is reported, not only the first.
        let jobsNode = root["jobs"]
        let withoutJobs = removing(key: "jobs", from: root)

        // Sections that decoded are still checked when another one has problems.
        let decoded = YAMLDecoder().decodeAll(Configuration.self, from: withoutJobs)
        var configuration = decoded.value ?? Configuration()
        errors += decoded.problems
        configuration.file = file

        if let jobsNode {
            if case .sequence(let items, _) = jobsNode {
                // Several files join their jobs into one list; number each job within its file.
                var countByFile: [String: Int] = [:]
                for item in items {
                    let position = countByFile[item.mark.file, default: 0]
                    countByFile[item.mark.file] = position + 1
                    do {
                        let job = try YAMLDecoder().decodeReportingAll(Job.self, from: item, path: "jobs[\(position)]")
                        configuration.jobs.append(job)
                        configuration.jobMarks.append(item.mark)
                        configuration.jobPositions.append(position)
                    } catch let found as ConfigErrors {
                        errors += found.errors
                    }
                }
            } else if !jobsNode.isNull {
                errors.append(ConfigError(file: file, line: jobsNode.mark.line, path: "jobs", message: "expected a list of jobs"))
            }
        }

        configuration.marks = Self.sectionMarks(root)
        errors += ConfigurationValidator(configuration: configuration).validate()
            .map { Self.placing($0, root: root, jobs: jobsNode, file: file) }
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        return configuration
    }

    /// Moves `error` to the line of the value its path names, when the checks placed it at the
    /// start of its job or at no line: `jobs[0].inputs.day` points at `day:`, not `- id:`.
    static func placing(_ error: ConfigError, root: YAMLNode, jobs: YAMLNode?, file: String) -> ConfigError {
        guard let path = error.path, !path.isEmpty else { return error }
        var located = error
        if path.hasPrefix("jobs["), case .sequence(let items, _)? = jobs,
            let close = path.firstIndex(of: "]"), let position = Int(path[path.index(path.startIndex, offsetBy: 5)..<close])
        {
            // Jobs of several files are numbered within their own file.
            let sameFile = items.filter { $0.mark.file == error.file }
            guard position < sameFile.count, sameFile[position].mark.line == error.line else { return error }
            let rest = path[path.index(after: close)...].drop { $0 == "." }
            guard let node = YAMLNode.deepest(String(rest), in: sameFile[position]) else { return error }
            located.line = node.mark.line
            return located
        }
        guard error.line == 0, let node = YAMLNode.deepest(path, in: root), node.mark.line > 0 else { return error }
        located.file = node.mark.file
        located.line = node.mark.line
        return located
    }

    /// Lines of each channel and of each entry under `alerts:`, keyed by dotted path.
    static func sectionMarks(_ root: YAMLNode) -> [String: YAMLMark] {
        var marks: [String: YAMLMark] = [:]
        if case .mapping(let pairs, _)? = root["channels"] {
            for pair in pairs {
                if let name = pair.key.scalarText { marks["channels.\(name)"] = pair.value.mark }
            }
        }
        if case .mapping(let pairs, let mark)? = root["alerts"] {
            marks["alerts"] = mark
            for pair in pairs {
                guard let key = pair.key.scalarText else { continue }
                marks["alerts.\(key)"] = pair.value.mark
                switch pair.value {
                case .sequence(let items, _):
                    for (index, item) in items.enumerated() { marks["alerts.\(key)[\(index)]"] = item.mark }
                case .mapping(let entries, _):
                    for entry in entries {
                        if let name = entry.key.scalarText { marks["alerts.\(key).\(name)"] = entry.value.mark }
                    }
                default:
                    break
                }
            }
        }
        return marks
    }

    // MARK: - Environment overrides

    /// Returns `root` with each `DIFY_SCHEDULER__A__B=value` written at path `a.b`.
    ///
    /// Keys match case-insensitively with `.` and `-` written as `_`. A new key under
    /// `kafka.settings` takes dots for underscores, because librdkafka's keys use dots.
    func applyEnvironment(to root: YAMLNode) -> YAMLNode {
        var result = root
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(Self.environmentPrefix) {
            let path = name.dropFirst(Self.environmentPrefix.count)
                .components(separatedBy: "__").map { $0.lowercased() }.filter { !$0.isEmpty }
            guard !path.isEmpty else { continue }
            let mark = YAMLMark(file: "environment \(name)", line: 0, column: 0)
            result = setting(path[...], value: value, mark: mark, in: result, parents: [])
        }
        return result
    }

    private func setting(_ path: ArraySlice<String>, value: String, mark: YAMLMark, in node: YAMLNode, parents: [String]) -> YAMLNode {
        guard let head = path.first else {
            return .scalar(value, quoted: false, mark: mark)
        }
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var nodeMark = mark
        if case .mapping(let existing, let existingMark) = node {
            pairs = existing
            nodeMark = existingMark
        }
        let normalized = { (key: String) in key.lowercased().replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_") }
        if let index = pairs.firstIndex(where: { $0.key.scalarText.map(normalized) == head }) {
            pairs[index].value = setting(path.dropFirst(), value: value, mark: mark, in: pairs[index].value, parents: parents + [head])
        } else {
            let key = parents == ["kafka", "settings"] ? head.replacingOccurrences(of: "_", with: ".") : head
            let child = setting(path.dropFirst(), value: value, mark: mark, in: .mapping([], mark: mark), parents: parents + [head])
            pairs.append((.scalar(key, quoted: false, mark: mark), child))
        }
        return .mapping(pairs, mark: nodeMark)
    }

    private func removing(key: String, from node: YAMLNode) -> YAMLNode {
        guard case .mapping(let pairs, let mark) = node else { return node }
        return .mapping(pairs.filter { $0.key.scalarText != key }, mark: mark)
    }
}
