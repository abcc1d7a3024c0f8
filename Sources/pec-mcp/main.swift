import Foundation
import Logging
import MCP
import PECCore

// stdout carries JSON-RPC only: every log line goes to stderr.
let start = ContinuousClock.now
let verbose = CommandLine.arguments.contains("--verbose")
if CommandLine.arguments.contains("--version") {
    print("pec-mcp \(PECVersion.current)")
    exit(0)
}
LoggingSystem.bootstrap { label in
    StderrLogHandler(label: label, program: "pec-mcp", level: verbose ? .debug : .warning, start: start)
}

let server = Server(
    name: "pec-mcp",
    version: PECVersion.current,
    title: "PEC (Posta Elettronica Certificata)",
    instructions: """
        Tools for Italian certified email (PEC). A PEC has the legal weight of a registered letter: \
        receipts are legal evidence, never delete them, and never send without the user's explicit consent.
        """,
    capabilities: .init(tools: .init(listChanged: false))
)
await server.withMethodHandler(ListTools.self) { _ in
    ListTools.Result(tools: PECTools.all.map(\.tool))
}
await server.withMethodHandler(CallTool.self) { params in
    await PECTools.call(name: params.name, arguments: params.arguments ?? [:])
}
do {
    try await server.start(transport: StdioTransport(logger: Logger(label: "pec-mcp.stdio")))
    await server.waitUntilCompleted()
} catch {
    FileHandle.standardError.write(Data("pec-mcp: error: \(error)\n".utf8))
    exit(1)
}
