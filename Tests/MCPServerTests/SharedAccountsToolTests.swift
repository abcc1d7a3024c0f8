import Foundation
import MCP
import PECCore
import Testing

@testable import PECTestSupport
@testable import pec_mcp

/// pec_auth_status of a pec-mcp whose machine has no local account, only the team's shared one.
@Suite(
    "pec-mcp with shared accounts",
    .enabled(
        if: ProcessInfo.processInfo.environment["PEC_TEST_POSTGRES_URL"] != nil,
        "PEC_TEST_POSTGRES_URL is not set: run through `make test`"
    )
)
struct SharedAccountsToolTests {
    @Test("pec_auth_status lists a shared account with shared: true and storage shared")
    func authStatus() async throws {
        let database = try #require(ProcessInfo.processInfo.environment["PEC_TEST_POSTGRES_URL"])
        let schema = "mcp_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let team = try TemporaryHome()
        let keyFile = team.url.appendingPathComponent("team.key")
        try AccountStore.createSharedKey(at: keyFile)
        let shared = [
            "PEC_LEDGER_URL": database + (database.contains("?") ? "&" : "?") + "schema=\(schema)",
            "PEC_SECRET_KEY_FILE": keyFile.path,
        ]

        let writer = try TemporaryHome()
        let account = Account(
            name: "ufficio",
            address: "ufficio@pec.example.it",
            imap: ServerEndpoint(host: "127.0.0.1", port: 1),
            smtp: ServerEndpoint(host: "127.0.0.1", port: 1),
            passwordStorage: .shared
        )
        try AccountStore(environment: writer.environment.merging(shared) { $1 }).save(account, password: "pw")

        let reader = try TemporaryHome()
        let (clientTransport, serverTransport) = await InMemoryTransport.createConnectedPair()
        let server = try await PECServer(
            configuration: ServerConfiguration(),
            environment: reader.environment.merging(shared) { $1 }
        ).start(transport: serverTransport)
        let client = Client(name: "tests", version: "1")
        _ = try await client.connect(transport: clientTransport)
        defer {
            Task {
                await client.disconnect()
                await server.stop()
            }
        }
        let result = try await client.send(CallTool.request(.init(name: "pec_auth_status", arguments: [:]))).value
        #expect(result.isError != true, "\(result.content)")
        let accounts = result.structuredContent?.objectValue?["accounts"]?.arrayValue ?? []
        #expect(accounts.count == 1)
        let first = accounts.first?.objectValue
        #expect(first?["name"] == "ufficio")
        #expect(first?["shared"] == true)
        #expect(first?["password_storage"] == "shared")
    }
}
