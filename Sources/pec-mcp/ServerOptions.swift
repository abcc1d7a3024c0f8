import ArgumentParser

/// The options that start the server: given to `pec-mcp` itself, and to `pec-mcp install`, which writes
/// them into the client's entry.
struct ServerOptions: ParsableArguments {
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

    @Option(
        help: ArgumentHelp(
            "The send ledger: postgresql://…, sqlite:///PATH or a file path (default: PEC_LEDGER_URL, else the local file).",
            valueName: "url"
        )
    )
    var ledger: String?

    @Flag(help: "Log protocol steps and timings on stderr.")
    var verbose = false

    /// These options as the arguments of a client's entry, in the order of `--help`.
    var arguments: [String] {
        var list: [String] = []
        if let account { list += ["--account", account] }
        if readOnly { list.append("--read-only") }
        if allowSend { list.append("--allow-send") }
        for recipient in allowRecipient { list += ["--allow-recipient", recipient] }
        for directory in attachmentsDir { list += ["--attachments-dir", directory] }
        if let saveDir { list += ["--save-dir", saveDir] }
        for file in caFile { list += ["--ca-file", file] }
        if let bodyLimit { list += ["--body-limit", String(bodyLimit)] }
        if let timeout { list += ["--timeout", timeout == timeout.rounded() ? String(Int(timeout)) : String(timeout)] }
        if let ledger { list += ["--ledger", ledger] }
        if verbose { list.append("--verbose") }
        return list
    }
}
