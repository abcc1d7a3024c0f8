import ArgumentParser
import Foundation
import PECCore

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Read the receipts that arrived since the last sync and record them in the ledger.",
        discussion: """
            Only mail that arrived after the last sync is looked at (a change of the folder's \
            UIDVALIDITY reads it again, without duplicating anything); nothing is marked read. Each \
            receipt's gestore signature is checked and its bytes are kept beside the ledger as \
            evidence. Deadlines that passed (PEC_ACCEPTANCE_TIMEOUT, 12 h / 24 h for delivery) are \
            recorded as pec_timeout events.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions

    @Option(
        help: ArgumentHelp("The folder receipts arrive in (default INBOX).", valueName: "folder"),
        completion: ValueCompletions.folders
    )
    var folder: String?

    @Option(help: ArgumentHelp("Also trust the CA certificates in this PEM file for signatures.", valueName: "file"))
    var caFile: String?

    func run() async throws {
        var receipts = try accountOptions.context().receipts(caFiles: caFile.map { [$0] } ?? [])
        receipts.progress = global.progress
        let result = try await receipts.sync(SyncRequest(folder: folder))
        try Console.write(global.renderer.render(record: result))
    }
}
