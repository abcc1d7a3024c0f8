import ArgumentParser
import Foundation
import PECCore

/// `--account` and `--timeout`, on every command that talks to the mailbox.
struct AccountOptions: ParsableArguments {
    @Option(help: "The account to use (its name or address); default: `pec auth default`, or the first one logged in.")
    var account: String?

    @Option(help: ArgumentHelp("Seconds to wait for the server on each step (default 30).", valueName: "seconds"))
    var timeout: Double?

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout <= 3600) {
            throw ValidationError("--timeout takes seconds between 0 and 3600")
        }
    }

    /// The mailbox use-cases for the chosen account, with its saved password.
    func mailbox() throws -> MailboxService {
        let store = AccountStore()
        let account = try store.account(named: account ?? ProcessInfo.processInfo.environment["PEC_ACCOUNT"])
        return MailboxService(access: try MailboxAccess(account: account, store: store, timeout: timeout))
    }
}
