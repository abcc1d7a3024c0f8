import ArgumentParser
import PECCore

/// The MCP clients `pec-mcp install` knows: where each keeps its servers, and in what form.
enum MCPClient: String, CaseIterable, Sendable, ExpressibleByArgument {
    case claudeDesktop = "claude-desktop"
    case cursor
    case `continue`
    case zed

    var displayName: String {
        switch self {
        case .claudeDesktop: "Claude Desktop"
        case .cursor: "Cursor"
        case .continue: "Continue"
        case .zed: "Zed"
        }
    }

    /// The object the servers are listed in, at the top of the file.
    var serversKey: String {
        self == .zed ? "context_servers" : "mcpServers"
    }

    /// Zed's settings are JSON with comments and trailing commas; the others are read as plain JSON.
    var allowsComments: Bool { self == .zed }

    /// Continue reads every JSON file in `~/.continue/mcpServers/` (in the Claude Desktop format), so
    /// pec gets a file of its own there, rather than an edit of the user's `config.yaml`; it is
    /// deleted again when uninstalling leaves it empty.
    var ownsFile: Bool { self == .continue }

    /// The server entry: the same for all four (Zed's custom servers take `command` and `args` too).
    func entry(command: String, arguments: [String]) -> JSONValue {
        .object([
            JSONValue.Member("command", .string(command)),
            JSONValue.Member("args", .array(arguments.map(JSONValue.string))),
        ])
    }

    /// The file a server named `name` goes into, at this client's standard place on `platform`.
    func configurationPath(serverName name: String, on platform: HostPlatform, environment: [String: String])
        throws(SetupError) -> String
    {
        let home = try platform.home(environment)
        let path = platform.path
        switch (self, platform) {
        case (.claudeDesktop, .macOS):
            return path(home, "Library", "Application Support", "Claude", "claude_desktop_config.json")
        case (.claudeDesktop, .windows):
            return path(platform.appData(environment, home: home), "Claude", "claude_desktop_config.json")
        case (.claudeDesktop, .linux):
            return path(platform.xdgConfigHome(environment, home: home), "Claude", "claude_desktop_config.json")
        case (.cursor, _):
            return path(home, ".cursor", "mcp.json")
        case (.continue, _):
            return path(home, ".continue", "mcpServers", "\(name).json")
        case (.zed, .windows):
            return path(platform.appData(environment, home: home), "Zed", "settings.json")
        // Zed reads ~/.config/zed on macOS too, whatever XDG_CONFIG_HOME says.
        case (.zed, .macOS):
            return path(home, ".config", "zed", "settings.json")
        case (.zed, .linux):
            return path(platform.xdgConfigHome(environment, home: home), "zed", "settings.json")
        }
    }
}

/// Where a client's files are depends on the system; a parameter, so each system's paths can be tested anywhere.
enum HostPlatform: String, Sendable, CaseIterable {
    case linux, macOS, windows

    static var current: HostPlatform {
        #if os(macOS)
            .macOS
        #elseif os(Windows)
            .windows
        #else
            .linux
        #endif
    }

    func path(_ first: String, _ rest: String...) -> String {
        let separator = self == .windows ? "\\" : "/"
        return rest.reduce(first) { $0.hasSuffix(separator) ? $0 + $1 : $0 + separator + $1 }
    }

    func home(_ environment: [String: String]) throws(SetupError) -> String {
        let names = self == .windows ? ["USERPROFILE", "HOME"] : ["HOME"]
        for name in names {
            if let value = environment[name], !value.isEmpty { return value }
        }
        throw SetupError.noHome(variable: names[0])
    }

    func xdgConfigHome(_ environment: [String: String], home: String) -> String {
        // The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored.
        if let value = environment["XDG_CONFIG_HOME"], value.hasPrefix("/") { return value }
        return path(home, ".config")
    }

    func appData(_ environment: [String: String], home: String) -> String {
        if let value = environment["APPDATA"], !value.isEmpty { return value }
        return path(home, "AppData", "Roaming")
    }
}
