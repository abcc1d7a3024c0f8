import ArgumentParser
import Foundation
import PECCore

/// `pec events`: the stored receipt events, in order, for applications that poll.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print the stored receipt events in order, after a sequence number: a feed for applications.",
        discussion: """
            Every event the ledger holds (receipts recorded by sync, watch and trace; deadlines passed) has \
            a sequence number `seq`, increasing. Poll with --after the last seq you processed: nothing is \
            missed and nothing repeats. With --json, one event per line (as `watch --json` prints them), \
            with `seq` and, for a send made with --ref, `ref`. Reads the ledger only: keep `pec watch` or \
            `pec sync` running to fill it.

            --parked lists the events a webhook refused for good (any answer but 2xx, 408, 425, 429, \
            5xx), with the webhook (`target`) and its answer (`parked_reason`); --retry queues them all \
            again: the next `pec watch` with that webhook delivers them first.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only events after this sequence number (default 0: from the first).", valueName: "seq"))
    var after: Int64 = 0

    @Option(help: "How many events at most (1-\(EventsRequest.maximumLimit)).")
    var limit = 100

    @Option(
        help: ArgumentHelp("Only the events of this account (its name or address).", valueName: "account"),
        completion: ValueCompletions.accounts
    )
    var account: String?

    @Flag(help: "List the events a webhook refused (parked) instead.")
    var parked = false

    @Flag(help: "Queue every parked event again, for the next `pec watch` with its webhook.")
    var retry = false

    func validate() throws {
        if parked && retry { throw ValidationError("--parked and --retry do not go together") }
        guard after >= 0 else { throw ValidationError("--after must be 0 or more") }
        guard (1...EventsRequest.maximumLimit).contains(limit) else {
            throw ValidationError("--limit must be 1 to \(EventsRequest.maximumLimit)")
        }
    }

    func run() throws {
        let context = try PECContext(environment: ProcessInfo.processInfo.environment)
        let json = OutputRenderer(format: .json)
        if retry {
            let count = try context.ledger().requeueParked()
            Console.write(
                global.json ? "{\"requeued\":\(count)}\n" : "re-queued \(count) parked event(s)\n"
            )
            return
        }
        if parked {
            for entry in try context.ledger().parkedEvents() {
                Console.write(
                    global.json
                        ? try json.render(record: entry)
                        : "\(entry.event.seq) \(TextFormatter.oneLine(entry.target)) \(TextFormatter.oneLine(entry.reason)) "
                            + entry.event.textLine
                )
            }
            return
        }
        let page = try context.tracking().events(
            EventsRequest(after: after, limit: limit, account: account.map(context.ledgerAccount))
        )
        for event in page.events {
            Console.write(global.json ? try json.render(record: event) : "\(event.seq) \(event.textLine)")
        }
    }
}
