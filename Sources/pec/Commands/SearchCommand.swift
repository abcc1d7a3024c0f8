import ArgumentParser
import PECCore

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

    @OptionGroup var messages: MessageQuery

    func run() async throws {
        let request = SearchRequest(
            query: query,
            field: field,
            folder: messages.folder,
            since: try messages.day(),
            limit: messages.limit
        )
        let rows = try await accountOptions.mailbox().search(request)
        try Console.write(global.renderer.render(rows, layout: .table(columns: MessageSummary.textColumns)))
    }
}

extension SearchRequest.Field: ExpressibleByArgument {}
