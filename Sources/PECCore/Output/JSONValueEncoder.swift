import Foundation

/// Encodes any `Encodable` into an order-preserving ``JSONValue``.
///
/// Foundation's `JSONEncoder` either sorts keys or leaves them in hash order; users reading
/// `pec` output want a record's fields in the order its type declares them. Dates are written as
/// ISO-8601 in UTC, `Data` as base64, non-finite numbers are refused.
///
/// The one place that decides what becomes of empty values (``EmptyValues``): types encode what
/// they hold (a nil optional is simply absent) and never decide it themselves.
public struct JSONValueEncoder: Sendable {
    /// What becomes of empty values: null, "", [] and {} (never `false` or `0`).
    public enum EmptyValues: Sendable, Equatable {
        /// Written as encoded.
        case kept
        /// Left out at every depth, bottom-up, so an object whose members were all empty goes too:
        /// what `pec` prints (NDJSON and text alike) and `pec-mcp` returns. `requiredLists` name
        /// members of the top-level object that are there all the same, as `[]` when empty or absent:
        /// the lists an MCP output schema requires, so a client can rely on the schema.
        case omitted(requiredLists: Set<String> = [])
    }

    public var emptyValues: EmptyValues

    public init(emptyValues: EmptyValues = .kept) {
        self.emptyValues = emptyValues
    }

    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let root = EncodingNode()
        try EncodingNode.encode(value, into: root, codingPath: [])
        switch emptyValues {
        case .kept:
            return root.value
        case .omitted(let requiredLists):
            let stripped = root.value.strippingEmpty()
            guard case .object(var members) = stripped, !requiredLists.isEmpty else { return stripped }
            for key in requiredLists.sorted() where !members.contains(where: { $0.key == key }) {
                members.append(JSONValue.Member(key, .array([])))
            }
            return .object(members)
        }
    }
}

/// One value under construction. Containers hand out child nodes, so nested containers may be
/// filled in any order and still land in the right place.
final class EncodingNode {
    enum Storage {
        case unset
        case value(JSONValue)
        case array([EncodingNode])
        case object([(key: String, node: EncodingNode)])
    }

    var storage: Storage = .unset

    var value: JSONValue {
        switch storage {
        case .unset: .null
        case .value(let v): v
        case .array(let nodes): .array(nodes.map(\.value))
        case .object(let members): .object(members.map { JSONValue.Member($0.key, $0.node.value) })
        }
    }

    func member(_ key: String) -> EncodingNode {
        var members: [(key: String, node: EncodingNode)] = []
        if case .object(let existing) = storage { members = existing }
        if let found = members.first(where: { $0.key == key }) { return found.node }
        let node = EncodingNode()
        members.append((key, node))
        storage = .object(members)
        return node
    }

    func appendElement() -> EncodingNode {
        var nodes: [EncodingNode] = []
        if case .array(let existing) = storage { nodes = existing }
        let node = EncodingNode()
        nodes.append(node)
        storage = .array(nodes)
        return node
    }

    func makeObject() {
        if case .object = storage { return }
        storage = .object([])
    }

    func makeArray() {
        if case .array = storage { return }
        storage = .array([])
    }

    var arrayCount: Int {
        if case .array(let nodes) = storage { return nodes.count }
        return 0
    }

    static func encode<T: Encodable>(_ value: T, into node: EncodingNode, codingPath: [any CodingKey]) throws {
        switch value {
        case let date as Date:
            node.storage = .value(.string(date.formatted(.iso8601)))
        case let data as Data:
            node.storage = .value(.string(data.base64EncodedString()))
        case let url as URL:
            node.storage = .value(.string(url.absoluteString))
        case let decimal as Decimal:
            node.storage = .value(.number(decimal.description))
        case let json as JSONValue:
            node.storage = .value(json)
        default:
            try value.encode(to: NodeEncoder(node: node, codingPath: codingPath))
        }
    }

    static func number(_ value: some BinaryFloatingPoint & LosslessStringConvertible, codingPath: [any CodingKey])
        throws -> JSONValue
    {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value,
                .init(codingPath: codingPath, debugDescription: "\(value) cannot be written as JSON")
            )
        }
        return .number(value.description)
    }
}

extension JSONValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        // Reached only through a foreign encoder; ours stores the value as it is.
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n):
            if let integer = Int64(n) { try container.encode(integer) } else { try container.encode(Double(n) ?? 0) }
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let members):
            try container.encode(Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }))
        }
    }
}

private struct NodeEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeObject()
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(node: node, codingPath: codingPath)
    }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    private func put(_ value: JSONValue, _ key: Key) { node.member(key.stringValue).storage = .value(value) }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        put(try EncodingNode.number(value, codingPath: codingPath + [key]), key)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        put(try EncodingNode.number(value, codingPath: codingPath + [key]), key)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.number("\(value)"), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.number("\(value)"), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.number("\(value)"), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.number("\(value)"), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.number("\(value)"), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(.number("\(value)"), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.number("\(value)"), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.number("\(value)"), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.number("\(value)"), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(.number("\(value)"), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try EncodingNode.encode(value, into: node.member(key.stringValue), codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = node.member(key.stringValue)
        child.makeObject()
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.member(key.stringValue)
        child.makeArray()
        return UnkeyedContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: node.member("super"), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var count: Int { node.arrayCount }

    private func put(_ value: JSONValue) { node.appendElement().storage = .value(value) }
    private var nextPath: [any CodingKey] { codingPath + [IndexKey(count)] }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(try EncodingNode.number(value, codingPath: nextPath)) }
    mutating func encode(_ value: Float) throws { put(try EncodingNode.number(value, codingPath: nextPath)) }
    mutating func encode(_ value: Int) throws { put(.number("\(value)")) }
    mutating func encode(_ value: Int8) throws { put(.number("\(value)")) }
    mutating func encode(_ value: Int16) throws { put(.number("\(value)")) }
    mutating func encode(_ value: Int32) throws { put(.number("\(value)")) }
    mutating func encode(_ value: Int64) throws { put(.number("\(value)")) }
    mutating func encode(_ value: UInt) throws { put(.number("\(value)")) }
    mutating func encode(_ value: UInt8) throws { put(.number("\(value)")) }
    mutating func encode(_ value: UInt16) throws { put(.number("\(value)")) }
    mutating func encode(_ value: UInt32) throws { put(.number("\(value)")) }
    mutating func encode(_ value: UInt64) throws { put(.number("\(value)")) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try EncodingNode.encode(value, into: node.appendElement(), codingPath: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let path = nextPath
        let child = node.appendElement()
        child.makeObject()
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        let child = node.appendElement()
        child.makeArray()
        return UnkeyedContainer(node: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return NodeEncoder(node: node.appendElement(), codingPath: path)
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    private func put(_ value: JSONValue) { node.storage = .value(value) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(try EncodingNode.number(value, codingPath: codingPath)) }
    mutating func encode(_ value: Float) throws { put(try EncodingNode.number(value, codingPath: codingPath)) }
    mutating func encode(_ value: Int) throws { put(.number("\(value)")) }
    mutating func encode(_ value: Int8) throws { put(.number("\(value)")) }
    mutating func encode(_ value: Int16) throws { put(.number("\(value)")) }
    mutating func encode(_ value: Int32) throws { put(.number("\(value)")) }
    mutating func encode(_ value: Int64) throws { put(.number("\(value)")) }
    mutating func encode(_ value: UInt) throws { put(.number("\(value)")) }
    mutating func encode(_ value: UInt8) throws { put(.number("\(value)")) }
    mutating func encode(_ value: UInt16) throws { put(.number("\(value)")) }
    mutating func encode(_ value: UInt32) throws { put(.number("\(value)")) }
    mutating func encode(_ value: UInt64) throws { put(.number("\(value)")) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try EncodingNode.encode(value, into: node, codingPath: codingPath)
    }
}
