import ArgumentParser
import PECCore

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show one message: sender, subject, body, attachments; for a PEC, the original inside.",
        discussion: """
            For a received PEC (busta di trasporto) the fields describe the sender's original message \
            (postacert.eml) and `envelope` the transport. `pec_type` is given only when a gestore's \
            signature vouches for it; otherwise `claimed_pec_type` and a warning say it is not certified. \
            Nothing is marked read. A REM message (PEC europea) has `standard: rem` and `rem` (event, reason \
            code, evidence); for a REM dispatch the fields describe the original inside it, and reading it is \
            its legal handover to you, which the output records as `handover: true` (the provider may \
            certify it with ContentHandover evidence). `pec list` reads headers only: no handover.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions
    @OptionGroup var message: MessageSelection

    @Flag(help: "Include the parsed certification data (daticert.xml).")
    var cert = false

    @Flag(help: "Include the S/MIME signature check.")
    var verify = false

    @Option(
        help: ArgumentHelp(
            "Save the attachments into this directory (created, mode 0700, if missing).",
            valueName: "dir"
        )
    )
    var saveAttachments: String?

    @Option(help: ArgumentHelp("Save the whole message, as received, to this new file.", valueName: "file"))
    var saveEml: String?

    @Option(help: ArgumentHelp("Also trust the CA certificates in this PEM file for --verify.", valueName: "file"))
    var caFile: String?

    func run() async throws {
        var request = GetRequest(
            id: message.id,
            folder: message.folder,
            options: MessageReader.Options(certification: cert, signature: verify, verbose: global.verbose),
            saveAttachments: saveAttachments,
            saveEML: saveEml,
            caFiles: caFile.map { [$0] } ?? []
        )
        request.progress = global.progress
        let details = try await accountOptions.mailbox().get(request)
        try Console.write(global.renderer.render(record: details))
    }
}
