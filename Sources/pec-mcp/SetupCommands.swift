import ArgumentParser
import Foundation
import PECCore

/// What `install` and `uninstall` share: which client, which file, which entry.
struct ClientSelection: ParsableArguments {
    @Option(help: "The MCP client: \(MCPClient.allCases.map(\.rawValue).joined(separator: ", ")).")
    var client: MCPClient

    @Option(help: ArgumentHelp("Use this configuration file instead of the client's standard one.", valueName: "file"))
    var config: String?

    @Option(help: "The server's name in the client's configuration.")
    var name = "pec"

    @Flag(help: "Show what would change, and write nothing.")
    var dryRun = false

    @Flag(help: "Print one JSON record instead of text.")
    var json = false

    func validate() throws {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }),
            !name.hasPrefix(".")
        else { throw SetupError.invalidServerName(name) }
    }

    func configurationFile() throws(SetupError) -> ClientConfigFile {
        let environment = ProcessInfo.processInfo.environment
        let path: String
        if let config {
            path = config.hasPrefix("/") ? config : FileManager.default.currentDirectoryPath + "/" + config
        } else {
            path = try client.configurationPath(serverName: name, on: .current, environment: environment)
        }
        return try ClientConfigFile(client: client, path: path)
    }

    /// The text or JSON report of what was done (or, with --dry-run, would be).
    func report(_ change: ClientConfigFile.Change, file: ClientConfigFile, entry: JSONValue?, backup: String?) {
        let created = file.original == nil
        let action: String
        switch change {
        case .add: action = created ? "created" : "added"
        case .replace: action = "replaced"
        case .unchanged: action = "unchanged"
        case .remove(let bytes): action = bytes == nil ? "removed_file" : "removed"
        case .absent: action = "absent"
        }
        if json {
            var record: [JSONValue.Member] = [
                JSONValue.Member("client", .string(client.rawValue)), JSONValue.Member("path", .string(file.path)),
                JSONValue.Member("name", .string(name)), JSONValue.Member("action", .string(action)),
                JSONValue.Member("dry_run", .bool(dryRun)),
                JSONValue.Member("backup", backup.map(JSONValue.string) ?? .null),
            ]
            if let entry { record.append(JSONValue.Member("entry", entry)) }
            print(JSONText.compact(.object(record)))
            return
        }
        let server = "the \(name) server"
        let clientFile = "\(client.displayName)'s configuration, \(file.path)"
        switch change {
        case .add:
            print("\(dryRun ? "Would add" : "Added") \(server) to \(clientFile)\(created ? " (a new file)" : "")")
        case .replace: print("\(dryRun ? "Would replace" : "Replaced") \(server) in \(clientFile)")
        case .unchanged: print("The \(name) server is already in \(clientFile), as it is: nothing changed")
        case .remove(let bytes):
            print(
                "\(dryRun ? "Would remove" : "Removed") \(server) from \(clientFile)\(bytes == nil ? " (pec's own file: deleted)" : "")"
            )
        case .absent: print("There is no \(name) server in \(clientFile): nothing to remove")
        }
        if case .add = change, !file.directoryExisted {
            let directory = (file.path as NSString).deletingLastPathComponent
            print("Note: \(directory) did not exist: is \(client.displayName) installed?")
        }
        if let backup { print("Backup of the previous file: \(backup)") }
        if dryRun, let entry { print(file.snippet(name: name, entry: entry)) }
        if !dryRun, change.writes { print("Restart \(client.displayName) (or reload its MCP servers) to apply it.") }
    }
}

/// `pec-mcp install --client …`: adds this pec-mcp, with the server options given, to a client's configuration.
struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add the pec server to an MCP client's configuration (Claude Desktop, Cursor, Continue, Zed).",
        discussion: """
            The entry runs this pec-mcp with the server options given here, never a password (pec-mcp uses the account saved by `pec auth login`). The client's file is edited in place: its other servers, settings and (in Zed) comments are kept, the previous file is backed up beside it, and nothing is written when the same entry is already there.

            Standard files:
              claude-desktop  claude_desktop_config.json in
                              macOS: ~/Library/Application Support/Claude/
                              Linux: $XDG_CONFIG_HOME/Claude/ (~/.config/Claude/)
                              Windows: %APPDATA%\\Claude\\
              cursor          ~/.cursor/mcp.json
              continue        ~/.continue/mcpServers/pec.json (a file of pec's own)
              zed             macOS: ~/.config/zed/settings.json
                              Linux: $XDG_CONFIG_HOME/zed/settings.json
                              Windows: %APPDATA%\\Zed\\settings.json
            """
    )

    @OptionGroup var selection: ClientSelection

    @Flag(help: "Replace a different server entry of the same name.")
    var force = false

    @OptionGroup(title: "Server options (written into the entry)") var server: ServerOptions

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        do {
            // The rules the server applies at start-up (--allow-send needs --allow-recipient, directories
            // that exist): refused now rather than by a client that shows no error.
            _ = try ServerConfiguration(server, environment: [:])
        } catch {
            throw SetupError.invalidServerOptions(error.message + (error.hint.map { " (\($0))" } ?? ""))
        }
        guard let command = ExecutablePath.current(environment: environment) else {
            throw SetupError.executableNotFound
        }
        let entry = selection.client.entry(command: command, arguments: server.arguments)
        let file = try selection.configurationFile()
        let change = try file.installing(name: selection.name, entry: entry, force: force)
        let backup = selection.dryRun ? nil : try file.apply(change)
        selection.report(change, file: file, entry: entry, backup: backup)
    }
}

/// `pec-mcp uninstall --client …`: removes the pec server from a client's configuration, and nothing else.
struct Uninstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove the pec server from an MCP client's configuration (its other servers are kept)."
    )

    @OptionGroup var selection: ClientSelection

    func run() throws {
        let file = try selection.configurationFile()
        let change = try file.uninstalling(name: selection.name)
        let backup = selection.dryRun ? nil : try file.apply(change)
        selection.report(change, file: file, entry: nil, backup: backup)
    }
}
