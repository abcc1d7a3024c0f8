import ArgumentParser
import PECCore

struct MarkUnreadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mark-unread", abstract: "Mark a message as unread.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions
    @OptionGroup var message: MessageSelection

    func run() async throws {
        try await message.setUnread(true, accountOptions, global)
    }
}
