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
        let store = AccountStore()
        let account = try store.account(
            named: accountOptions.account ?? ProcessInfo.processInfo.environment["PEC_ACCOUNT"]
        )
        let service = try SendService(account: account, store: store, timeout: accountOptions.timeout)
        let request = SendRequest(
            to: splitAddresses(to),
            cc: splitAddresses(cc),
            subject: subject,
            body: try messageText(),
            attachments: attach,
            receipt: receipt,
            resend: resend
        )
        let prepared = try service.prepare(request)
        if dryRun {
            try Console.write(global.renderer.render(record: service.dryRun(prepared)))
            return
        }
        try confirm(prepared)
        let result = try await service.send(prepared)
        try Console.write(global.renderer.render(record: result))
        if let error = result.error { throw error }
    }

    private func splitAddresses(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
    }

    private func messageText() throws -> String {
        if let body { return body }
        guard let file else { return "" }
        let data: Data
        if file == "-" {
            data = (try? FileHandle.standardInput.read(upToCount: Self.textLimit + 1)) ?? Data()
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue,
                let handle = FileHandle(forReadingAtPath: file)
            else {
                throw PECError(.io, "cannot read the message text from \(file)")
            }
            defer { try? handle.close() }
            // One byte over the limit is enough to know it is too long.
            data = (try? handle.read(upToCount: Self.textLimit + 1)) ?? Data()
        }
        guard data.count <= Self.textLimit else {
            throw PECError(.invalidInput, "the message text is over 10 MB", hint: "attach large content with --attach")
        }
        guard let text = String(data: data, encoding: .utf8) else {
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
        let message = prepared.message
        var summary = "About to send a PEC from \(message.from):\n"
        summary += "  To:          \(message.to.joined(separator: ", "))\n"
        if !message.cc.isEmpty { summary += "  Cc:          \(message.cc.joined(separator: ", "))\n" }
        summary += "  Subject:     \(TextFormatter.terminalSafe(message.subject))\n"
        summary += "  Text:        \(message.body.utf8.count) bytes\n"
        for attachment in prepared.composed.attachments {
            summary += "  Attachment:  \(TextFormatter.terminalSafe(attachment.filename)) (\(attachment.size) bytes)\n"
        }
        summary += "  Message-ID:  \(prepared.composed.messageID)\n"
        if let earlier = prepared.resendOf {
            summary += "  Resending:   the same content as \(earlier.messageID)\n"
        }
        summary += "It has the legal weight of a registered letter. Send it? [y/N] "
        Console.writeError(summary)
        let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        guard ["y", "yes", "s", "si", "sì"].contains(answer) else {
            throw PECError(.sendRefused, "not sent: not confirmed")
        }
    }
}

extension ReceiptType: ExpressibleByArgument {}
