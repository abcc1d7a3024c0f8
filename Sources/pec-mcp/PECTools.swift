import MCP
import PECCore

/// One MCP tool: its description for `tools/list` and the PECCore use-case it runs.
struct PECTool: Sendable {
    var tool: Tool
    var run: @Sendable ([String: Value]) async throws -> any Encodable & Sendable
}

/// The tools `pec-mcp` offers. Each calls the same PECCore use-case as the matching `pec` command
/// and returns the same value: as `structuredContent`, plus a compact text copy.
enum PECTools {
    static let all: [PECTool] = [providers]

    static let providers = PECTool(
        tool: Tool(
            name: "pec_providers",
            title: "PEC provider presets",
            description: "List known PEC providers (gestori) with their IMAP/SMTP servers and mailbox domains.",
            inputSchema: .object([
                "type": "object",
                "properties": .object([:]),
                "additionalProperties": false,
            ]),
            annotations: .init(readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false),
            outputSchema: .object([
                "type": "object",
                "properties": .object([
                    "providers": .object(["type": "array", "items": .object(["type": "object"])])
                ]),
                "required": .array(["providers"]),
            ])
        ),
        run: { _ in ProvidersResult(providers: ProviderCatalog.rows) }
    )

    struct ProvidersResult: Encodable, Sendable {
        var providers: [ProviderPreset.Row]
    }

    static func call(name: String, arguments: [String: Value]) async -> CallTool.Result {
        guard let tool = all.first(where: { $0.tool.name == name }) else {
            return failure(PECError(.usage, "unknown tool \(name)", hint: "call tools/list for the available tools"))
        }
        do {
            let result = try await tool.run(arguments)
            let structured = try JSONValueEncoder().encode(result).strippingEmpty()
            let text = try OutputRenderer(format: .text).render(record: result)
            return CallTool.Result(
                content: [.text(text: text, annotations: nil, _meta: nil)],
                structuredContent: Optional(Value(json: structured)),
                isError: false
            )
        } catch let error as PECError {
            return failure(error)
        } catch {
            return failure(PECError(.internal, "unexpected error: \(error)", hint: "this is a bug in pec-mcp"))
        }
    }

    /// Tool failures are results with `isError`, not JSON-RPC errors, so the model can read them.
    static func failure(_ error: PECError) -> CallTool.Result {
        let envelope = (try? JSONValueEncoder().encode(PECError.Envelope(error))) ?? .null
        return CallTool.Result(
            content: [.text(text: "error: \(error.description)", annotations: nil, _meta: nil)],
            structuredContent: Optional(Value(json: envelope)),
            isError: true
        )
    }
}

extension Value {
    /// The same document as MCP's `Value` (object member order is not kept: JSON objects are unordered).
    init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n): self = Int(n).map(Value.int) ?? Double(n).map(Value.double) ?? .string(n)
        case .string(let s): self = .string(s)
        case .array(let elements): self = .array(elements.map { Value(json: $0) })
        case .object(let members):
            self = .object(
                Dictionary(members.map { ($0.key, Value(json: $0.value)) }, uniquingKeysWith: { _, last in last })
            )
        }
    }
}
