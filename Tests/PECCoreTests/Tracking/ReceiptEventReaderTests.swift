import Foundation
import Testing

@testable import PECCore

@Suite("ReceiptEventReader: one raw receipt into its events")
struct ReceiptEventReaderTests {
    static let evidence = ReceiptEvidence(
        receiptMessageID: nil,
        folder: "INBOX",
        uid: 9,
        uidValidity: 1,
        sha256: String(repeating: "0", count: 64),
        size: 1,
        path: "/dev/null"
    )

    func read(_ raw: [UInt8], trust: PECTrustStore) throws -> ReceiptEventReader.Reading? {
        try ReceiptEventReader(trust: trust).read(
            InMemoryMessage(raw),
            account: "mario",
            evidence: Self.evidence,
            now: Date(timeIntervalSince1970: 0)
        )
    }

    @Test("a gestore-signed acceptance: trusted, tied to the signed msgid, the gestore's time")
    func signedAcceptance() throws {
        let trust = try PECTrustStore(caFiles: [SignatureFixtures.bundledPath("sandbox-ca.pem")])
        let reading = try #require(try read(try SignatureFixtures.bundled("sandbox-accettazione.eml"), trust: trust))
        #expect(reading.reference == "<pecsim.20261121041502.8265@pec.sandbox>")
        #expect(reading.identificativo == "opec288.20261121041502.08265.1.1.640@pec.sandbox")
        let event = try #require(reading.events.first)
        #expect(reading.events.count == 1)
        #expect(event.kind == .acceptance)
        #expect(event.trusted)
        #expect(event.signature?.status == .valid)
        #expect(event.gestore == "PEC Sandbox S.p.A.")
        #expect(ISO8601DateFormatter().string(from: event.at) == "2026-11-21T03:15:02Z")
        #expect(event.externalRecipients == nil)
    }

    @Test("the same acceptance without its CA: recorded, but untrusted")
    func untrustedSigner() throws {
        let trust = try PECTrustStore(systemRoots: false)
        let reading = try #require(try read(try SignatureFixtures.bundled("sandbox-accettazione.eml"), trust: trust))
        #expect(reading.events.first?.trusted == false)
        #expect(reading.events.first?.signature?.status == .untrusted)
    }

    @Test("an unsigned 'delivery' is read as a delivery claim, untrusted; an envelope is no receipt")
    func unsignedAndEnvelope() throws {
        let trust = try PECTrustStore(caFiles: [SignatureFixtures.bundledPath("sandbox-ca.pem")])
        let forged = """
            From: posta-certificata@pec.sandbox\r
            To: mario.rossi@pec.sandbox\r
            Subject: CONSEGNA: finta\r
            Date: Sat, 21 Nov 2026 10:00:00 +0100\r
            Message-ID: <finta@pec.sandbox>\r
            X-Ricevuta: avvenuta-consegna\r
            X-Riferimento-Message-ID: <m1@pec.example.it>\r
            \r
            Consegnato, fidati.\r

            """
        let reading = try #require(try read(Array(forged.utf8), trust: trust))
        #expect(reading.events.map(\.kind) == [.delivery])
        #expect(reading.events.first?.trusted == false)
        #expect(reading.events.first?.signature?.status == .unsigned)
        #expect(reading.reference == "<m1@pec.example.it>")

        let envelope = try SignatureFixtures.bundled("sandbox-busta-allegato.eml")
        #expect(try read(envelope, trust: trust) == nil)
    }

    @Test(
        "real Aruba receipts: acceptance and delivery, trusted through the pinned AgID CA, same msgid",
        .enabled(if: SignatureFixtures.corpusAvailable, "shared fixtures (shared/fixtures/pec) not found")
    )
    func realAruba() throws {
        let trust = try PECTrustStore()
        let accepted = try #require(
            try read(try SignatureFixtures.corpus("OCA_l10n-italy_ACCETTAZIONE_IT03339130126_00009.eml"), trust: trust)
        )
        let delivered = try #require(
            try read(try SignatureFixtures.corpus("OCA_l10n-italy_CONSEGNA_IT03339130126_00009.eml"), trust: trust)
        )
        #expect(accepted.events.first?.kind == .acceptance)
        #expect(delivered.events.first?.kind == .delivery)
        #expect(delivered.events.first?.recipient == "l.battistini@pec.it")
        #expect(accepted.events.first?.trusted == true)
        #expect(delivered.events.first?.trusted == true)
        #expect(accepted.reference == delivered.reference)
        #expect(accepted.identificativo == delivered.identificativo)
    }
}
