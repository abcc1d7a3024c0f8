import Foundation
import MCP
import PECCore
import Testing

@testable import PECTestSupport
@testable import pec_mcp

/// pec_evidence and pec_evidence_verify in process, over the SDK's in-memory transport: the paths
/// that need no mail server (the whole round trip is in Tests/MCPClientTests).
@Suite("pec-mcp evidence tools")
struct EvidenceToolsTests {
    struct Session {
        let client: Client
        let server: Server

        func call(_ name: String, _ arguments: [String: Value] = [:]) async throws -> CallTool.Result {
            try await client.send(CallTool.request(.init(name: name, arguments: arguments))).value
        }

        func close() async {
            await client.disconnect()
            await server.stop()
        }
    }

    /// A HOME with nothing saved and an empty `save` directory in it.
    final class Home: Sendable {
        let home: TemporaryHome
        let save: String

        init() throws {
            home = try TemporaryHome()
            save = home.path + "/save"
            try FileManager.default.createDirectory(atPath: save, withIntermediateDirectories: false)
        }

        func configuration(readOnly: Bool = false, saving: Bool = true) -> ServerConfiguration {
            var configuration = ServerConfiguration()
            configuration.readOnly = readOnly
            if saving { configuration.saveDirectory = save }
            return configuration
        }

        /// Everything under HOME, so a test can tell that nothing was written anywhere.
        func contents() -> Set<String> {
            Set(FileManager.default.subpaths(atPath: home.path) ?? [])
        }
    }

    func connect(_ configuration: ServerConfiguration, home: Home) async throws -> Session {
        let (clientTransport, serverTransport) = await InMemoryTransport.createConnectedPair()
        let server = try await PECServer(configuration: configuration, environment: home.home.environment)
            .start(transport: serverTransport)
        let client = Client(name: "tests", version: "1")
        _ = try await client.connect(transport: clientTransport)
        return Session(client: client, server: server)
    }

    @Test("tools/list: pec_evidence and pec_evidence_verify with their input and output schemas")
    func listed() async throws {
        let home = try Home()
        let session = try await connect(home.configuration(), home: home)
        defer { Task { await session.close() } }
        let (tools, _) = try await session.client.listTools()
        let evidence = try #require(tools.first { $0.name == "pec_evidence" })
        let verify = try #require(tools.first { $0.name == "pec_evidence_verify" })

        let input = try #require(evidence.inputSchema.objectValue)
        #expect(input["type"] == "object" && input["additionalProperties"] == false)
        #expect(input["required"] == ["id"])
        let properties = try #require(input["properties"]?.objectValue)
        #expect(Set(properties.keys) == ["id", "filename", "sync"])
        #expect(properties["sync"]?.objectValue?["default"] == true)
        #expect(properties["filename"]?.objectValue?["type"] == "string")
        let output = try #require(evidence.outputSchema?.objectValue)
        #expect(output["type"] == "object")
        #expect(output["required"] == ["path", "zip", "files", "report"])
        #expect(evidence.annotations.readOnlyHint == false)
        #expect(evidence.annotations.destructiveHint == false)
        let description = try #require(evidence.description)
        for words in ["SHA256SUMS", "report.json", "report.html", "exactly as received", "save directory", "completa"] {
            #expect(description.contains(words), "\(words)")
        }
        #expect(description.contains("never sends"))

        let verifyInput = try #require(verify.inputSchema.objectValue)
        #expect(verifyInput["required"] == ["path"] && verifyInput["additionalProperties"] == false)
        #expect(verify.outputSchema?.objectValue?["required"] == ["path", "valid", "complete", "files", "problems"])
        #expect(verify.annotations.readOnlyHint == true)
        #expect(verify.annotations.openWorldHint == false)
        #expect(verify.description?.contains("never sends") == true)
    }

    @Test(
        "pec_evidence: a filename with /, .., or a leading dot is refused before anything is contacted",
        arguments: ["../x", "../x.zip", "a/b", "/tmp/d.zip", "..", "sub/../d.zip", ".hidden", "d..zip", "a\nb", ""]
    )
    func unsafeFilename(_ filename: String) async throws {
        let home = try Home()
        let before = home.contents()
        let session = try await connect(home.configuration(), home: home)
        defer { Task { await session.close() } }
        let result = try await session.call(
            "pec_evidence",
            ["id": "<abc@pec.example.it>", "filename": .string(filename)]
        )
        #expect(result.isError == true)
        let error = result.structuredContent?.objectValue?["error"]?.objectValue
        #expect(error?["kind"] == "usage", "\(Self.text(result))")
        #expect(Self.text(result).contains("filename must be a plain new name"), "\(Self.text(result))")
        #expect(Self.text(result).contains(home.save), "the hint says where dossiers go")
        #expect(home.contents() == before, "nothing written")
    }

    @Test("pec_evidence without a save directory is refused, naming --save-dir")
    func noSaveDirectory() async throws {
        let home = try Home()
        let before = home.contents()
        let session = try await connect(home.configuration(saving: false), home: home)
        defer { Task { await session.close() } }
        for arguments: [String: Value] in [["id": "<abc@pec.example.it>"], ["id": "x", "filename": "d.zip"]] {
            let result = try await session.call("pec_evidence", arguments)
            #expect(result.isError == true)
            #expect(Self.text(result).contains("--save-dir"), "\(Self.text(result))")
        }
        let verify = try await session.call("pec_evidence_verify", ["path": .string(home.save)])
        #expect(verify.isError == true && Self.text(verify).contains("--save-dir"))
        #expect(home.contents() == before)
    }

    @Test("pec_evidence: an existing name is refused, never replaced")
    func existing() async throws {
        let home = try Home()
        try home.home.file("save/d.zip", "mine")
        let session = try await connect(home.configuration(), home: home)
        defer { Task { await session.close() } }
        let result = try await session.call("pec_evidence", ["id": "x", "filename": "d.zip"])
        #expect(result.isError == true)
        #expect(Self.text(result).contains("already exists"), "\(Self.text(result))")
        #expect(try String(contentsOfFile: home.save + "/d.zip", encoding: .utf8) == "mine")
    }

    @Test("read-only: pec_evidence is neither listed nor callable; pec_evidence_verify is")
    func readOnly() async throws {
        let home = try Home()
        let before = home.contents()
        let session = try await connect(home.configuration(readOnly: true), home: home)
        defer { Task { await session.close() } }
        let names = try await session.client.listTools().tools.map(\.name)
        #expect(!names.contains("pec_evidence"))
        #expect(names.contains("pec_evidence_verify"))
        let result = try await session.call("pec_evidence", ["id": "<abc@pec.example.it>", "filename": "d.zip"])
        #expect(result.isError == true)
        #expect(Self.text(result).contains("read-only"), "\(Self.text(result))")
        #expect(result.structuredContent?.objectValue?["error"]?.objectValue?["kind"] == "usage")
        #expect(home.contents() == before)
    }

    @Test("pec_evidence_verify: a broken SHA256SUMS is a verdict (valid false) in structured content, not an error")
    func brokenChecksums() async throws {
        let home = try Home()
        try home.home.file("save/broken/report.json", "{}\n")
        try home.home.file("save/broken/SHA256SUMS", String(repeating: "0", count: 64) + "  report.json\n")
        let session = try await connect(home.configuration(readOnly: true), home: home)
        defer { Task { await session.close() } }
        for path in [home.save + "/broken", "broken"] {
            let result = try await session.call("pec_evidence_verify", ["path": .string(path)])
            #expect(result.isError == false, "\(Self.text(result))")
            let check = try #require(result.structuredContent?.objectValue)
            #expect(check["valid"] == false)
            #expect(check["complete"] == false)
            #expect(check["path"] == .string(home.save + "/broken"))
            let files = try #require(check["files"]?.arrayValue)
            #expect(files.contains(["file": "report.json", "status": "altered"]), "\(files)")
            #expect(check["problems"]?.arrayValue?.isEmpty == false)
            #expect(Self.text(result).hasPrefix("valid: false\ncomplete: false\n"))
            #expect(Self.text(result).contains("<untrusted-content source=\"dossier check\">"))
        }
    }

    @Test("pec_evidence_verify reads only inside the save directory; a missing path is an error")
    func verifyOutside() async throws {
        let home = try Home()
        try home.home.file("outside/SHA256SUMS", String(repeating: "0", count: 64) + "  x\n")
        try FileManager.default.createSymbolicLink(
            atPath: home.save + "/link",
            withDestinationPath: home.home.path + "/outside"
        )
        let session = try await connect(home.configuration(), home: home)
        defer { Task { await session.close() } }
        for path in [home.home.path + "/outside", home.save + "/../outside", "../outside", "link", home.save, "/"] {
            let result = try await session.call("pec_evidence_verify", ["path": .string(path)])
            #expect(result.isError == true, "\(path)")
            #expect(Self.text(result).contains("only in the save directory"), "\(path): \(Self.text(result))")
        }
        let missing = try await session.call("pec_evidence_verify", ["path": "nothing.zip"])
        #expect(missing.isError == true)
        #expect(Self.text(missing).contains("does not exist"), "\(Self.text(missing))")
        // Not a dossier pec can read at all: an error, not a verdict.
        try home.home.file("save/junk.zip", "not a zip")
        let junk = try await session.call("pec_evidence_verify", ["path": "junk.zip"])
        #expect(junk.isError == true, "\(Self.text(junk))")
    }

    @Test("the default dossier name is pec evidence's, made unique in the save directory")
    func defaultName() throws {
        let home = try Home()
        #expect(EvidenceTools.defaultName(id: "<a1b2-c3d4@pec.example.it>") == "pec-evidence-a1b2c3d4")
        #expect(EvidenceTools.defaultName(id: "<@x>") == "pec-evidence-message")
        let first = try EvidenceTools.outputPath(nil, id: "<abc@x>", saveDirectory: home.save)
        #expect(first == home.save + "/pec-evidence-abc")
        try FileManager.default.createDirectory(atPath: first, withIntermediateDirectories: false)
        #expect(try EvidenceTools.outputPath(nil, id: "<abc@x>", saveDirectory: home.save) == first + "-2")
        #expect(try EvidenceTools.outputPath("d.zip", id: "x", saveDirectory: home.save) == home.save + "/d.zip")
    }

    static func text(_ result: CallTool.Result) -> String {
        result.content.compactMap { if case .text(let text, _, _) = $0 { text } else { nil } }.joined()
    }
}
