import ArgumentParser
import Foundation
import PECCore

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a PEC (it has the legal weight of a registered letter).",
        discussion: """
            At a terminal, pec shows what it is about to send and asks for confirmation. Without a \
            terminal it refuses (exit 3) unless --yes is given. Every send is recorded in a local \
            ledger first ($XDG_STATE_HOME/pec/ledger.sqlite): the same content is never sent twice by \
            accident (--resend sends it again as a new message). A message goes to all its recipients \
            or to none. If the connection breaks after the message was handed over, pec says the send \
            is uncertain and never retries it: `pec trace ID` shows whether the provider accepted it.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions

    @Option(name: .long, help: ArgumentHelp("Recipient (repeatable, or comma-separated).", valueName: "address"))
    var to: [String] = []

    @Option(name: .long, help: ArgumentHelp("Copy recipient (repeatable, or comma-separated).", valueName: "address"))
    var cc: [String] = []

    @Option(help: "The subject.")
    var subject: String

    @Option(help: "The message text.")
    var body: String?

    @Option(
        help: ArgumentHelp("Read the message text (UTF-8) from this file, or - for standard input.", valueName: "file")
    )
    var file: String?

    @Option(name: .long, help: ArgumentHelp("Attach this file (repeatable).", valueName: "file"))
    var attach: [String] = []

    @Option(
        help: ArgumentHelp(
            "Kind of delivery receipt: completa (default at most providers), breve, sintetica.",
            valueName: "type"
        )
    )
    var receipt: ReceiptType?

    @Flag(help: "Check everything and show what would be sent, without contacting the server.")
    var dryRun = false

    @Flag(help: "Send without asking (needed when not at a terminal).")
    var yes = false

    @Flag(help: "Send again a message the ledger says was already sent, as a new message with a new id.")
    var resend = false

    @Option(
        help: ArgumentHelp(
            "Your own reference for this send (an invoice number, a case id): every event and status record carries it.",
            valueName: "id"
        )
    )
    var ref: String?

    /// The message text is read whole; files belong in attachments.
    static let textLimit = 10_000_000

    func validate() throws {
        guard !splitAddresses(to).isEmpty else { throw ValidationError("give at least one recipient with --to") }
        switch (body, file) {
        case (nil, nil): throw ValidationError("give the message text with --body, or --file (- for standard input)")
        case (.some, .some): throw ValidationError("give the message text with --body or with --file, not both")
        default: break
        }
    }

    func run() async throws {
        let text = try messageText()
        var sender = try accountOptions.context().sender()
        sender.progress = global.progress
        let draft = OutgoingMessage(
            from: sender.account.address,
            to: splitAddresses(to),
            cc: splitAddresses(cc),
            subject: subject,
            body: text,
            attachments: attach.map { URL(fileURLWithPath: $0) },
            receipt: receipt
        )
        let result = try await sender.run(
            SendRequest(draft: draft, resend: resend, ref: ref),
            dryRun: dryRun,
            confirm: confirm
        )
        try Console.write(global.renderer.render(record: result))
        if let error = result.error { throw error }
    }

    private func splitAddresses(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
    }

    /// The text as given; from a file or standard input read up to just over the size core
    /// accepts (core refuses it then), and refused when it is not UTF-8.
    private func messageText() throws -> String {
        if let body { return body }
        guard let file else { return "" }
        let readLimit = OutgoingMessage.maximumTextSize + 1
        let data: Data
        if file == "-" {
            data = (try? FileHandle.standardInput.read(upToCount: readLimit)) ?? Data()
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue,
                let handle = FileHandle(forReadingAtPath: file)
            else {
                throw PECError(.io, "cannot read the message text from \(file)")
            }
            defer { try? handle.close() }
            data = (try? handle.read(upToCount: readLimit)) ?? Data()
        }
        guard let text = String(data: data, encoding: .utf8) else {
            // Cut at the read limit, valid UTF-8 may end mid-character: that is the size problem.
            if data.count == readLimit { return String(decoding: data, as: UTF8.self) }
            throw PECError(
                .invalidInput,
                "the message text from \(file == "-" ? "standard input" : file) is not UTF-8",
                hint: "convert it first, e.g. iconv -f latin1 -t utf-8"
            )
        }
        return text
    }

    /// At a terminal: show the message and ask (default no). Elsewhere: only with --yes.
    private func confirm(_ prepared: PreparedSend) throws {
        if yes { return }
        guard isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else {
            throw PECError(
                .sendRefused,
                "not sending without confirmation: standard input is not a terminal",
                hint: "add --yes to send from a script, or --dry-run to check the message first"
            )
        }
        let lines = prepared.confirmationLines(indent: "  ", safe: TextFormatter.oneLine)
        let summary =
            "About to send a PEC:\n" + lines.joined(separator: "\n")
            + "\nIt has the legal weight of a registered letter. Send it? [y/N] "
        Console.writeError(summary)
        let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        guard ["y", "yes", "s", "si", "sì"].contains(answer) else {
            throw PECError(.sendRefused, "not sent: not confirmed")
        }
    }
}

extension ReceiptType: ExpressibleByArgument {}
