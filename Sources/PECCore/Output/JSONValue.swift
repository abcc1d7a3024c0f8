/// A JSON document that keeps the order of object members as the value encoded them, so that
/// NDJSON and text output show fields in the order a type declares them (`id` first, not sorted).
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's JSON text, exactly as it will be written (`42`, `-1.5`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([Member])

    public struct Member: Equatable, Sendable {
        public var key: String
        public var value: JSONValue
        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// True for what the output formats leave out: null, "", [] and {} (never `false` or `0`).
    public var isEmpty: Bool {
        switch self {
        case .null: true
        case .string(let s): s.isEmpty
        case .array(let a): a.isEmpty
        case .object(let o): o.isEmpty
        case .bool, .number: false
        }
    }

    /// The same value with empty members and elements removed at every depth, bottom-up, so an
    /// object whose members were all empty disappears too: ``JSONValueEncoder/EmptyValues/omitted(requiredLists:)``.
    func strippingEmpty() -> JSONValue {
        switch self {
        case .array(let elements):
            return .array(elements.map { $0.strippingEmpty() }.filter { !$0.isEmpty })
        case .object(let members):
            return .object(
                members.compactMap { member in
                    let value = member.value.strippingEmpty()
                    return value.isEmpty ? nil : Member(member.key, value)
                }
            )
        default:
            return self
        }
    }

    /// Member lookup for objects; nil for other values or a missing key.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Compact JSON on one line; non-ASCII text is written as UTF-8, not `\u` escapes.
    public var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let elements):
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += "," }
                element.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }

    /// `text` as a JSON string literal, quotes included (the escaping every JSON pec writes uses).
    public static func quoted(_ text: String) -> String {
        var out = ""
        writeString(text, to: &out)
        return out
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            // Control characters, and the two line separators that break JavaScript-based readers.
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
