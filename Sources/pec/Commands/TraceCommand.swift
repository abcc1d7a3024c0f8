import ArgumentParser
import Foundation
import PECCore

struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Show the receipts of a sent PEC and where each recipient stands.",
        discussion: """
            ID is the Message-ID `pec send` printed, or the PEC identificativo (opec…), with or without \
            <>. Receipts are found by a server-side search, however old. Each one found is verified: \
            downloaded once into the evidence store beside the ledger (a second trace reads it from \
            disk), its gestore signature checked as `get --verify` does, and recorded in the ledger as \
            `sync` records it, so `pec status ID` then says the same. Statuses: pending, accepted, \
            relayed, delivered, failed, timed_out; only receipts signed by a PEC gestore count. \
            --no-verify only reads headers and daticert.xml: quick, nothing recorded, nothing \
            trusted, so nobody shows as accepted or delivered (`verified: false`).
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions

    @Argument(help: ArgumentHelp("The Message-ID or PEC identificativo.", valueName: "id"))
    var id: String

    @Option(
        help: ArgumentHelp("The folder to look in (default INBOX).", valueName: "folder"),
        completion: ValueCompletions.folders
    )
    var folder: String?

    @Flag(help: "Look in every folder.")
    var allFolders = false

    @Flag(
        inversion: .prefixedNo,
        help:
            "Verify each receipt's gestore signature (the default); --no-verify reads headers only and trusts nothing."
    )
    var verify = true

    @Option(help: ArgumentHelp("Also trust the CA certificates in this PEM file for signatures.", valueName: "file"))
    var caFile: String?

    func validate() throws {
        if allFolders && folder != nil { throw ValidationError("--folder and --all-folders do not go together") }
    }

    func run() async throws {
        let result = try await accountOptions.context().receipts(caFiles: caFile.map { [$0] } ?? []).trace(
            TraceRequest(id: id, folder: folder, allFolders: allFolders, verify: verify)
        )
        try Console.write(global.renderer.render(record: result))
    }
}
