import ArgumentParser
import Foundation
import PECCore

/// `pec ledger`: the ledger's upkeep, for whoever looks after it: its schema, and moving its data between a
/// user's file and a team's PostgreSQL database.
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Update the send ledger's schema, or copy its data to and from a SQLite file.",
        discussion: """
            The ledger is the file ~/.local/state/pec/ledger.sqlite, or what PEC_LEDGER_URL or --ledger \
            names: a PostgreSQL database (postgresql://USER:PASSWORD@HOST:5432/DATABASE?sslmode=…&schema=…), \
            or a SQLite ledger file elsewhere (sqlite:///PATH, or the path alone).
            """,
        subcommands: [Migrate.self, Export.self, Import.self]
    )

    @OptionGroup var global: GlobalOptions

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the ledger's pending schema steps, and say which.",
            discussion: """
                Every command brings the schema up to date when it opens the ledger; this does it on \
                purpose, e.g. by a DBA before the workers of a new pec start. --status only shows the \
                steps applied and pending, and changes nothing (a missing ledger file is not created). A \
                ledger updated by a newer pec is refused.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Only show the schema steps applied and pending; apply none.")
        var status = false

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            let report = try SendLedger.migrate(
                LedgerLocation(environment: environment),
                environment: environment,
                applying: !status
            )
            Console.write(global.json ? try global.renderer.render(record: report) : Self.text(report))
        }

        static func text(_ report: LedgerMigrationReport) -> String {
            if !report.applied.isEmpty {
                return "\(report.ledger): schema steps \(report.stepsBefore) → \(report.stepsAfter) "
                    + "(\(report.applied.joined(separator: ", ")))\n"
            }
            if report.isUpToDate { return "\(report.ledger): up to date (\(report.stepsKnown) steps)\n" }
            return "\(report.ledger): \(report.stepsBefore) of \(report.stepsKnown) schema steps; pending: "
                + "\(report.pending.joined(separator: ", ")) (apply them with `pec ledger migrate`)\n"
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the ledger in use into a new SQLite ledger file.",
            discussion: """
                Copies every send (with its recipients and attachments), receipt event (with its seq), \
                folder sync position, watch and delivery cursor and parked event, in one consistent \
                read; with --account, only that account's. The file is written under a temporary name \
                beside FILE and renamed once complete, mode 0600: a failure leaves no file. An existing \
                FILE is refused unless --force.

                Not copied: the worker pool's state (workers, leases), which means something only in the \
                database it runs on, and the team's shared accounts, whose passwords are under the team's \
                key. Nor the receipts' evidence files (the receipts directory beside a ledger file).
                """
        )

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case sqlite
        }

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("The kind of file to write: sqlite (the only one).", valueName: "format"))
        var to: Format = .sqlite

        @Argument(help: ArgumentHelp("The new ledger file.", valueName: "file"), completion: .file())
        var file: String

        @Option(
            help: ArgumentHelp(
                "Only the sends and events of this account (its name or address).",
                valueName: "account"
            ),
            completion: ValueCompletions.accounts
        )
        var account: String?

        @Flag(help: "Replace FILE if it exists.")
        var force = false

        func run() throws {
            // Ctrl-C removes the half-written temporary file.
            Interrupts.install()
            let context = try PECContext(environment: ProcessInfo.processInfo.environment)
            let report = try context.ledger().export(
                to: URL(fileURLWithPath: file),
                account: account.map(context.ledgerAccount),
                replacing: force
            )
            Console.write(global.json ? try global.renderer.render(record: report) : LedgerCommand.text(report))
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge a SQLite ledger file into the ledger in use.",
            discussion: """
                Reads FILE (never changes it; it must have this pec's schema: `pec --ledger FILE ledger \
                migrate` updates it) and adds, in one transaction, what the ledger in use lacks: sends \
                whose Message-ID it does not have (with their recipients and attachments), receipt events \
                it does not have, folder sync positions for folders it has not read, parked events. \
                Importing the same file again adds nothing.

                Imported events are numbered after the ledger's own (a new seq), so the file's watch and \
                delivery cursors, positions in its own numbering, are not imported: a watch or webhook of \
                the ledger in use may print or deliver an imported event once more, never skip one.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The SQLite ledger file to import.", valueName: "file"), completion: .file())
        var file: String

        @Option(
            help: ArgumentHelp(
                "Only the sends and events of this account (its name or address).",
                valueName: "account"
            ),
            completion: ValueCompletions.accounts
        )
        var account: String?

        func run() throws {
            let context = try PECContext(environment: ProcessInfo.processInfo.environment)
            let report = try context.ledger().importLedger(
                from: URL(fileURLWithPath: file),
                account: account.map(context.ledgerAccount)
            )
            Console.write(global.json ? try global.renderer.render(record: report) : LedgerCommand.text(report))
        }
    }

    /// One line per table, then what was left out.
    static func text(_ report: LedgerTransferReport) -> String {
        let verb = report.operation == .export ? "exported" : "imported"
        let scope = report.account.map { " (account \($0))" } ?? ""
        var lines = ["\(verb) \(report.from) → \(report.to)\(scope):"]
        for count in report.tables {
            let present = count.alreadyPresent.map { ", \($0) already present" } ?? ""
            lines.append("  \(count.table): \(count.copied)\(present)")
        }
        for (table, reason) in report.notCopied.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(table): not \(verb) (\(reason))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
