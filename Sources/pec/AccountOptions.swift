import ArgumentParser
import Foundation
import PECCore

/// `--account` and `--timeout`, on every command that talks to the mailbox: the adapter from
/// flags to the one ``PECContext``.
struct AccountOptions: ParsableArguments {
    @Option(
        help: "The account to use (its name or address); default: `pec auth default`, or the first one logged in.",
        completion: ValueCompletions.accounts
    )
    var account: String?

    @Option(help: ArgumentHelp("Seconds to wait for the server on each step (default 30).", valueName: "seconds"))
    var timeout: Double?

    func validate() throws {
        do throws(PECError) {
            _ = try context()
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Where every use-case of this command comes from (`PEC_ACCOUNT` when --account is not given).
    func context() throws(PECError) -> PECContext {
        try PECContext(environment: ProcessInfo.processInfo.environment, account: account, timeout: timeout)
    }

    /// The mailbox use-cases for the chosen account, with its saved password.
    func mailbox() throws -> MailboxService {
        try context().mailbox()
    }
}
