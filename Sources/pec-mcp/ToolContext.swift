import Foundation
import NIOConcurrencyHelpers
import PECCore

/// What every tool call works with. The account is read anew on each call, so a `pec auth login`
/// while the server runs takes effect without a restart; the IMAP session is kept between calls.
final class ToolContext: Sendable {
    let configuration: ServerConfiguration
    let environment: [String: String]
    let keeper = IMAPSessionKeeper()
    private let openLedger = NIOLockedValueBox<SendLedger?>(nil)
    /// Asks the human to confirm a send when the client can (MCP elicitation); nil when it cannot.
    let confirmation: SendConfirmation

    init(
        configuration: ServerConfiguration,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        confirmation: SendConfirmation
    ) {
        self.configuration = configuration
        self.environment = environment
        self.confirmation = confirmation
    }

    func account() throws -> (Account, AccountStore) {
        let store = AccountStore(environment: environment)
        return (try store.account(named: configuration.account), store)
    }

    func mailbox() throws -> MailboxService {
        let (account, store) = try account()
        var access = try MailboxAccess(account: account, store: store, timeout: configuration.timeout)
        access.keeper = keeper
        return MailboxService(access: access)
    }

    func sender() throws -> SendService {
        let (account, store) = try account()
        var service = SendService(
            account: account,
            password: try store.password(for: account),
            ledger: try ledger(),
            timeout: configuration.timeout
        )
        service.policy = configuration.sendPolicy
        return service
    }

    /// Receipt tracking over the ledger, with the deadlines of the environment (`PEC_ACCEPTANCE_TIMEOUT`).
    func tracking() throws -> TrackingService {
        TrackingService(ledger: try ledger(), settings: try TrackingSettings(environment: environment))
    }

    /// The send ledger, opened once.
    func ledger() throws -> SendLedger {
        if let ledger = openLedger.withLockedValue({ $0 }) { return ledger }
        let ledger = try SendLedger(at: SendLedger.defaultLocation(environment: environment))
        openLedger.withLockedValue { $0 = ledger }
        return ledger
    }
}
