import Foundation
import PECCore

/// What every tool call works with: the one ``PECContext`` of this server (the account is read
/// anew on each call, so a `pec auth login` while the server runs takes effect without a
/// restart), the IMAP session kept between calls, and how to ask the human.
final class ToolContext: Sendable {
    let configuration: ServerConfiguration
    let core: PECContext
    let keeper = IMAPSessionKeeper()
    /// Asks the human to confirm a send when the client can (MCP elicitation); nil when it cannot.
    let confirmation: SendConfirmation
    /// The one-time tokens of the two-call confirmation, for clients that cannot elicit.
    let approvals: SendApprovals
    /// The rate limit's slots taken by asking (a prompt or a token), before asking.
    let confirmationSlots: ConfirmationSlots

    init(
        configuration: ServerConfiguration,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        confirmation: SendConfirmation,
        approvals: SendApprovals = SendApprovals()
    ) throws(PECError) {
        self.configuration = configuration
        core = try PECContext(environment: environment, account: configuration.account, timeout: configuration.timeout)
        self.confirmation = confirmation
        self.approvals = approvals
        confirmationSlots = ConfirmationSlots(limit: configuration.rateLimit)
    }

    func mailbox() throws -> MailboxService { try core.mailbox(keeper: keeper) }

    func sender() throws -> SendService { try core.sender(policy: configuration.sendPolicy) }

    func tracking() throws -> TrackingService { try core.tracking() }

    func receipts() throws -> ReceiptSyncService { try core.receipts(caFiles: configuration.caFiles, keeper: keeper) }

    func ledger() throws -> SendLedger { try core.ledger() }
}
