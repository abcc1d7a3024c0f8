import Foundation
import Testing

@testable import PECWire

@Suite("Header field names: compared case-insensitively, as caseInsensitiveCompare does")
struct HeaderFieldNameTests {
    @Test func agreesWithFoundation() {
        let names = [
            "X-Ricevuta", "x-ricevuta", "X-RICEVUTA", "X-Ricevut", "X-Ricevutaa", "X_Ricevuta",
            "X-Riferimento-Message-ID",
            "Content-Type", "content-type", "CONTENT-TYPE", "Contént-Type", "Straße", "STRASSE", "", "@[`{", "`@{[",
        ]
        for a in names {
            for b in names {
                #expect(HeaderFields.sameName(a, b) == (a.caseInsensitiveCompare(b) == .orderedSame), "\(a) \(b)")
            }
        }
    }

    @Test func lookupIgnoresCase() {
        let fields = HeaderFields(parsing: Array("x-ricevuta: accettazione\r\nX-Trasporto: errore\r\n\r\n".utf8))
        #expect(fields["X-Ricevuta"] != nil)
        #expect(fields["X-TRASPORTO"] != nil)
        #expect(fields["X-Riferimento-Message-ID"] == nil)
    }
}
