import ArgumentParser
import Foundation
import PECCore

struct StatusCommand: ParsableCommand {
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

    @Option(
        help: ArgumentHelp("Only the sends of this account (its name or address).", valueName: "account"),
        completion: ValueCompletions.accounts
    )
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

    func run() throws {
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
