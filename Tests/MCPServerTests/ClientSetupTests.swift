import ArgumentParser
import Foundation
import PECCore
import Testing

@testable import PECTestSupport
@testable import pec_mcp

/// `pec-mcp install`'s parts: where each client's file is on each system, and the merge that edits
/// only our entry (the commands on real files are tested in Tests/MCPClientTests/test_install.py).
@Suite("pec-mcp client setup")
struct ClientSetupTests {
    static let entry = MCPClient.cursor.entry(command: "/usr/local/bin/pec-mcp", arguments: ["--read-only"])

    @Test("each client's standard file, on Linux, macOS and Windows")
    func paths() throws {
        let unix = ["HOME": "/home/mario"]
        func path(_ client: MCPClient, _ platform: HostPlatform, _ environment: [String: String]) throws -> String {
            try client.configurationPath(serverName: "pec", on: platform, environment: environment)
        }
        #expect(try path(.claudeDesktop, .linux, unix) == "/home/mario/.config/Claude/claude_desktop_config.json")
        #expect(
            try path(.claudeDesktop, .linux, unix.merging(["XDG_CONFIG_HOME": "/x"]) { $1 })
                == "/x/Claude/claude_desktop_config.json"
        )
        // A relative XDG_CONFIG_HOME is invalid (XDG spec): ignored.
        #expect(
            try path(.claudeDesktop, .linux, unix.merging(["XDG_CONFIG_HOME": "rel"]) { $1 })
                == "/home/mario/.config/Claude/claude_desktop_config.json"
        )
        #expect(
            try path(.claudeDesktop, .macOS, ["HOME": "/Users/mario"])
                == "/Users/mario/Library/Application Support/Claude/claude_desktop_config.json"
        )
        let windows = ["USERPROFILE": "C:\\Users\\mario", "APPDATA": "C:\\Users\\mario\\AppData\\Roaming"]
        #expect(
            try path(.claudeDesktop, .windows, windows)
                == "C:\\Users\\mario\\AppData\\Roaming\\Claude\\claude_desktop_config.json"
        )
        #expect(try path(.cursor, .linux, unix) == "/home/mario/.cursor/mcp.json")
        #expect(try path(.cursor, .windows, windows) == "C:\\Users\\mario\\.cursor\\mcp.json")
        #expect(try path(.continue, .macOS, ["HOME": "/Users/mario"]) == "/Users/mario/.continue/mcpServers/pec.json")
        #expect(
            try MCPClient.continue.configurationPath(serverName: "pec-work", on: .linux, environment: unix)
                == "/home/mario/.continue/mcpServers/pec-work.json"
        )
        #expect(try path(.zed, .linux, unix.merging(["XDG_CONFIG_HOME": "/x"]) { $1 }) == "/x/zed/settings.json")
        // Zed reads ~/.config/zed on macOS whatever XDG_CONFIG_HOME says.
        #expect(
            try path(.zed, .macOS, ["HOME": "/Users/m", "XDG_CONFIG_HOME": "/x"])
                == "/Users/m/.config/zed/settings.json"
        )
        #expect(try path(.zed, .windows, windows) == "C:\\Users\\mario\\AppData\\Roaming\\Zed\\settings.json")
        #expect(throws: SetupError.noHome(variable: "HOME")) { try path(.cursor, .linux, [:]) }
    }

    @Test("the root command still serves; install and uninstall are subcommands with the server's options")
    func commands() throws {
        #expect(try PecMCP.parseAsRoot(["--read-only", "--account", "x"]) is PecMCP)
        let install = try #require(
            try PecMCP.parseAsRoot([
                "install", "--client", "zed", "--account", "x", "--allow-send", "--allow-recipient", "@pec.it",
                "--timeout", "10", "--ledger", "/srv/pec/ledger.sqlite",
            ]) as? Install
        )
        #expect(install.selection.client == .zed)
        #expect(
            install.server.arguments == [
                "--account", "x", "--allow-send", "--allow-recipient", "@pec.it", "--timeout", "10",
                "--ledger", "/srv/pec/ledger.sqlite",
            ]
        )
        #expect(try PecMCP.parseAsRoot(["uninstall", "--client", "cursor"]) is Uninstall)
        #expect(throws: (any Error).self) {
            try PecMCP.parseAsRoot(["install", "--client", "cursor", "--name", "../x"])
        }
    }

    @Test("merged into a file with other servers: only our member is added, the rest byte for byte")
    func mergeKeepsTheRest() throws {
        let home = try TemporaryHome()
        let original = """
            {
                "globalShortcut": "Ctrl+Space",
                "mcpServers": {
                    "github": { "command": "npx", "args": ["-y", "server-github"] }
                }
            }

            """
        let path = try home.file("mcp.json", original)
        let file = try ClientConfigFile(client: .cursor, path: path)
        guard case .add(let bytes) = try file.installing(name: "pec", entry: Self.entry, force: false) else {
            Issue.record("expected an addition")
            return
        }
        #expect(
            String(decoding: bytes, as: UTF8.self) == """
                {
                    "globalShortcut": "Ctrl+Space",
                    "mcpServers": {
                        "github": { "command": "npx", "args": ["-y", "server-github"] },
                        "pec": {
                            "command": "/usr/local/bin/pec-mcp",
                            "args": ["--read-only"]
                        }
                    }
                }

                """
        )
        let backup = try #require(try file.apply(.add(bytes)))
        #expect(FileManager.default.contents(atPath: backup) == Data(original.utf8))

        let again = try ClientConfigFile(client: .cursor, path: path)
        #expect(try again.installing(name: "pec", entry: Self.entry, force: false) == .unchanged)
        #expect(try again.uninstalling(name: "pec") == .remove(Array(original.utf8)))
        #expect(try again.uninstalling(name: "other") == .absent)
    }

    @Test("a different entry of the same name: refused, replaced with --force")
    func conflict() throws {
        let home = try TemporaryHome()
        let path = try home.file("mcp.json", #"{"mcpServers": {"pec": {"command": "/old/pec-mcp", "args": []}}}"#)
        let file = try ClientConfigFile(client: .cursor, path: path)
        #expect {
            try file.installing(name: "pec", entry: Self.entry, force: false)
        } throws: { error in
            guard case SetupError.conflictingEntry(path, "pec", let existing, _) = error else { return false }
            return existing.contains("/old/pec-mcp")
        }
        let forced = try file.installing(name: "pec", entry: Self.entry, force: true)
        #expect(
            forced
                == .replace(
                    Array(
                        #"{"mcpServers": {"pec": { "command": "/usr/local/bin/pec-mcp", "args": ["--read-only"] }}}"#
                            .utf8
                    )
                )
        )
    }

    @Test("the same entry with its members in another order is the same entry")
    func sameEntryAnyOrder() throws {
        let home = try TemporaryHome()
        let path = try home.file(
            "mcp.json",
            #"{"mcpServers": {"pec": {"args": ["--read-only"], "command": "/usr/local/bin/pec-mcp"}}}"#
        )
        #expect(
            try ClientConfigFile(client: .cursor, path: path).installing(name: "pec", entry: Self.entry, force: false)
                == .unchanged
        )
    }

    @Test("Zed's comments and trailing commas stay; a round trip gives the file back")
    func zedComments() throws {
        let home = try TemporaryHome()
        let original = """
            // Zed settings
            {
              "theme": "One Dark", // mine
              "context_servers": {
                /* a comment inside */
                "other": { "command": "x", }, // trailing
              },
            }

            """
        let path = try home.file("settings.json", original)
        let file = try ClientConfigFile(client: .zed, path: path)
        guard case .add(let bytes) = try file.installing(name: "pec", entry: Self.entry, force: false) else {
            Issue.record("expected an addition")
            return
        }
        let text = String(decoding: bytes, as: UTF8.self)
        for kept in ["// Zed settings", "// mine", "/* a comment inside */", "// trailing"] {
            #expect(text.contains(kept))
        }
        _ = try file.apply(.add(bytes))
        let installed = try ClientConfigFile(client: .zed, path: path)
        #expect(try installed.uninstalling(name: "pec") == .remove(Array(original.utf8)))
    }

    @Test("files that cannot be merged: where, and why")
    func invalid() throws {
        let home = try TemporaryHome()
        func error(_ client: MCPClient, _ text: String) throws -> SetupError? {
            let path = try home.file("f.json", text)
            do {
                _ = try ClientConfigFile(client: client, path: path).installing(
                    name: "pec",
                    entry: Self.entry,
                    force: false
                )
                return nil
            } catch {
                return error
            }
        }
        let path = home.path + "/f.json"
        #expect(
            try error(.cursor, "{\n  \"a\": 1,\n}")
                == .invalidJSON(
                    path: path,
                    line: 2,
                    column: 9,
                    problem: "a comma before } (trailing commas are not allowed in plain JSON)"
                )
        )
        #expect(try error(.zed, "{\n  \"a\": 1,\n}") == nil)
        #expect(try error(.cursor, "[]") == .notAnObject(path: path, key: nil))
        #expect(try error(.zed, #"{"context_servers": null}"#) == .notAnObject(path: path, key: "context_servers"))
        #expect(
            try error(.cursor, #"{"mcpServers": {}, "mcpServers": {}}"#) == .duplicateKey(path: path, key: "mcpServers")
        )
        if case .invalidJSON = try error(.claudeDesktop, "{ // no\n}") {
        } else {
            Issue.record("comments accepted in plain JSON")
        }
    }

    @Test("strings: escapes and non-ASCII read and written back")
    func strings() throws {
        let text = try JSONText(
            Array(#"{"k\u00e8y": "a\"b\\c\n\ud83d\ude00", "n": -1.5e3}"#.utf8),
            allowsComments: false
        )
        let expected = JSONValue.object([
            JSONValue.Member("kèy", .string("a\"b\\c\n😀")), JSONValue.Member("n", .number("-1500")),
        ])
        #expect(text.root?.value.means(expected) == true, "the same in meaning: -1.5e3 is -1500")
        #expect(text.root?.value != expected, "kept as written")
        #expect(JSONValue.string("a\"b\\\u{01}").rendered(indent: "", unit: "") == #""a\"b\\\u0001""#)
    }
}
