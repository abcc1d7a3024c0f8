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

    @Option(help: ArgumentHelp("The folder receipts arrive in (default INBOX).", valueName: "folder"))
    var folder: String?

    @Option(help: ArgumentHelp("Also trust the CA certificates in this PEM file for signatures.", valueName: "file"))
    var caFile: String?

    func run() async throws {
        let receipts = try accountOptions.context().receipts(caFiles: caFile.map { [$0] } ?? [])
        let result = try await receipts.sync(SyncRequest(folder: folder))
        try Console.write(global.renderer.render(record: result))
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show where sent PEC stand: per message and per recipient, from the synced receipts.",
        discussion: """
            With an ID (Message-ID or identificativo), that message's status, its recipients and every \
            event; without, the recent sends. Statuses: pending, accepted, relayed, delivered, failed, \
            timed_out. Only receipts signed by a PEC gestore count. Reads the ledger only: run \
            `pec sync` (or keep `pec watch` running) to bring it up to date.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The Message-ID or PEC identificativo.", valueName: "id"))
    var id: String?

    @Option(help: ArgumentHelp("Only the sends of this account (its name or address).", valueName: "account"))
    var account: String?

    @Flag(help: "Only messages still waiting for receipts.")
    var pending = false

    @Flag(help: "Only messages with a failed recipient (or not accepted).")
    var failed = false

    @Flag(help: "Only messages past a deadline (acceptance timeout, 12 h / 24 h delivery).")
    var overdue = false

    @Option(help: "How many sends to list (1-1000).")
    var limit = 20

    var filter: StatusFilter? {
        if pending { return .pending }
        if failed { return .failed }
        if overdue { return .overdue }
        return nil
    }

    func validate() throws {
        guard [pending, failed, overdue].filter({ $0 }).count <= 1 else {
            throw ValidationError("--pending, --failed and --overdue do not go together")
        }
        do throws(PECError) {
            try ResultLimit.checkSends(limit)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        let context = try PECContext(environment: ProcessInfo.processInfo.environment)
        let messages = try context.tracking().status(
            StatusRequest(id: id, account: account.map(context.ledgerAccount), filter: filter, limit: limit)
        )
        if id != nil {
            guard let message = messages.first else { return }
            try Console.write(global.renderer.render(record: message))
        } else {
            try Console.write(
                global.renderer.render(
                    messages,
                    layout: .table(columns: TrackedMessage.textColumns)
                )
            )
        }
    }
}

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Stay connected and print each receipt event as it arrives (IMAP IDLE).",
        discussion: """
            Syncs, then waits for new mail with IDLE (renewed every 25 minutes; reconnects after \
            faults, waiting up to a minute). Each event is printed once, after it is stored; with \
            --json as one NDJSON line. pec_timeout events are printed when a deadline passes. \
            SIGINT or SIGTERM stop it cleanly (exit 130 / 143): an event stored but not yet printed \
            is printed by the next watch. The first watch of an account starts from now.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions

    @Option(help: ArgumentHelp("The folder receipts arrive in (default INBOX).", valueName: "folder"))
    var folder: String?

    @Option(
        help: ArgumentHelp(
            "Run this shell command for each event, with the event as one JSON line on its standard input.",
            valueName: "command"
        )
    )
    var exec: String?

    @Option(help: ArgumentHelp("Also trust the CA certificates in this PEM file for signatures.", valueName: "file"))
    var caFile: String?

    func run() async throws {
        let service = try accountOptions.context().receipts(caFiles: caFile.map { [$0] } ?? [])
        let json = global.json
        let exec = exec
        try await service.watch(WatchRequest(folder: folder)) { event in
            let line = try OutputRenderer(format: .json).render(record: event)
            Console.write(json ? line : Self.textLine(event))
            if let exec { EventHook.run(exec, input: line) }
        }
    }

    /// `2026-11-21T10:00:00Z pec_delivery <id> anna@pec.it`, flagged when no gestore vouches for it.
    static func textLine(_ event: TrackingEvent) -> String {
        var parts = [ISO8601DateFormatter().string(from: event.at), event.kind.rawValue, event.messageID]
        if let recipient = event.recipient { parts.append(TextFormatter.terminalSafe(recipient)) }
        if let deadline = event.deadline { parts.append("(\(deadline.rawValue))") }
        if let errore = event.errore { parts.append("errore=\(TextFormatter.terminalSafe(errore))") }
        if !event.trusted { parts.append("UNTRUSTED: not signed by a PEC gestore") }
        return parts.joined(separator: " ") + "\n"
    }
}

/// `watch --exec`: one shell command per event, the event on its standard input.
enum EventHook {
    /// A hook that takes longer is stopped: the watch must go on.
    static let timeout: TimeInterval = 60

    static func run(_ command: String, input: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.standardError
        do {
            try process.run()
        } catch {
            Console.writeError("warning: --exec could not start /bin/sh: \(error.localizedDescription)\n")
            return
        }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Console.writeError("warning: --exec command stopped after \(Int(timeout)) s\n")
        } else if process.terminationStatus != 0 {
            Console.writeError("warning: --exec command exited with \(process.terminationStatus)\n")
        }
    }
}
