import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// `pec sync` over a scripted server with real Aruba receipts: candidates by header, download as
/// evidence, signature check, events in the ledger exactly once.
@Suite(
    "Receipt sync over a scripted server",
    .enabled(if: SignatureFixtures.corpusAvailable, "shared fixtures (shared/fixtures/pec) not found")
)
struct SyncOrchestrationTests {
    /// The PEC and REM header fields sync reads of every candidate, as the client writes them.
    static let fieldList = ReceiptSyncService.headerFields.map { $0.uppercased() }.joined(separator: " ")
    static let candidateHeaders = "BODY.PEEK[HEADER.FIELDS (\(fieldList))]"
    static let fields = "BODY[HEADER.FIELDS (\(fieldList))]"

    let receipts: ReceiptLedger
    var ledger: SendLedger { receipts.ledger }

    init() throws { receipts = try ReceiptLedger() }

    func service(_ connector: ScriptedConnector) throws -> ReceiptSyncService { try receipts.service(connector) }

    @Test func recordsAcceptanceAndDeliveryOnce() async throws {
        let acceptance = try SignatureFixtures.corpus("OCA_l10n-italy_ACCETTAZIONE_IT03339130126_00009.eml")
        let delivery = try SignatureFixtures.corpus("OCA_l10n-italy_CONSEGNA_IT03339130126_00009.eml")
        var imap = Orchestration.examined(3)
        imap.search("UID 1:*", found: [1, 2, 3])
        let candidates = [
            (1, "X-Ricevuta: accettazione"), (2, "Subject: ordinary mail"), (3, "X-Ricevuta: avvenuta-consegna"),
        ]
        imap.command(
            "UID FETCH 1:3 (UID \(Self.candidateHeaders))",
            fetched: candidates.map { uid, line in
                FetchReply(uid: UInt32(uid), sections: [(Self.fields, Orchestration.headers([line]))])
            }
        )
        imap.command(
            "UID FETCH 1,3 (UID BODY.PEEK[])",
            fetched: [
                FetchReply(uid: 1, sections: [("BODY[]", acceptance)]),
                FetchReply(uid: 3, sections: [("BODY[]", delivery)]),
            ]
        )
        imap.logout()
        // A second sync starts after the last UID seen and finds nothing new.
        var again = Orchestration.examined(3)
        again.search("UID 4:*", found: [3])
        again.logout()
        let connector = ScriptedConnector(imap.steps, again.steps)
        let service = try service(connector)

        let first = try await service.sync(SyncRequest())
        let second = try await service.sync(SyncRequest())

        connector.verify()
        #expect(first.scanned == 3)
        #expect(first.receipts == 2)
        #expect(first.events.map(\.kind) == [.acceptance, .delivery])
        #expect(first.events.allSatisfy { $0.trusted })
        #expect(first.events.last?.recipient == "l.battistini@pec.it")
        #expect(Set(first.events.map(\.messageID)).count == 1)
        #expect(second.scanned == 0)
        #expect(second.recorded == 0)
        let stored = try ledger.syncedFolder(account: IMAPScript.username, folder: "INBOX")
        #expect(stored?.uidValidity == 77)
        #expect(stored?.lastUID == 3)
    }
}
