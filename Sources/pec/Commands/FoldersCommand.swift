import ArgumentParser
import PECCore

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
