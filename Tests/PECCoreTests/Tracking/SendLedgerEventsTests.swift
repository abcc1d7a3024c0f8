import Foundation
import Testing

@testable import PECCore

@Suite("SendLedger: tracking events, sync positions, the watch cursor")
struct SendLedgerEventsTests {
    typealias Fixture = TrackingStatusDerivationTests

    @Test(
        "an event is stored once: the same receipt again (a resync, another folder) adds nothing",
        arguments: LedgerStore.available
    )
    func storedOnce(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        var delivery = Fixture.event(.delivery, after: 2, recipient: Fixture.anna, seq: 7)
        delivery.signature = SignatureCheck(status: .valid, signerEmail: "posta-certificata@pec.example.it")
        delivery.warnings = ["una nota"]
        let first = try ledger.recordEvents([Fixture.event(.acceptance, after: 1, seq: 3), delivery])
        #expect(first.map(\.seq) == [1, 2])
        var again = delivery
        again.evidence?.folder = "Ricevute"
        let second = try ledger.recordEvents([again])
        #expect(second.isEmpty)

        let stored = try ledger.events(messageID: "m1@pec.example.it")
        #expect(stored.map(\.kind) == [.acceptance, .delivery])
        let read = try #require(stored.last)
        #expect(read.signature == delivery.signature)
        #expect(read.warnings == ["una nota"])
        #expect(read.evidence == delivery.evidence)
        #expect(read.recipient == Fixture.anna)
        #expect(read.at == delivery.at)
    }

    @Test(
        "one receipt about two recipients is two events; a deadline is stored once per recipient",
        arguments: LedgerStore.available
    )
    func uniqueKeys(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        let relayAnna = Fixture.event(.relay, after: 1, recipient: Fixture.anna, seq: 1)
        let relayLuca = Fixture.event(.relay, after: 1, recipient: Fixture.luca, seq: 1)
        #expect(try ledger.recordEvents([relayAnna, relayLuca]).count == 2)
        let timeout = TrackingEvent(
            kind: .timeout,
            messageID: "<m1@pec.example.it>",
            account: "mario",
            at: Fixture.sentAt,
            recordedAt: Fixture.sentAt,
            trusted: true,
            deadline: .acceptance
        )
        #expect(try ledger.recordEvents([timeout]).count == 1)
        #expect(try ledger.recordEvents([timeout]).isEmpty)
    }

    @Test(
        "the sync position moves with the events of its batch, per account and folder",
        arguments: LedgerStore.available
    )
    func syncPosition(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        #expect(try ledger.syncedFolder(account: "mario", folder: "INBOX") == nil)
        try ledger.recordEvents(
            [Fixture.event(.acceptance, after: 1)],
            syncedTo: ("mario", "INBOX", SyncedFolder(uidValidity: 42, lastUID: 17))
        )
        #expect(
            try ledger.syncedFolder(account: "mario", folder: "INBOX") == SyncedFolder(uidValidity: 42, lastUID: 17)
        )
        #expect(try ledger.syncedFolder(account: "anna", folder: "INBOX") == nil)
        try ledger.recordEvents([], syncedTo: ("mario", "INBOX", SyncedFolder(uidValidity: 43, lastUID: 0)))
        #expect(try ledger.syncedFolder(account: "mario", folder: "INBOX") == SyncedFolder(uidValidity: 43, lastUID: 0))
    }

    @Test(
        "the watch cursor: nil before the first watch, never moves back; events after it in order",
        arguments: LedgerStore.available
    )
    func watchCursor(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        #expect(try ledger.printedSeq(account: "mario") == nil)
        #expect(try ledger.lastEventSeq() == 0)
        let events = (1...5).map {
            Fixture.event(.delivery, after: Double($0), recipient: "r\($0)@x.it", seq: Int64($0))
        }
        try ledger.recordEvents(events)
        try ledger.setPrintedSeq(3, account: "mario")
        try ledger.setPrintedSeq(2, account: "mario")
        #expect(try ledger.printedSeq(account: "mario") == 3)
        #expect(try ledger.events(account: "mario", after: 3, limit: 10).map(\.seq) == [4, 5])
        #expect(try ledger.events(account: "mario", after: 0, limit: 2).map(\.seq) == [1, 2])
        #expect(try ledger.events(account: "anna", after: 0, limit: 10).isEmpty)
        #expect(try ledger.lastEventSeq() == 5)
    }

    @Test(
        "status: by Message-ID, by identificativo, recent sends with a filter; an unknown id is not_found",
        arguments: LedgerStore.available
    )
    func statusUseCase(store: LedgerStore) throws {
        let sandbox = try LedgerSandbox(store: store)
        let ledger = try sandbox.open()
        try ledger.beginAttempt(LedgerFixtures.newSend("<a@pec.example.it>", account: "mario"))
        try ledger.recordOutcome(
            messageID: "<a@pec.example.it>",
            status: .sent,
            smtpReply: nil,
            error: nil,
            recipients: []
        )
        try ledger.beginAttempt(LedgerFixtures.newSend("<b@pec.example.it>", account: "mario"))
        try ledger.recordOutcome(
            messageID: "<b@pec.example.it>",
            status: .sent,
            smtpReply: nil,
            error: nil,
            recipients: []
        )
        var accepted = Fixture.event(.acceptance, after: 0)
        accepted.messageID = "<a@pec.example.it>"
        accepted.identificativo = "opec288.1@pec.example.it"
        accepted.at = Date()
        try ledger.recordEvents([accepted])

        let service = TrackingService(ledger: ledger, settings: TrackingSettings(acceptanceTimeout: 3600))
        let one = try service.status(StatusRequest(id: "opec288.1@pec.example.it"))
        #expect(one.first?.messageID == "<a@pec.example.it>")
        #expect(one.first?.status == .accepted)
        #expect(one.first?.events?.count == 1)
        let recent = try service.status(StatusRequest())
        #expect(Set(recent.map(\.messageID)) == ["<a@pec.example.it>", "<b@pec.example.it>"])
        #expect(recent.allSatisfy { $0.events == nil })
        let failed = try service.status(StatusRequest(filter: .failed))
        #expect(failed.isEmpty)
        #expect(throws: PECError.self) { try service.status(StatusRequest(id: "<nessuno@pec.example.it>")) }
        #expect(throws: PECError.self) { try service.status(StatusRequest(limit: 0)) }
    }
}
