import Foundation
import Logging

@testable import PECCore
@testable import PECTestSupport

/// The use-cases over a scripted server: no sandbox, no network, no retries (a retry would be a
/// second scripted connection).
enum Orchestration {
    static func access(_ connector: ScriptedConnector, retry: RetryPolicy = RetryPolicy(maxRetries: 0)) -> MailboxAccess
    {
        MailboxAccess(
            settings: connector.settings(),
            username: IMAPScript.username,
            password: IMAPScript.password,
            retry: retry,
            passwordIsSaved: false
        )
    }

    static func mailbox(_ connector: ScriptedConnector) -> MailboxService {
        MailboxService(access: access(connector))
    }

    /// Receipt sync and trace as `pec` builds them, over `connector`, recording into `ledger`.
    static func receipts(_ connector: ScriptedConnector, ledger: SendLedger) throws -> ReceiptSyncService {
        ReceiptSyncService(
            access: access(connector),
            account: IMAPScript.username,
            tracking: TrackingService(ledger: ledger, settings: TrackingSettings(acceptanceTimeout: 3600)),
            trust: try PECTrustStore()
        )
    }

    /// Greeting, login, `EXAMINE INBOX` with `count` messages.
    static func examined(_ count: Int, uidValidity: UInt32 = 77, uidNext: UInt32 = 4) -> IMAPScript {
        var imap = IMAPScript()
        imap.greeting()
        imap.login()
        imap.command(
            "EXAMINE INBOX",
            ["* \(count) EXISTS", "* OK [UIDVALIDITY \(uidValidity)] UIDs valid", "* OK [UIDNEXT \(uidNext)] next"],
            completion: "OK [READ-ONLY] Examine completed."
        )
        return imap
    }

    /// A message as an IMAP literal inside a FETCH response.
    static func literal(_ bytes: [UInt8]) -> [UInt8] {
        Array("{\(bytes.count)}\r\n".utf8) + bytes
    }

    /// `* n FETCH (UID u BODY[] {…}…)`: one whole message, the way `get` and sync download it.
    static func wholeMessage(_ bytes: [UInt8], uid: UInt32, sequence: UInt32 = 1) -> [UInt8] {
        Array("* \(sequence) FETCH (UID \(uid) BODY[] ".utf8) + literal(bytes) + Array(")\r\n".utf8)
    }

    /// A PEC header block as `BODY[HEADER.FIELDS (…)]` returns it.
    static func headers(_ lines: [String]) -> [UInt8] {
        Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }
}

/// A private ledger, and the receipt service (sync, watch, trace) recording into it.
struct ReceiptLedger {
    let files: LedgerSandbox
    let ledger: SendLedger

    init() throws {
        files = try LedgerSandbox()
        ledger = try files.open()
    }

    func service(_ connector: ScriptedConnector) throws -> ReceiptSyncService {
        try Orchestration.receipts(connector, ledger: ledger)
    }
}
