import ArgumentParser
import PECCore

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Check saved PEC and REM messages, or REM evidence files, offline: kind, certification data, signatures.",
        discussion: """
            Exit 0 only when every message is a certified PEC: a valid signature from a trusted gestore \
            that vouches for its kind (`pec_type`); any other file (unsigned, untrusted, a daticert that \
            does not match, an ambiguous structure, not a PEC at all) makes the exit 1, after every file \
            is reported. Read standard input with `-`. The signature is checked at its signing time against the system \
            trust store, the PEC CAs pec knows (AgID CA1, DigitPA CA1) and --ca-file. \
            A REM message (PEC europea, ETSI EN 319 532) is certified when its provider's S/MIME signature \
            and every evidence's own XAdES signature hold (`standard: rem`, `rem.evidence[]`). A file that is \
            an XML document is read as a standalone ETSI evidence (EN 319 522-3) and its XAdES signature checked.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(
        help: ArgumentHelp(
            "Message files (.eml), REM evidence files (.xml), or - for standard input.",
            valueName: "file"
        )
    )
    var files: [String]

    @Flag(help: "Include the parsed certification data (daticert.xml).")
    var cert = false

    @Option(help: ArgumentHelp("Also trust the CA certificates in this PEM file.", valueName: "file"))
    var caFile: String?

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one message file (or - for stdin)") }
    }

    func run() throws {
        let results = try MessageFiles.verify(
            files,
            caFiles: caFile.map { [$0] } ?? [],
            options: MessageReader.Options(certification: cert, verbose: global.verbose)
        )
        try Console.write(global.renderer.render(results, layout: .fields))
        let failed = results.filter { !$0.isCertified }
        guard failed.isEmpty else {
            throw PECError(
                .invalidInput,
                "\(failed.count) of \(results.count) file(s) are not certified PEC or REM: "
                    + failed.map { "\($0.file ?? "?") (\(Self.reason($0)))" }.joined(separator: ", ")
            )
        }
    }

    /// Why a file is not certified, in a word or two: the signature's status when it is not valid,
    /// else the kind it only claims.
    static func reason(_ details: MessageDetails) -> String {
        let status = details.signature?.status
        if status != .valid { return status?.rawValue ?? "unchecked" }
        if let claimed = details.claimedPECType { return "claims \(claimed.rawValue), not certified" }
        return details.standard == .rem ? "not certified REM" : "not a PEC"
    }
}
