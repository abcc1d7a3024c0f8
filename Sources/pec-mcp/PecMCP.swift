import ArgumentParser
import Foundation
import Logging
import MCP
import PECCore

/// `pec-mcp`: the PEC tools over MCP stdio, for Claude Desktop, Cursor and any MCP client.
/// stdout carries JSON-RPC only: every log line goes to stderr.
@main
struct PecMCP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pec-mcp",
        abstract: "MCP stdio server for PEC (Posta Elettronica Certificata): list, read, verify, trace and send.",
        discussion: """
            Uses the account saved by `pec auth login`. Nothing is contacted until the first tool call.
            Every option can also be set in the environment (an MCP client's config usually does that):
              PEC_ACCOUNT                   --account
              PEC_MCP_READ_ONLY=1           --read-only
              PEC_MCP_ALLOW_SEND=1          --allow-send
              PEC_MCP_ATTACHMENT_DIRS       --attachments-dir (several, separated by ':')
              PEC_MCP_SAVE_DIR              --save-dir
              PEC_MCP_ALLOWED_RECIPIENTS    --allow-recipient (several, separated by ',')
              PEC_MCP_CA_FILES              --ca-file (several, separated by ':')
              PEC_MCP_BODY_LIMIT            --body-limit
              PEC_LEDGER_URL                --ledger
            Options given on the command line are added to (lists) or win over (single values) the environment.
            """,
        version: "pec-mcp \(PECVersion.current)",
        // Beside the server, not instead of it: `pec-mcp [options]` with no subcommand serves, as always.
        subcommands: [Install.self, Uninstall.self]
    )

    @OptionGroup var options: ServerOptions

    static func main() async {
        let start = ContinuousClock.now
        let parsed: ParsableCommand
        do {
            parsed = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            if code.isSuccess {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            try? FileHandle.standardError.write(contentsOf: Data("pec-mcp: error: \(message(for: error))\n".utf8))
            Foundation.exit(1)
        }
        guard let command = parsed as? PecMCP else {
            runSetup(parsed)
        }
        LoggingSystem.bootstrap { label in
            StderrLogHandler(
                label: label,
                program: "pec-mcp",
                level: command.options.verbose ? .debug : .warning,
                start: start
            )
        }
        do {
            if let ledger = command.options.ledger {
                // As `pec --ledger`: the environment every tool call reads the ledger's location from.
                let location = try LedgerLocation(ledger, source: "--ledger")
                setenv(LedgerLocation.environmentKey, location.environmentValue(original: ledger), 1)
            }
            let configuration = try ServerConfiguration(command, environment: ProcessInfo.processInfo.environment)
            try await PECServer(configuration: configuration).run(
                transport: LineStdioTransport(logger: Logger(label: "pec-mcp.stdio"))
            )
        } catch let error as PECError {
            try? FileHandle.standardError.write(contentsOf: Data("pec-mcp: error: \(error.agentText)\n".utf8))
            Foundation.exit(1)
        } catch {
            try? FileHandle.standardError.write(contentsOf: Data("pec-mcp: error: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }

    /// `install` or `uninstall`: quick file edits, reported on stdout; errors as the server's are.
    private static func runSetup(_ parsed: ParsableCommand) -> Never {
        var command = parsed
        do {
            try command.run()
            Foundation.exit(0)
        } catch let error as SetupError {
            try? FileHandle.standardError.write(contentsOf: Data("pec-mcp: error: \(error)\n".utf8))
        } catch {
            // `--help` too arrives here, as the help command's "error".
            if exitCode(for: error).isSuccess {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            try? FileHandle.standardError.write(contentsOf: Data("pec-mcp: error: \(message(for: error))\n".utf8))
        }
        Foundation.exit(1)
    }
}
