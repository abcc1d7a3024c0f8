import ArgumentParser
import Foundation
import PECCore

struct WorkersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "List the pool of watch workers sharing the PostgreSQL ledger.",
        discussion: """
            One line per worker (`pec watch --all-accounts` on PEC_LEDGER_URL's ledger): its id \
            (host:pid:tag), whether it renewed within its lease time, how many accounts it holds, and \
            when it last renewed; --json adds the accounts and the webhooks it delivers. A worker that \
            is not live was killed or lost the database: its accounts are taken over when its leases \
            expire. Reads the ledger only.
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let context = try PECContext(environment: ProcessInfo.processInfo.environment)
        let ledger = try context.ledger()
        guard ledger.isShared else {
            throw PECError(
                .usage,
                "there is no pool: the ledger is the local file \(ledger.displayName)",
                hint: "pool workers share a PostgreSQL ledger: set PEC_LEDGER_URL=postgresql://… for them and here"
            )
        }
        let workers = try ledger.poolStatus()
        try Console.write(global.renderer.render(workers, layout: .table(columns: PoolWorkerStatus.textColumns)))
        guard !global.json else { return }
        if workers.isEmpty { Console.write("no worker in the pool\n") }
        let held = Set(workers.filter(\.live).flatMap(\.accounts))
        let unheld = try context.store.accounts().map(\.name).filter { !held.contains($0) }
        if !unheld.isEmpty {
            Console.write(
                "accounts held by no live worker: \(unheld.map(TextFormatter.oneLine).joined(separator: ", "))\n"
            )
        }
    }
}
