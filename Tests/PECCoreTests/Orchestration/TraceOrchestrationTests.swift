import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

/// `pec trace` over a scripted server: the header search, the download into the evidence store,
/// the signature check, and a second trace that reads the receipts from disk.
@Suite(
    "Trace over a scripted server",
    .enabled(if: SignatureFixtures.corpusAvailable, "shared fixtures (shared/fixtures/pec) not found")
)
struct TraceOrchestrationTests {
    /// The Message-ID the Aruba receipts of the shared fixtures refer to.
    static let messageID =
        "<1542123565.921546936035156.464602125997431-openerp-8-fatturapa.attachment.out@elbati-Vostro-3550>"
    static let search = "HEADER X-Riferimento-Message-ID \(messageID)"
    /// REM receipts name the message in REM-UAMessageIdentifier: a second search, which finds none here.
    static let remSearch = "HEADER REM-UAMessageIdentifier \(messageID)"

    let receipts: ReceiptLedger
    var ledger: SendLedger { receipts.ledger }

    init() throws { receipts = try ReceiptLedger() }

    func service(_ connector: ScriptedConnector) throws -> ReceiptSyncService { try receipts.service(connector) }

    @Test("receipts are downloaded once; the signed ones deliver, the forged one is kept but trusted for nothing")
    func verifiedTraceThenFromDisk() async throws {
        let acceptance = try SignatureFixtures.corpus("OCA_l10n-italy_ACCETTAZIONE_IT03339130126_00009.eml")
        let delivery = try SignatureFixtures.corpus("OCA_l10n-italy_CONSEGNA_IT03339130126_00009.eml")
        let forged = ReceiptSearchTests.forgedDelivery(reference: Self.messageID)
        var imap = Orchestration.examined(3)
        imap.search(Self.search, found: [1, 2, 3])
        imap.search(Self.remSearch, found: [])
        imap.command(
            "UID FETCH 1:3 (UID BODY.PEEK[])",
            fetched: [
                FetchReply(uid: 1, sections: [("BODY[]", acceptance)]),
                FetchReply(uid: 2, sections: [("BODY[]", forged)]),
                FetchReply(uid: 3, sections: [("BODY[]", delivery)]),
            ]
        )
        imap.logout()
        // The second trace finds the same UIDs and downloads nothing.
        var again = Orchestration.examined(3)
        again.search(Self.search, found: [1, 2, 3])
        again.search(Self.remSearch, found: [])
        again.logout()
        let connector = ScriptedConnector(imap.steps, again.steps)
        let service = try service(connector)

        let first = try await service.trace(TraceRequest(id: Self.messageID))
        let second = try await service.trace(TraceRequest(id: Self.messageID))

        connector.verify()
        #expect(first.verified == true)
        #expect(first.downloaded == 3)
        #expect(first.recipients.map(\.address) == ["l.battistini@pec.it"])
        #expect(first.recipients.map(\.status) == [.delivered])
        #expect(second.downloaded == 0)
        #expect(second.recipients.map(\.status) == [.delivered])
        let events = try ledger.events(messageID: Self.messageID)
        #expect(events.filter(\.trusted).map(\.kind) == [.acceptance, .delivery])
        // An unsigned daticert is no certification data: the forgery names nobody.
        #expect(events.filter { !$0.trusted }.map(\.kind) == [.delivery])
        #expect(events.filter { !$0.trusted }.map(\.recipient) == [nil])
        #expect(first.untrustedEvents == 1)
    }

    @Test("--no-verify: headers and daticert only, nothing recorded, nobody delivered")
    func headerOnlyLook() async throws {
        let forged = ReceiptSearchTests.forgedDelivery(reference: Self.messageID)
        var imap = Orchestration.examined(1)
        imap.search(Self.search, found: [1])
        imap.search(Self.remSearch, found: [])
        imap.command(
            startingWith: "UID FETCH 1 (UID BODYSTRUCTURE",
            [
                "* 1 FETCH (UID 1 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 20 1 NIL NIL NIL NIL)(\"application\" \"xml\" (\"name\" \"daticert.xml\") NIL NIL \"7bit\" 900 NIL (\"attachment\" (\"filename\" \"daticert.xml\")) NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL))"
            ],
            completion: "OK Fetch completed."
        )
        let daticert = ReceiptSearchTests.daticert(
            kind: "avvenuta-consegna",
            consegna: ReceiptSearchTests.anna,
            msgid: Self.messageID
        )
        imap.command(
            "UID FETCH 1 (UID BODY.PEEK[2])",
            fetched: [FetchReply(uid: 1, sections: [("BODY[2]", Array(daticert.utf8))])]
        )
        imap.logout()
        let connector = ScriptedConnector(imap.steps)
        let service = try service(connector)

        let tracked = try await service.trace(TraceRequest(id: Self.messageID, verify: false))

        connector.verify()
        #expect(tracked.verified == false)
        #expect(tracked.events?.map(\.kind) == [.delivery])
        #expect(tracked.events?.allSatisfy { !$0.trusted } == true)
        #expect(tracked.recipients.allSatisfy { $0.status != .delivered && $0.status != .accepted })
        #expect(try ledger.events(messageID: Self.messageID).isEmpty)
    }
}
