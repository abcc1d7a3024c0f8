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
            Options given on the command line are added to (lists) or win over (single values) the environment.
            """,
        version: "pec-mcp \(PECVersion.current)"
    )

    @Option(help: "The account to use (its name or address); default: `pec auth default`, or the first one logged in.")
    var account: String?

    @Flag(help: "Offer no tool that sends or changes anything: pec_send is not listed at all.")
    var readOnly = false

    @Flag(
        help:
            "Offer pec_send (off by default: a PEC is legally binding). Needs --allow-recipient; not with --read-only."
    )
    var allowSend = false

    @Option(
        help: ArgumentHelp(
            "A directory pec_send may attach files from (repeatable). Default: none, no attachments.",
            valueName: "dir"
        )
    )
    var attachmentsDir: [String] = []

    @Option(
        help: ArgumentHelp(
            "The directory pec_get may save attachments into, and pec_evidence write dossiers into. Default: none.",
            valueName: "dir"
        )
    )
    var saveDir: String?

    @Option(
        help: ArgumentHelp(
            "With --allow-send: pec_send may write only to this address, or a whole @domain (repeatable); * for anyone.",
            valueName: "address"
        )
    )
    var allowRecipient: [String] = []

    @Option(
        help: ArgumentHelp("Also trust these CA certificates for gestore signatures (repeatable).", valueName: "file")
    )
    var caFile: [String] = []

    @Option(
        help: ArgumentHelp(
            "Characters of a message body returned at most (longer ones are cut, and say so). Default: \(ServerConfiguration.defaultBodyLimit).",
            valueName: "n"
        )
    )
    var bodyLimit: Int?

    @Option(help: ArgumentHelp("Seconds to wait for the server on each step (default 30).", valueName: "seconds"))
    var timeout: Double?

    @Flag(help: "Log protocol steps and timings on stderr.")
    var verbose = false

    static func main() async {
        let start = ContinuousClock.now
        let command: PecMCP
        do {
            command = try parse()
        } catch {
            let code = exitCode(for: error)
            if code.isSuccess {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data("pec-mcp: error: \(message(for: error))\n".utf8))
            Foundation.exit(1)
        }
        LoggingSystem.bootstrap { label in
            StderrLogHandler(label: label, program: "pec-mcp", level: command.verbose ? .debug : .warning, start: start)
        }
        do {
            let configuration = try ServerConfiguration(command, environment: ProcessInfo.processInfo.environment)
            try await PECServer(configuration: configuration).run(
                transport: LineStdioTransport(logger: Logger(label: "pec-mcp.stdio"))
            )
        } catch let error as PECError {
            FileHandle.standardError.write(Data("pec-mcp: error: \(error.agentText)\n".utf8))
            Foundation.exit(1)
        } catch {
            FileHandle.standardError.write(Data("pec-mcp: error: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }
}
