import ArgumentParser
import PECCore

struct MoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Move a message to another folder."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var accountOptions: AccountOptions
    @Argument(help: "The message id (from `pec list`).") var id: UInt32
    @Option(help: "The folder to move it to (must exist).", completion: ValueCompletions.folders) var to: String
    @Option(
        name: [.customLong("folder"), .customLong("from")],
        help: "The folder it is in (default inbox).",
        completion: ValueCompletions.folders
    )
    var folder: String?

    func run() async throws {
        let result = try await accountOptions.mailbox().move(id: id, from: folder, to: to)
        try Console.write(global.renderer.render(record: result))
    }
}
