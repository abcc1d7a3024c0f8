import NIOConcurrencyHelpers

/// The send ledger of a process, opened on first use and then kept: PECContext, the contexts it makes for other
/// accounts and its account store (shared accounts) hold one handle, so a process opens one ledger.
final class LedgerHandle: Sendable {
    private let open: @Sendable () throws(PECError) -> SendLedger
    private let opened = NIOLockedValueBox<SendLedger?>(nil)

    init(_ open: @escaping @Sendable () throws(PECError) -> SendLedger) {
        self.open = open
    }

    /// The ledger `environment` selects (``SendLedger/open(environment:)``).
    convenience init(environment: [String: String]) {
        self.init { () throws(PECError) in try SendLedger.open(environment: environment) }
    }

    /// The ledger once opened, else nil (without opening it).
    var openedLedger: SendLedger? { opened.withLockedValue { $0 } }

    func ledger() throws(PECError) -> SendLedger {
        do {
            return try opened.withLockedValue { opened in
                if let opened { return opened }
                let ledger = try open()
                opened = ledger
                return ledger
            }
        } catch let error as PECError {
            throw error
        } catch {
            throw PECError(.internal, "cannot open the ledger: \(error)")
        }
    }
}
