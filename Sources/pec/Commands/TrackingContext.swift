import Foundation
import PECCore

/// What `sync`, `status`, `watch` and `trace` share: the ledger, the deadlines, the trust store.
struct TrackingContext {
    let tracking: TrackingService

    init() throws {
        let environment = ProcessInfo.processInfo.environment
        tracking = TrackingService(
            ledger: try SendLedger(at: SendLedger.defaultLocation(environment: environment)),
            settings: try TrackingSettings(environment: environment)
        )
    }

    /// The account's receipt reader, trusting also the CA certificates of `caFile`.
    func receipts(_ options: AccountOptions, caFile: String?) throws -> ReceiptSyncService {
        let store = AccountStore()
        let account = try store.account(named: options.account ?? ProcessInfo.processInfo.environment["PEC_ACCOUNT"])
        return ReceiptSyncService(
            access: try MailboxAccess(account: account, store: store, timeout: options.timeout),
            account: account.name,
            tracking: tracking,
            trust: try PECTrustStore(caFiles: caFile.map { [$0] } ?? [])
        )
    }
}
