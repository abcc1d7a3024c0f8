import ArgumentParser
import Foundation
import PECCore

/// `pec events`: the stored receipt events, in order, for applications that poll.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print the stored receipt events in order, after a sequence number: a feed for applications.",
        discussion: """
            Every event the ledger holds (receipts recorded by sync, watch and trace; deadlines passed) has \
            a sequence number `seq`, increasing. Poll with --after the last seq you processed: nothing is \
            missed and nothing repeats. With --json, one event per line (as `watch --json` prints them), \
            with `seq` and, for a send made with --ref, `ref`. Reads the ledger only: keep `pec watch` or \
            `pec sync` running to fill it.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only events after this sequence number (default 0: from the first).", valueName: "seq"))
    var after: Int64 = 0

    @Option(help: "How many events at most (1-\(EventsRequest.maximumLimit)).")
    var limit = 100

    @Option(help: ArgumentHelp("Only the events of this account (its name or address).", valueName: "account"))
    var account: String?

    func validate() throws {
        guard after >= 0 else { throw ValidationError("--after must be 0 or more") }
        guard (1...EventsRequest.maximumLimit).contains(limit) else {
            throw ValidationError("--limit must be 1 to \(EventsRequest.maximumLimit)")
        }
    }

    func run() async throws {
        let context = try PECContext(environment: ProcessInfo.processInfo.environment)
        let page = try context.tracking().events(
            EventsRequest(after: after, limit: limit, account: account.map(context.ledgerAccount))
        )
        let json = OutputRenderer(format: .json)
        for event in page.events {
            Console.write(global.json ? try json.render(record: event) : "\(event.seq) \(event.textLine)")
        }
    }
}
