import ArgumentParser
import PECCore

/// `--folder`, `--since` and `--limit`: which messages `list` and `search` look at.
struct MessageQuery: ParsableArguments {
    @Option(
        help: "The folder: inbox (default), sent, trash, or any folder name as `pec folders` shows it.",
        completion: ValueCompletions.folders
    )
    var folder: String?

    @Option(
        name: [.customLong("since"), .customLong("from"), .customLong("from-date")],
        help: ArgumentHelp("Only messages since this day.", valueName: "YYYY-MM-DD")
    )
    var since: String?

    @Option(help: "How many messages, newest first; 0 for all.")
    var limit = 20

    /// Checked before anything is contacted, by the rules the mailbox use-cases apply.
    func validate() throws {
        do {
            try ResultLimit.checkMessages(limit)
            _ = try day()
        } catch let error as PECError {
            throw ValidationError(error.message)
        }
    }

    func day() throws -> CalendarDay? {
        try since.map { try CalendarDay.parse($0, option: "--since") }
    }
}
