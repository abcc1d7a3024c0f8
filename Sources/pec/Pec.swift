import ArgumentParser
import PECCore

/// The root command: only groups the subcommands.
struct Pec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pec",
        abstract: "Italian PEC (Posta Elettronica Certificata) from the terminal.",
        discussion: """
            Reads, verifies, sends and traces certified email over IMAP and SMTP.
            --json, --verbose and --ledger work before or after any subcommand.

            Exit codes: 0 ok, 1 error, 2 not authenticated, 3 refused to send.
            """,
        version: PECVersion.current,
        subcommands: [
            AuthCommand.self, ListCommand.self, SearchCommand.self, FoldersCommand.self, MarkReadCommand.self,
            MarkUnreadCommand.self, MoveCommand.self, GetCommand.self, VerifyCommand.self, SendCommand.self,
            TraceCommand.self, SyncCommand.self, StatusCommand.self, WatchCommand.self, EventsCommand.self,
            EvidenceCommand.self,
            ProvidersCommand.self, DoctorCommand.self, WorkersCommand.self, LedgerCommand.self,
        ]
    )

    @OptionGroup var global: GlobalOptions
}
