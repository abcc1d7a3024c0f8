import MCP

/// JSON Schema documents for tool inputs and outputs, written compactly.
enum Schema {
    static func object(
        _ properties: [String: Value],
        required: [String] = [],
        description: String? = nil,
        closed: Bool = true
    ) -> Value {
        var schema: [String: Value] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        if closed { schema["additionalProperties"] = false }
        if let description { schema["description"] = .string(description) }
        return .object(schema)
    }

    static func string(_ description: String? = nil, format: String? = nil, pattern: String? = nil) -> Value {
        var schema: [String: Value] = ["type": "string"]
        if let description { schema["description"] = .string(description) }
        if let format { schema["format"] = .string(format) }
        if let pattern { schema["pattern"] = .string(pattern) }
        return .object(schema)
    }

    static func enumeration(_ cases: [String], _ description: String? = nil, default value: String? = nil) -> Value {
        var schema: [String: Value] = ["type": "string", "enum": .array(cases.map { .string($0) })]
        if let description { schema["description"] = .string(description) }
        if let value { schema["default"] = .string(value) }
        return .object(schema)
    }

    static func integer(
        _ description: String? = nil,
        minimum: Int? = nil,
        maximum: Int? = nil,
        default value: Int? = nil
    )
        -> Value
    {
        var schema: [String: Value] = ["type": "integer"]
        if let description { schema["description"] = .string(description) }
        if let minimum { schema["minimum"] = .int(minimum) }
        if let maximum { schema["maximum"] = .int(maximum) }
        if let value { schema["default"] = .int(value) }
        return .object(schema)
    }

    static func boolean(_ description: String? = nil, default value: Bool? = nil) -> Value {
        var schema: [String: Value] = ["type": "boolean"]
        if let description { schema["description"] = .string(description) }
        if let value { schema["default"] = .bool(value) }
        return .object(schema)
    }

    static func array(_ items: Value, _ description: String? = nil, minItems: Int? = nil) -> Value {
        var schema: [String: Value] = ["type": "array", "items": items]
        if let description { schema["description"] = .string(description) }
        if let minItems { schema["minItems"] = .int(minItems) }
        return .object(schema)
    }

    /// Any JSON object (nested records whose every field is documented in the README).
    static let anyObject: Value = ["type": "object"]

    /// A PEC address: ASCII `local@domain`.
    static let email = string(nil, format: "email")
}
