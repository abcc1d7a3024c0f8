import Foundation
import Testing

@testable import PECCore

/// `pec trace`'s own logic without a server: which receipts are the traced message's, and what
/// they are worth. Statuses come from ``TrackingStatusDerivation`` alone (tested on its own).
@Suite("ReceiptSearch: trace matches receipts and trusts only what a gestore signed")
struct ReceiptSearchTests {
    static let messageID = "<m1@pec.example.it>"
    static let anna = "anna@pec.example.it"
    static let identificativo = "opec101.20261121.1.2.3@pec.example.it"
    static let evidence = ReceiptSearchTests.evidence(uid: 9)

    static func evidence(uid: UInt32) -> ReceiptEvidence {
        ReceiptEvidence(
            receiptMessageID: nil,
            folder: "INBOX",
            uid: uid,
            uidValidity: 1,
            sha256: String(repeating: "\(uid % 10)", count: 64),
            size: 1,
            path: "/dev/null"
        )
    }

    static func daticert(kind: String, consegna: String?, msgid: String = messageID) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <postacert tipo="\(kind)" errore="nessuno">
            <intestazione>
                <mittente>mario@pec.example.it</mittente>
                <destinatari tipo="certificato">\(anna)</destinatari>
                <risposte>mario@pec.example.it</risposte>
                <oggetto>Diffida</oggetto>
            </intestazione>
            <dati>
                <gestore-emittente>Falso Gestore S.p.A.</gestore-emittente>
                <data zona="+0100"><giorno>21/11/2026</giorno><ora>10:00:00</ora></data>
                <identificativo>\(identificativo)</identificativo>
                <msgid>\(msgid.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;"))</msgid>
                \(consegna.map { "<consegna>\($0)</consegna>" } ?? "")
            </dati>
        </postacert>
        """
    }

    /// An unsigned message that says everything a delivery receipt says: X-Ricevuta, the
    /// reference header and a daticert.xml. Anyone can write it.
    static func forgedDelivery(reference: String = messageID) -> [UInt8] {
        let text = """
            From: posta-certificata@pec.example.it\r
            To: mario@pec.example.it\r
            Subject: CONSEGNA: Diffida\r
            Date: Sat, 21 Nov 2026 10:00:00 +0100\r
            Message-ID: <finta@pec.example.it>\r
            X-Ricevuta: avvenuta-consegna\r
            X-Riferimento-Message-ID: \(reference)\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed; boundary="b"\r
            \r
            --b\r
            Content-Type: text/plain; charset=utf-8\r
            \r
            Consegnato, fidati.\r
            --b\r
            Content-Type: application/xml; name="daticert.xml"\r
            Content-Disposition: attachment; filename="daticert.xml"\r
            \r
            \(daticert(kind: "avvenuta-consegna", consegna: anna, msgid: reference))\r
            --b--\r

            """
        return Array(text.utf8)
    }

    static func send(to recipients: [String] = [anna], messageID: String = messageID) -> LedgerSend {
        .sent(messageID: messageID, to: recipients, at: Date(timeIntervalSince1970: 1_795_251_000))
    }

    func read(_ raw: [UInt8], trust: PECTrustStore, uid: UInt32 = 9) throws -> ReceiptEventReader.Reading {
        try #require(
            try ReceiptEventReader(trust: trust).read(
                InMemoryMessage(raw),
                account: "mario",
                evidence: Self.evidence(uid: uid),
                now: Date(timeIntervalSince1970: 0)
            )
        )
    }

    /// As trace does: each reading the target claims, as sync attributes it (here: to its reference).
    func claimed(_ readings: [ReceiptEventReader.Reading], target: inout TraceTarget) -> [TrackingEvent] {
        readings.flatMap { reading in
            let attributed = reading.events.map { event in
                var event = event
                event.messageID = reading.reference ?? ""
                return event
            }
            return target.claim(reading, attributed: attributed) ?? []
        }
    }

    func derive(_ events: [TrackingEvent], send: LedgerSend?, messageID: String = messageID, at now: Date? = nil)
        -> TrackedMessage
    {
        let settings = TrackingSettings(acceptanceTimeout: 86_400 * 365 * 20)
        let moment = now ?? events.map(\.at).max() ?? Date(timeIntervalSince1970: 0)
        return TrackingStatusDerivation(settings: settings, now: moment)
            .message(messageID, send: send, events: events, includeEvents: true)
    }

    // MARK: - MessageReference

    @Test(
        "MessageReference: a Message-ID gets its brackets, an opec… id is an identificativo",
        arguments: [
            ("<m1@pec.example.it>", MessageReference.messageID("<m1@pec.example.it>")),
            ("  m1@pec.example.it \n", .messageID("<m1@pec.example.it>")),
            ("opec288.1.2@pec.sandbox", .identificativo("opec288.1.2@pec.sandbox")),
            ("<OPEC288.1.2@pec.sandbox>", .identificativo("OPEC288.1.2@pec.sandbox")),
        ]
    )
    func reference(_ text: String, _ expected: MessageReference) throws {
        #expect(try MessageReference(text) == expected)
    }

    @Test(
        "MessageReference: empty, white space, control characters, <>\" inside or over 998 characters are refused",
        arguments: [
            "", "<>", "a b@x", "a\u{00A0}b@x", "a\tb@x", "a\u{7F}b@x", "a\"b@x", "a<b@x", "<a>b@x>",
            String(repeating: "a", count: 999),
        ]
    )
    func invalidReference(_ text: String) {
        #expect {
            try MessageReference(text)
        } throws: { error in
            (error as? PECError)?.kind == .invalidInput
        }
    }

    @Test("the longest Message-ID a header line holds (998) is taken")
    func longestReference() throws {
        let longest = String(repeating: "a", count: 996) + "@x"
        #expect(try MessageReference.normalizedMessageID(longest) == "<\(longest)>")
    }

    // MARK: - Daticert.failure

    @Test(
        "Daticert.failure: nessuno in any case is no failure, anything else is",
        arguments: [("nessuno", nil), ("NESSUNO", nil), ("Nessuno", nil), ("no-dest", "no-dest"), ("altro", "altro")]
    )
    func failure(_ errore: String, _ expected: String?) throws {
        var daticert = try DaticertParser.parse(
            Array(Self.daticert(kind: "avvenuta-consegna", consegna: Self.anna).utf8)
        )
        daticert.errore = errore
        #expect(daticert.failure == expected)
    }

    // MARK: - Forged receipts

    @Test("an unsigned forged delivery is found and shown, but untrusted: the recipient is not delivered nor accepted")
    func forgedUnsigned() throws {
        let trust = try PECTrustStore()
        let forged = try read(Self.forgedDelivery(), trust: trust)
        var target = TraceTarget(messageID: Self.messageID, identificativo: nil, send: Self.send())
        #expect(target.matches(forged))
        let events = claimed([forged], target: &target)
        #expect(events.map(\.kind) == [.delivery])
        #expect(events.allSatisfy { !$0.trusted })
        let traced = derive(events, send: Self.send())
        #expect(traced.recipients.map(\.status) == [.pending])
        #expect(traced.status == .pending)
        #expect(traced.untrustedEvents == 1)
        // The identificativo the forgery claims is not believed either.
        #expect(traced.identificativo == nil)
    }

    @Test("a receipt signed by a signer no trusted CA vouches for counts for nothing")
    func untrustedSigner() throws {
        let signed = try read(
            try SignatureFixtures.bundled("sandbox-accettazione.eml"),
            trust: PECTrustStore(systemRoots: false)
        )
        let reference = try #require(signed.reference)
        var target = TraceTarget(messageID: reference, identificativo: nil)
        let events = claimed([signed], target: &target)
        #expect(events.map(\.kind) == [.acceptance])
        #expect(events.first?.signature?.status == .untrusted)
        let traced = derive(events, send: Self.send(messageID: reference), messageID: reference)
        #expect(!traced.recipients.contains { [.accepted, .delivered].contains($0.status) })
        #expect(traced.status == .pending)
    }

    @Test(
        "real Aruba acceptance and delivery, through the pinned AgID CA: delivered, with no flag",
        .enabled(if: SignatureFixtures.corpusAvailable, "shared fixtures (shared/fixtures/pec) not found")
    )
    func realArubaDelivered() throws {
        let trust = try PECTrustStore()
        let accepted = try read(
            try SignatureFixtures.corpus("OCA_l10n-italy_ACCETTAZIONE_IT03339130126_00009.eml"),
            trust: trust,
            uid: 1
        )
        let delivered = try read(
            try SignatureFixtures.corpus("OCA_l10n-italy_CONSEGNA_IT03339130126_00009.eml"),
            trust: trust,
            uid: 2
        )
        let messageID = try #require(accepted.reference)
        let recipient = try #require(delivered.events.first?.recipient)
        var target = TraceTarget(messageID: messageID, identificativo: nil)
        let events = claimed([accepted, delivered], target: &target)
        #expect(events.map(\.kind) == [.acceptance, .delivery])
        #expect(events.allSatisfy { $0.trusted })
        let traced = derive(events, send: Self.send(to: [recipient], messageID: messageID), messageID: messageID)
        #expect(traced.recipients.map(\.status) == [.delivered])
        #expect(traced.status == .delivered)
        #expect(traced.identificativo == accepted.identificativo)
    }

    @Test(
        "--no-verify: a real, validly signed delivery glanced at by its headers is shown but never delivered",
        .enabled(if: SignatureFixtures.corpusAvailable, "shared fixtures (shared/fixtures/pec) not found")
    )
    func glanceNeverDelivers() throws {
        let raw = try SignatureFixtures.corpus("OCA_l10n-italy_CONSEGNA_IT03339130126_00009.eml")
        let details = try MessageReader(trust: PECTrustStore(), options: .init(certification: true)).read(raw).details
        let glanced = try #require(
            ReceiptEventReader.glance(
                headers: InMemoryMessage(raw).message.headers,
                daticert: details.pecCert,
                account: "mario",
                evidence: Self.evidence,
                now: Date(timeIntervalSince1970: 0)
            )
        )
        let messageID = try #require(glanced.reference)
        let recipient = try #require(glanced.events.first?.recipient)
        var target = TraceTarget(messageID: messageID, identificativo: nil)
        let events = claimed([glanced], target: &target)
        #expect(events.map(\.kind) == [.delivery])
        #expect(events.allSatisfy { !$0.trusted && $0.signature == nil && $0.warnings?.isEmpty == false })
        let traced = derive(events, send: Self.send(to: [recipient], messageID: messageID), messageID: messageID)
        #expect(traced.recipients.map(\.status) == [.pending])
    }

    @Test("--no-verify on a forged delivery: recognised by its headers and daticert, untrusted")
    func glanceForged() throws {
        let raw = Self.forgedDelivery()
        let daticert = try DaticertParser.parse(
            Array(Self.daticert(kind: "avvenuta-consegna", consegna: Self.anna).utf8)
        )
        let glanced = try #require(
            ReceiptEventReader.glance(
                headers: InMemoryMessage(raw).message.headers,
                daticert: daticert,
                account: "mario",
                evidence: Self.evidence,
                now: Date(timeIntervalSince1970: 0)
            )
        )
        #expect(glanced.events.map(\.kind) == [.delivery])
        #expect(glanced.events.first?.recipient == Self.anna)
        #expect(glanced.events.first?.trusted == false)
        #expect(glanced.reference == Self.messageID)
    }

    // MARK: - Matching

    @Test("a search hit about another message is not claimed; the identificativo alone names the message")
    func matching() throws {
        let trust = try PECTrustStore()
        let other = try read(Self.forgedDelivery(reference: "<altro@pec.example.it>"), trust: trust)
        var byID = TraceTarget(messageID: Self.messageID, identificativo: nil)
        #expect(!byID.matches(other))
        #expect(claimed([other], target: &byID).isEmpty)

        // An unsigned daticert is no certification data: a forgery names no identificativo.
        #expect(other.identificativo == nil)

        // Traced by identificativo only: the first receipt with it names the message...
        func reading(_ reference: String, _ identificativo: String) -> ReceiptEventReader.Reading {
            var event = TrackingStatusDerivationTests.event(.acceptance, after: 0)
            event.messageID = reference
            event.identificativo = identificativo
            return ReceiptEventReader.Reading(events: [event], reference: reference, identificativo: identificativo)
        }
        var byIdentificativo = TraceTarget(messageID: nil, identificativo: Self.identificativo)
        #expect(claimed([reading(Self.messageID, Self.identificativo)], target: &byIdentificativo).count == 1)
        #expect(byIdentificativo.messageID == Self.messageID)
        // ...and a receipt with the same identificativo about another message is then refused,
        #expect(claimed([reading("<altro@pec.example.it>", Self.identificativo)], target: &byIdentificativo).isEmpty)
        // as is one with neither.
        #expect(claimed([reading("<altro@pec.example.it>", "opec.altro@x")], target: &byIdentificativo).isEmpty)
    }

    // MARK: - Ledger

    @Test("the ledger learns an identificativo only from a trusted acceptance, and keeps the first")
    func learnIdentificativo() throws {
        let sandbox = try LedgerSandbox()
        let ledger = try sandbox.open()
        try ledger.beginAttempt(LedgerFixtures.newSend(Self.messageID, account: "mario"))
        var acceptance = TrackingStatusDerivationTests.event(.acceptance, after: 0, trusted: false)
        acceptance.identificativo = "opec.forged@pec.example.it"
        try ledger.learn(fromReceipts: [acceptance])
        #expect(try ledger.send(messageID: Self.messageID)?.identificativo == nil)

        var delivery = TrackingStatusDerivationTests.event(.delivery, after: 1, recipient: Self.anna, seq: 2)
        delivery.identificativo = "opec.delivery@pec.example.it"
        try ledger.learn(fromReceipts: [delivery])
        #expect(try ledger.send(messageID: Self.messageID)?.identificativo == nil, "only an acceptance names it")

        acceptance.trusted = true
        acceptance.identificativo = Self.identificativo
        try ledger.learn(fromReceipts: [acceptance])
        #expect(try ledger.send(messageID: Self.messageID)?.identificativo == Self.identificativo)
        acceptance.identificativo = "opec.later@pec.example.it"
        try ledger.learn(fromReceipts: [acceptance])
        #expect(try ledger.send(messageID: Self.messageID)?.identificativo == Self.identificativo)
    }

    @Test("a batch with two trusted acceptances of one send: the first identificativo is kept, as one by one")
    func learnTwoAcceptancesInOneBatch() throws {
        let sandbox = try LedgerSandbox()
        let ledger = try sandbox.open()
        try ledger.beginAttempt(LedgerFixtures.newSend(Self.messageID, account: "mario"))
        var first = TrackingStatusDerivationTests.event(.acceptance, after: 0, trusted: true)
        first.identificativo = Self.identificativo
        var second = first
        second.identificativo = "opec.later@pec.example.it"
        try ledger.learn(fromReceipts: [first, second])
        #expect(try ledger.send(messageID: Self.messageID)?.identificativo == Self.identificativo)
    }

    @Test("a batch's sends looked up in one read say what send(messageID:) then send(identificativo:) say")
    func sentMessageIDsInOneRead() throws {
        let sandbox = try LedgerSandbox()
        let ledger = try sandbox.open()
        try ledger.beginAttempt(LedgerFixtures.newSend(Self.messageID, account: "mario"))
        try ledger.setIdentificativo(Self.identificativo, forMessageID: Self.messageID)
        let found = try ledger.sentMessageIDs(for: [
            (Self.messageID, nil),  // by Message-ID
            ("<altro@pec.example.it>", Self.identificativo),  // by identificativo
            ("<altro@pec.example.it>", "opec.altro@x"),  // neither
            (nil, nil),
        ])
        #expect(found == [Self.messageID, try ledger.send(identificativo: Self.identificativo)?.messageID, nil, nil])
        #expect(try ledger.sentMessageIDs(for: []).isEmpty)
    }

    @Test("a certified acceptance makes an uncertain send sent, a non-acceptance failed; an untrusted one neither")
    func receiptsSettleUncertainSends() throws {
        let sandbox = try LedgerSandbox()
        let ledger = try sandbox.open()
        func uncertain(_ id: String) throws {
            try ledger.beginAttempt(LedgerFixtures.newSend(id, account: "mario"))
            try ledger.recordOutcome(messageID: id, status: .uncertain, smtpReply: nil, error: "lost", recipients: [])
        }
        func status(_ id: String) throws -> LedgerSendStatus? { try ledger.send(messageID: id)?.status }
        let accepted = Self.messageID
        let refused = "<rifiutato@pec.example.it>"
        try uncertain(accepted)
        try uncertain(refused)

        var acceptance = TrackingStatusDerivationTests.event(.acceptance, after: 0, trusted: false)
        var nonAcceptance = TrackingStatusDerivationTests.event(.nonAcceptance, after: 0, trusted: false)
        nonAcceptance.messageID = refused
        nonAcceptance.errore = "virus"
        try ledger.learn(fromReceipts: [acceptance, nonAcceptance])
        #expect(try status(accepted) == .uncertain && status(refused) == .uncertain, "unsigned receipts settle nothing")

        acceptance.trusted = true
        nonAcceptance.trusted = true
        try ledger.learn(fromReceipts: [acceptance, nonAcceptance])
        #expect(try status(accepted) == .sent)
        #expect(try status(refused) == .failed)
        #expect(try ledger.send(messageID: refused)?.error?.contains("virus") == true)
        // A send already settled is never changed by a later receipt.
        nonAcceptance.messageID = accepted
        try ledger.learn(fromReceipts: [nonAcceptance])
        #expect(try status(accepted) == .sent)
    }

    @Test("stored receipts are found by folder, UIDVALIDITY and UID; a trusted re-reading upgrades, never the reverse")
    func storedReceiptsAndTrust() throws {
        let sandbox = try LedgerSandbox()
        let ledger = try sandbox.open()
        var untrusted = TrackingStatusDerivationTests.event(
            .delivery,
            after: 1,
            recipient: Self.anna,
            trusted: false,
            seq: 4
        )
        try ledger.recordEvents([untrusted])
        let found = try ledger.storedReceipts(account: "mario", folder: "INBOX", uidValidity: 1, uids: [4, 5])
        #expect(Array(found.keys) == [4])
        #expect(found[4]?.trusted == false)
        #expect(found[4]?.sha256 == untrusted.evidence?.sha256)
        #expect(try ledger.storedReceipts(account: "mario", folder: "INBOX", uidValidity: 2, uids: [4]).isEmpty)
        #expect(try ledger.storedReceipts(account: "mario", folder: "Archivio", uidValidity: 1, uids: [4]).isEmpty)
        #expect(try ledger.storedReceipts(account: "anna", folder: "INBOX", uidValidity: 1, uids: [4]).isEmpty)

        var trusted = untrusted
        trusted.trusted = true
        trusted.signature = SignatureCheck(status: .valid, signerEmail: "posta-certificata@pec.example.it")
        #expect(try ledger.recordEvents([trusted]).isEmpty, "the same receipt is not stored twice")
        let upgraded = try ledger.events(messageID: Self.messageID)
        #expect(upgraded.count == 1)
        #expect(upgraded.first?.trusted == true)
        #expect(upgraded.first?.signature?.status == .valid)
        #expect(
            try ledger.storedReceipts(account: "mario", folder: "INBOX", uidValidity: 1, uids: [4])[4]?.trusted == true
        )

        untrusted.signature = SignatureCheck(status: .unsigned, signerEmail: nil)
        try ledger.recordEvents([untrusted])
        #expect(try ledger.events(messageID: Self.messageID).first?.trusted == true)
    }

    // MARK: - Text

    @Test("an event's text line: time, kind, message, recipient, and a flag when no gestore vouches for it")
    func textLine() {
        var event = TrackingStatusDerivationTests.event(
            .deliveryError,
            after: 0,
            recipient: Self.anna,
            errore: "no-dest"
        )
        #expect(event.textLine.hasSuffix("pec_delivery_error <m1@pec.example.it> \(Self.anna) errore=no-dest\n"))
        event.trusted = false
        #expect(event.textLine.contains("UNTRUSTED"))
        #expect(event.textLine.hasPrefix(ISO8601DateFormatter().string(from: event.at)))
    }
}
