import Foundation

/// The one place `pec` and `pec-mcp` build their use-cases from: which account, how long to wait,
/// the ledger (opened once per process), and every service over them. The environment is given,
/// never read from the process here, so tests and front-ends decide what core sees.
public final class PECContext: Sendable {
    public let environment: [String: String]
    /// The account asked for (a name or an address), else `PEC_ACCOUNT`; nil: the default account.
    public let accountName: String?
    public let timeout: ConnectionTimeout?
    public let store: AccountStore
    /// Shared with the contexts ``forAccount(_:)`` makes and with `store` (shared accounts): one ledger a process.
    private let openLedger: LedgerHandle

    public init(environment: [String: String], account: String? = nil, timeout: Double? = nil) throws(PECError) {
        self.environment = environment
        accountName = account ?? environment["PEC_ACCOUNT"].flatMap { $0.isEmpty ? nil : $0 }
        self.timeout = try timeout.map { seconds throws(PECError) in try ConnectionTimeout(seconds: seconds) }
        openLedger = LedgerHandle(environment: environment)
        store = AccountStore(environment: environment, ledger: openLedger)
    }

    /// The same settings and the same open ledger, for another account (a watch of several accounts).
    public func forAccount(_ name: String) -> PECContext {
        PECContext(environment: environment, accountName: name, timeout: timeout, store: store, openLedger: openLedger)
    }

    private init(
        environment: [String: String],
        accountName: String?,
        timeout: ConnectionTimeout?,
        store: AccountStore,
        openLedger: LedgerHandle
    ) {
        self.environment = environment
        self.accountName = accountName
        self.timeout = timeout
        self.store = store
        self.openLedger = openLedger
    }

    /// A digest of the chosen account's saved password, read anew: how a watch notices a `pec auth
    /// login` after the server rejected the old one, without keeping the password itself.
    public func passwordFingerprint() throws(PECError) -> String {
        let password = try store.password(for: account())
        return (try? SHA256Digest.hash(Array(password.utf8))).map(SHA256Digest.hex) ?? ""
    }

    /// The chosen account, read anew on each call (a `pec auth login` meanwhile takes effect).
    public func account() throws(PECError) -> Account {
        try store.account(named: accountName)
    }

    /// The ledger's name for the account `nameOrAddress` names (the ledger knows accounts by
    /// name): a saved account's name, or the text as given when no saved account matches.
    public func ledgerAccount(_ nameOrAddress: String) -> String {
        (try? store.account(named: nameOrAddress).name) ?? nameOrAddress
    }

    /// The chosen account's mailbox with its saved password; `keeper` keeps the session between calls.
    public func access(keeper: IMAPSessionKeeper? = nil) throws -> MailboxAccess {
        try access(to: account(), keeper: keeper)
    }

    private func access(to account: Account, keeper: IMAPSessionKeeper?) throws -> MailboxAccess {
        var access = try MailboxAccess(account: account, store: store, timeout: timeout?.seconds)
        access.keeper = keeper
        return access
    }

    public func mailbox(keeper: IMAPSessionKeeper? = nil) throws -> MailboxService {
        MailboxService(access: try access(keeper: keeper))
    }

    /// Sending from the chosen account, under `policy`, recorded in the ledger.
    public func sender(policy: SendPolicy = .unrestricted) throws -> SendService {
        let account = try account()
        var service = SendService(
            account: account,
            password: try store.password(for: account),
            ledger: try ledger(),
            timeout: timeout?.seconds
        )
        service.policy = policy
        service.duplicateWindow = try DuplicateWindow(environment: environment)
        service.loginHistory = LoginHistory(environment: environment)
        return service
    }

    /// Receipt tracking over the ledger, with the deadlines of the environment (`PEC_ACCEPTANCE_TIMEOUT`).
    public func tracking() throws -> TrackingService {
        TrackingService(ledger: try ledger(), settings: try TrackingSettings(environment: environment))
    }

    /// The chosen account's receipt reader, trusting also the CA certificates in `caFiles`.
    public func receipts(caFiles: [String] = [], keeper: IMAPSessionKeeper? = nil) throws -> ReceiptSyncService {
        try receipts(trust: try PECTrustStore(caFiles: caFiles), keeper: keeper)
    }

    /// The same with a trust store already loaded (a watch of many accounts loads the system roots once).
    public func receipts(trust: PECTrustStore, keeper: IMAPSessionKeeper? = nil) throws -> ReceiptSyncService {
        let account = try account()
        return ReceiptSyncService(
            access: try access(to: account, keeper: keeper),
            account: account.name,
            tracking: try tracking(),
            trust: trust
        )
    }

    /// Evidence dossiers of this account's sent messages (`pec evidence`).
    public func dossiers(caFiles: [String] = [], keeper: IMAPSessionKeeper? = nil) throws -> DossierService {
        DossierService(receipts: try receipts(caFiles: caFiles, keeper: keeper))
    }

    /// The checks of `pec doctor` for the chosen account.
    public func doctor() throws(PECError) -> DoctorService {
        DoctorService(account: try account(), store: store, timeout: timeout?.seconds)
    }

    /// The send ledger, opened on first use and then shared: the PostgreSQL database `PEC_LEDGER_URL` names,
    /// else the file at its default place.
    public func ledger() throws -> SendLedger {
        try openLedger.ledger()
    }
}
