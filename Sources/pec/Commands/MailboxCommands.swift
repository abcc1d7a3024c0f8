import ArgumentParser
import PECCore

/// Columns of the text table for message rows; JSON has every field.
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

    @Option(help: "The folder: inbox (default), sent, trash, or any folder name as `pec folders` shows it.")
    var folder: String?

    @Flag(help: "Only unread messages.")
    var unread = false

    @Option(
        name: [.customLong("from"), .customLong("since")],
        help: ArgumentHelp("Only messages since this day.", valueName: "YYYY-MM-DD")
    )
    var since: String?

    @Option(help: "How many messages, newest first; 0 for all.")
    var limit = 20

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (all) or a positive number") }
    }

    func run() async throws {
        let request = ListRequest(
            folder: folder,
            unreadOnly: unread,
            since: try since.map { try CalendarDay.parse($0, option: "--from") },
            limit: limit
        )
        let rows = try await accountOptions.mailbox().list(request)
        try Console.write(global.renderer.render(rows, layout: .table(columns: MessageSummary.textColumns)))
    }
}

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search a folder on the server: subject, sender, body, or all three.",
        discussion: "Spaces and accented letters work: `pec search \"fattura però\"`."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions

    @Argument(help: "The text to look for.")
    var query: String

    @Option(help: "Where to look: subject, from, body or all.")
    var field: SearchRequest.Field = .all

    @Option(help: "The folder (default inbox).")
    var folder: String?

    @Option(
        name: [.customLong("since"), .customLong("from-date")],
        help: ArgumentHelp("Only messages since this day.", valueName: "YYYY-MM-DD")
    )
    var since: String?

    @Option(help: "How many matches, newest first; 0 for all.")
    var limit = 20

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (all) or a positive number") }
    }

    func run() async throws {
        let request = SearchRequest(
            query: query,
            field: field,
            folder: folder,
            since: try since.map { try CalendarDay.parse($0, option: "--since") },
            limit: limit
        )
        let rows = try await accountOptions.mailbox().search(request)
        try Console.write(global.renderer.render(rows, layout: .table(columns: MessageSummary.textColumns)))
    }
}

extension SearchRequest.Field: ExpressibleByArgument {}

struct FoldersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "folders",
        abstract: "List the mailbox's folders.",
        aliases: ["list-folders"]
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions

    @Flag(help: "Also count messages and unread messages in each folder.")
    var counts = false

    func run() async throws {
        let folders = try await accountOptions.mailbox().folders(counts: counts)
        let columns = Folder.textColumns(counts: counts)
        try Console.write(global.renderer.render(folders, layout: .table(columns: columns)))
    }
}

/// The message a command acts on: its id and the folder it is in.
struct MessageSelection: ParsableArguments {
    @Argument(help: "The message id (from `pec list`).")
    var id: UInt32

    @Option(help: "The folder it is in (default inbox).")
    var folder: String?
}

struct MarkReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mark-read", abstract: "Mark a message as read.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions
    @OptionGroup var message: MessageSelection

    func run() async throws {
        try await markUnread(false, message, accountOptions, global)
    }
}

struct MarkUnreadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mark-unread", abstract: "Mark a message as unread.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions
    @OptionGroup var message: MessageSelection

    func run() async throws {
        try await markUnread(true, message, accountOptions, global)
    }
}

private func markUnread(
    _ unread: Bool,
    _ message: MessageSelection,
    _ accountOptions: AccountOptions,
    _ global: GlobalOptions
) async throws {
    let change = try await accountOptions.mailbox().setUnread(unread, id: message.id, folder: message.folder)
    try Console.write(global.renderer.render(record: change))
}

struct MoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Move a message to another folder."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions
    @Argument(help: "The message id (from `pec list`).") var id: UInt32
    @Option(help: "The folder to move it to (must exist).") var to: String
    @Option(name: [.customLong("folder"), .customLong("from")], help: "The folder it is in (default inbox).")
    var folder: String?

    func run() async throws {
        let result = try await accountOptions.mailbox().move(id: id, from: folder, to: to)
        try Console.write(global.renderer.render(record: result))
    }
}
