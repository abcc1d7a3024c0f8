import ArgumentParser
import PECCore

/// The message a command acts on: its id and the folder it is in.
struct MessageSelection: ParsableArguments {
    @Argument(help: "The message id (from `pec list`).")
    var id: UInt32

    @Option(help: "The folder it is in (default inbox).", completion: ValueCompletions.folders)
    var folder: String?
}

extension MessageSelection {
    /// `mark-read` and `mark-unread`: flag the message and print the change.
    func setUnread(_ unread: Bool, _ accountOptions: AccountOptions, _ global: GlobalOptions) async throws {
        let change = try await accountOptions.mailbox().setUnread(unread, id: id, folder: folder)
        try Console.write(global.renderer.render(record: change))
    }
}
