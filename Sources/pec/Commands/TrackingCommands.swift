import ArgumentParser
import Foundation
import PECCore

/// What `sync`, `status` and `watch` share: the ledger, the deadlines, the trust store.
struct TrackingContext {
    let tracking: TrackingService

    init() throws {
        let environment = ProcessInfo.processInfo.environment
        tracking = TrackingService(
            ledger: try SendLedger(at: SendLedger.defaultLocation(environment: environment)),
            settings: try TrackingSettings(environment: environment)
        )
    }

    /// The account's receipt reader, trusting also the CA certificates of `caFile`.
    func receipts(_ options: AccountOptions, caFile: String?) throws -> ReceiptSyncService {
        let store = AccountStore()
        let account = try store.account(named: options.account ?? ProcessInfo.processInfo.environment["PEC_ACCOUNT"])
        return ReceiptSyncService(
            access: try MailboxAccess(account: account, store: store, timeout: options.timeout),
            account: account.name,
            tracking: tracking,
            trust: try PECTrustStore(caFiles: caFile.map { [$0] } ?? [])
        )
    }
}

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
        let result = try await TrackingContext().receipts(accountOptions, caFile: caFile).sync(
            SyncRequest(folder: folder)
        )
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
        guard (1...1000).contains(limit) else { throw ValidationError("--limit takes a number between 1 and 1000") }
    }

    func run() async throws {
        // The ledger knows accounts by name; an address (or name) of a saved account is mapped to it.
        let ledgerAccount = account.map { (try? AccountStore().account(named: $0).name) ?? $0 }
        let messages = try TrackingContext().tracking.status(
            StatusRequest(id: id, account: ledgerAccount, filter: filter, limit: limit)
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
        let service = try TrackingContext().receipts(accountOptions, caFile: caFile)
        let json = global.json
        let exec = exec
        try await service.watch(WatchRequest(folder: folder)) { event in
            let line = try OutputRenderer(format: .json).render(record: event)
            Console.write(json ? line : Self.textLine(event))
            if let exec { await EventHook.run(exec, input: line) }
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
