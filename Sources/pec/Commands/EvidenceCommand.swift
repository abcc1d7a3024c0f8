import ArgumentParser
import Foundation
import PECCore

/// `pec evidence ID` makes a dossier; `pec evidence verify PATH` checks one.
struct EvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence",
        abstract: "Make a court-ready dossier of a sent PEC (message, receipts, report), or check one offline.",
        subcommands: [EvidenceMakeCommand.self, EvidenceVerifyCommand.self],
        defaultSubcommand: EvidenceMakeCommand.self
    )
}

struct EvidenceMakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make",
        abstract: "Write the dossier of a sent PEC: `pec evidence ID [--out PATH]`.",
        discussion: """
            ID is the Message-ID `pec send` printed, or the PEC identificativo. First the receipts not yet \
            in the ledger are looked for (read-only, as `trace`; --no-sync: the ledger only). Then a new \
            directory, or a new zip when PATH ends in .zip (default ./pec-evidence-<short id>; never \
            overwritten), gets: the message exactly as it was handed to SMTP (01-messaggio-inviato.eml), \
            every receipt a gestore signed exactly as received (02-ricevuta-accettazione.eml, \
            03-ricevuta-consegna-<recipient>.eml, …), report.json, report.html (bilingual, printable) and \
            SHA256SUMS (`sha256sum -c SHA256SUMS` checks it). The dossier appears complete or not at all. \
            `complete` says whether every recipient has a certified delivery or failure receipt; a warning \
            says when a delivery receipt is not completa (L. 53/1994 notifications need it). \
            --received UID makes the dossier of a message received instead: its transport envelope exactly \
            as the server holds it (never marked read), its verification, its certification data and the \
            SHA-256 of each of the original's attachments.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions

    @Argument(help: ArgumentHelp("The Message-ID or PEC identificativo of a message sent with pec.", valueName: "id"))
    var id: String?

    @Option(
        help: ArgumentHelp(
            "Instead of a sent message: the dossier of message UID received (its transport envelope).",
            valueName: "uid"
        )
    )
    var received: UInt32?

    @Option(
        help: ArgumentHelp("With --received: the folder (default INBOX).", valueName: "folder"),
        completion: ValueCompletions.folders
    )
    var folder: String?

    @Flag(help: "With --received: fetch a REM dispatch although that is its legal handover to you.")
    var acceptHandover = false

    @Option(help: ArgumentHelp("A new directory, or a new file ending in .zip.", valueName: "path"))
    var out: String?

    @Flag(inversion: .prefixedNo, help: "Look for new receipts on the server first (the default).")
    var sync = true

    @Option(help: ArgumentHelp("Also trust the CA certificates in this PEM file for signatures.", valueName: "file"))
    var caFile: String?

    func validate() throws {
        switch (id, received) {
        case (nil, nil): throw ValidationError("give the ID of a sent message, or --received UID")
        case (.some, .some): throw ValidationError("give either an ID or --received UID, not both")
        case (.some, nil) where folder != nil || acceptHandover:
            throw ValidationError("--folder and --accept-handover go with --received")
        default: break
        }
    }

    func run() async throws {
        // Ctrl-C leaves nothing: the dossier is written under a temporary name, removed on interrupt.
        var service = try accountOptions.context().dossiers(caFiles: caFile.map { [$0] } ?? [])
        service.progress = global.progress
        let result =
            if let received {
                try await service.makeReceived(
                    ReceivedDossierRequest(uid: received, folder: folder, output: out, acceptHandover: acceptHandover)
                )
            } else {
                try await service.make(DossierRequest(id: id ?? "", output: out, sync: sync))
            }
        try Console.write(global.renderer.render(record: result))
    }
}

struct EvidenceVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a dossier offline: `pec evidence verify PATH` (a directory or a zip).",
        discussion: """
            Exit 0 only when every file matches SHA256SUMS, every receipt is certified by a trusted gestore \
            (system store, the PEC CAs pec knows, --ca-file) and is about the message in the dossier (its \
            signed msgid, or REM's AppLayerIdentifier and digest), and every recipient has a certified \
            delivery or failure receipt. Otherwise exit 1, naming each file and what is wrong: altered, \
            missing, unlisted, unsigned, invalid, untrusted, uncertified, other_message, unexpected.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The dossier: a directory or a .zip.", valueName: "path"))
    var path: String

    @Option(help: ArgumentHelp("Also trust the CA certificates in this PEM file.", valueName: "file"))
    var caFile: String?

    func run() async throws {
        let check = try DossierVerifier(trust: PECTrustStore(caFiles: caFile.map { [$0] } ?? [])).verify(path)
        try Console.write(global.renderer.render(record: check))
        guard check.valid else {
            let files = check.files.filter { $0.status != .ok }.map { file in
                "\(file.file) (\(file.status.rawValue)\(file.detail.map { ": \($0)" } ?? ""))"
            }
            throw PECError(
                .invalidInput,
                "\(path) does not prove its message: " + (files + check.problems).joined(separator: "; ")
            )
        }
    }
}
