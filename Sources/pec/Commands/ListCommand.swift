import ArgumentParser
import PECCore

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the newest messages of a folder (headers only; nothing is marked read).",
        discussion: """
            Rows are newest first. `id` is the message's IMAP UID, what `get`, `mark-read` and `move` take. \
            `pec_type` says what the message is in PEC terms (posta-certificata, accettazione, \
            avvenuta-consegna, errore-consegna, …); ordinary mail has none.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions
    @OptionGroup var query: MessageQuery

    @Flag(help: "Only unread messages.")
    var unread = false

    func run() async throws {
        let request = ListRequest(folder: query.folder, unreadOnly: unread, since: try query.day(), limit: query.limit)
        let rows = try await accountOptions.mailbox().list(request)
        try Console.write(global.renderer.render(rows, layout: .table(columns: MessageSummary.textColumns)))
    }
}
