import Testing

@testable import PECWire

@Suite("PEC message kind")
struct PECMessageKindTests {
    @Test(
        "classified by X-Ricevuta first, then X-Trasporto; unknown values kept verbatim",
        arguments: [
            ("X-Ricevuta: avvenuta-consegna\r\nX-Trasporto: posta-certificata\r\n", "avvenuta-consegna"),
            ("X-Trasporto: posta-certificata\r\n", "posta-certificata"),
            ("x-trasporto: errore\r\n", "anomalia"),
            ("X-Ricevuta: Non-Accettazione\r\n", "non-accettazione"),
            ("X-Ricevuta: mancata-consegna\r\n", "mancata-consegna"),
        ]
    )
    func classify(block: String, expected: String) {
        #expect(PECMessageKind(headers: HeaderFields(parsing: Array(block.utf8)))?.rawValue == expected)
    }

    @Test("ordinary mail has no kind, whatever its subject says")
    func ordinary() {
        let headers = HeaderFields(parsing: Array("Subject: POSTA CERTIFICATA: finta\r\n".utf8))
        #expect(PECMessageKind(headers: headers) == nil)
    }
}
