import PECCore

/// What the client configuration files need of ``JSONValue`` (the one ordered JSON tree of pec):
/// a member by key, the files' usual layout, and the comparison that tells an entry already there.
extension JSONValue {
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The same JSON in meaning: members in any order (JSON objects are unordered), numbers by value.
    func means(_ other: JSONValue) -> Bool {
        switch (self, other) {
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            let byKey = Dictionary(b.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
            return a.allSatisfy { member in byKey[member.key].map(member.value.means) ?? false }
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.means($1) }
        case (.number(let a), .number(let b)): return Double(a) == Double(b)
        default: return self == other
        }
    }

    /// Pretty-printed the way these configuration files usually are: members one a line, arrays of
    /// scalars on one line. `indent` is the indentation of the line the value starts on.
    func rendered(indent: String, unit: String) -> String {
        switch self {
        case .object(let members):
            if members.isEmpty { return "{}" }
            let inner = indent + unit
            let lines = members.map {
                inner + JSONValue.quoted($0.key) + ": " + $0.value.rendered(indent: inner, unit: unit)
            }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        case .array(let items):
            return "[" + items.map { $0.rendered(indent: indent, unit: unit) }.joined(separator: ", ") + "]"
        case .string(let text):
            return JSONValue.quoted(text)
        case .number(let text):
            return text
        case .bool(let value):
            return value ? "true" : "false"
        case .null:
            return "null"
        }
    }
}
