import Foundation
import Testing

@testable import PECWire

@Suite("PECClassification")
struct PECClassificationTests {
    static func headers(_ text: String) -> HeaderFields {
        HeaderFields(parsing: Array((text + "\r\n\r\n").utf8))
    }

    static func daticert(_ tipo: String) -> Daticert {
        Daticert(
            tipo: tipo,
            mittente: "a@pec.example.it",
            destinatari: [.init(address: "b@pec.example.it", tipo: "certificato")],
            risposte: "a@pec.example.it",
            oggetto: "Prova",
            gestoreEmittente: "Esempio PEC S.p.A.",
            data: .init(giorno: "01/02/2026", ora: "10:11:12", zona: "+0100"),
            identificativo: "id@pec.example.it"
        )
    }

    static let receipts: [PECMessageKind] = [
        .accettazione, .nonAccettazione, .presaInCarico, .avvenutaConsegna, .erroreConsegna,
        .preavvisoErroreConsegna, .rilevazioneVirus,
    ]

    @Test("X-Ricevuta decides, and agrees with the daticert", arguments: receipts)
    func receipt(kind: PECMessageKind) {
        let result = PECClassification(
            headers: Self.headers("Subject: CONSEGNA: x\r\nX-Ricevuta: \(kind.rawValue)"),
            daticert: Self.daticert(kind.rawValue)
        )
        #expect(result == PECClassification(kind: kind, source: .xRicevuta, mismatch: nil))
    }

    @Test("X-Trasporto: posta-certificata is an envelope")
    func envelope() {
        let result = PECClassification(
            headers: Self.headers("X-Trasporto: posta-certificata\r\nX-Riferimento-Message-ID: <a@b>"),
            daticert: Self.daticert("posta-certificata")
        )
        #expect(result == PECClassification(kind: .postaCertificata, source: .xTrasporto))
        #expect(result.kind?.isReceipt == false)
    }

    @Test("X-Trasporto: errore is an anomaly envelope, without daticert")
    func anomalia() {
        let result = PECClassification(headers: Self.headers("X-Trasporto: errore"), daticert: nil)
        #expect(result == PECClassification(kind: .anomalia, source: .xTrasporto))
    }

    @Test("header names and values are case-insensitive (X-RICEVUTA: Accettazione)")
    func caseInsensitive() {
        let result = PECClassification(
            headers: Self.headers("x-ricevuta: Accettazione"),
            daticert: Self.daticert("accettazione")
        )
        #expect(result.kind == .accettazione)
        #expect(result.mismatch == nil)
    }

    @Test("no PEC header: the daticert tipo decides")
    func daticertFallback() {
        let result = PECClassification(
            headers: Self.headers("Subject: whatever"),
            daticert: Self.daticert("errore-consegna")
        )
        #expect(result == PECClassification(kind: .erroreConsegna, source: .daticert))
    }

    @Test("no header, no daticert: plain email, whatever the Subject says")
    func plainEmail() {
        for subject in ["ACCETTAZIONE: Fattura", "POSTA CERTIFICATA: Prova", "AVVISO DI MANCATA CONSEGNA: x"] {
            let result = PECClassification(headers: Self.headers("Subject: \(subject)"), daticert: nil)
            #expect(result == PECClassification(kind: nil, source: nil))
        }
    }

    @Test("X-Ricevuta and daticert disagree: the header wins, the mismatch is noted")
    func receiptConflict() {
        let result = PECClassification(
            headers: Self.headers("X-Ricevuta: accettazione"),
            daticert: Self.daticert("avvenuta-consegna")
        )
        #expect(result.kind == .accettazione)
        #expect(result.source == .xRicevuta)
        #expect(result.mismatch == "X-Ricevuta says accettazione but daticert tipo is avvenuta-consegna")
    }

    @Test("an envelope whose daticert says it is a receipt (a forged receipt sent as PEC) is noted")
    func envelopeConflict() {
        let result = PECClassification(
            headers: Self.headers("X-Trasporto: posta-certificata"),
            daticert: Self.daticert("avvenuta-consegna")
        )
        #expect(result.kind == .postaCertificata)
        #expect(result.mismatch == "X-Trasporto says posta-certificata but daticert tipo is avvenuta-consegna")
    }

    @Test("an anomaly envelope carrying a daticert is noted")
    func anomaliaWithDaticert() {
        let result = PECClassification(
            headers: Self.headers("X-Trasporto: errore"),
            daticert: Self.daticert("posta-certificata")
        )
        #expect(result.kind == .anomalia)
        #expect(result.mismatch == "X-Trasporto says errore but daticert tipo is posta-certificata")
    }

    @Test("both X-Ricevuta and X-Trasporto: X-Ricevuta wins, the oddity is noted")
    func bothHeaders() {
        let result = PECClassification(
            headers: Self.headers("X-Trasporto: posta-certificata\r\nX-Ricevuta: accettazione"),
            daticert: nil
        )
        #expect(result.kind == .accettazione)
        #expect(result.source == .xRicevuta)
        #expect(result.mismatch == "both X-Ricevuta: accettazione and X-Trasporto: posta-certificata are present")
    }

    @Test("an undocumented X-Ricevuta value is kept, and compared with the daticert")
    func unknownReceipt() {
        let result = PECClassification(
            headers: Self.headers("X-Ricevuta: conferma-lettura"),
            daticert: Self.daticert("conferma-lettura")
        )
        #expect(result.kind == .other("conferma-lettura"))
        #expect(result.mismatch == nil)
    }

    @Test(
        "real messages: their own headers and daticert agree on the kind",
        .enabled(if: DaticertFixtures.corpusAvailable, "skipped: the shared corpus of real PEC messages is not here"),
        arguments: DaticertFixtures.sharedExpectations
    )
    func realFixtures(expectation: DaticertFixtures.Expectation) throws {
        let directory = try #require(MIMEFixtures.directory)
        let message = Array(try Data(contentsOf: directory.appendingPathComponent(expectation.file)))
        let daticert = try DaticertFixtures.parse(expectation.fixtureName)
        let result = PECClassification(headers: HeaderFields(parsing: message), daticert: daticert)
        #expect(result.kind == daticert.kind, "\(expectation.file)")
        #expect(result.mismatch == nil, "\(expectation.file): \(result.mismatch ?? "")")
    }
}
