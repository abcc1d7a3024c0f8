import ArgumentParser
import PECCore

struct MarkReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mark-read", abstract: "Mark a message as read.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions
    @OptionGroup var message: MessageSelection

    func run() async throws {
        try await message.setUnread(false, accountOptions, global)
    }
}
