import ArgumentParser
import Foundation
import PECCore

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
            Console.write(json ? line : event.textLine)
            if let exec { await EventHook.run(exec, input: line) }
        }
    }
}
