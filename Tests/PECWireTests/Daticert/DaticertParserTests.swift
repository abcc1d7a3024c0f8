import Foundation
import Testing

@testable import PECWire

@Suite(
    "DaticertParser: real fixtures",
    .enabled(if: DaticertFixtures.corpusAvailable, "skipped: the shared corpus of real PEC messages is not here")
)
struct DaticertRealFixtureTests {
    @Test(
        "every daticert of the shared corpus parses to the values of its expected.ndjson",
        .enabled(if: DaticertFixtures.corpusAvailable, "skipped: the shared corpus of real PEC messages is not here"),
        arguments: DaticertFixtures.sharedExpectations
    )
    func shared(expectation: DaticertFixtures.Expectation) throws {
        try DaticertFixtures.check(expectation)
    }

    @Test(
        "the corpus expectations cover 13 daticert files",
        .enabled(if: DaticertFixtures.corpusAvailable, "skipped: the shared corpus of real PEC messages is not here")
    )
    func coverage() {
        #expect(DaticertFixtures.sharedExpectations.count == 13)
    }

    @Test("Aruba avvenuta-consegna: full model, composed time, JSON form")
    func arubaConsegna() throws {
        let daticert = try DaticertFixtures.parse("OCA_l10n-italy_CONSEGNA_IT03339130126_00009")
        #expect(daticert.kind == .avvenutaConsegna)
        #expect(daticert.destinatari == [.init(address: "l.battistini@pec.it", tipo: "certificato")])
        #expect(daticert.risposte == "l.battistini@pec.it")
        #expect(daticert.data.iso8601 == "2018-11-13T16:39:27+01:00")
        #expect(daticert.data.date == Date(timeIntervalSince1970: 1_542_123_567))
        #expect(daticert.ricezione.isEmpty)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(daticert), as: UTF8.self)
        #expect(json.contains(#""gestore_emittente":"ARUBA PEC S.p.A.""#))
        #expect(json.contains(#""ricevuta_tipo":"completa""#))
        // Absent values are left out; what output does with empty ones is JSONValueEncoder's to decide.
        #expect(!json.contains("errore_esteso"))
        #expect(
            json.contains(
                #""data":{"giorno":"13/11/2018","iso8601":"2018-11-13T16:39:27+01:00","ora":"16:39:27","zona":"+0100"}"#
            )
        )
        #expect(json.contains(#""destinatari":[{"address":"l.battistini@pec.it","tipo":"certificato"}]"#))
        #expect(try JSONDecoder().decode(Daticert.self, from: Data(json.utf8)) == daticert)
    }

    @Test("anonymized errore-consegna: stray text after </risposte> is ignored, consegna differs from destinatari")
    func strayText() throws {
        let daticert = try DaticertFixtures.parse("biagioT_java-pec-parser_consegna")
        #expect(daticert.kind == .erroreConsegna)
        #expect(daticert.errore == "no-dest")
        #expect(daticert.risposte == "sender@fakepec.it")
        #expect(daticert.oggetto == "Test PEC")
        #expect(daticert.erroreEsteso == "5.1.1 - FAKE Pec S.p.A. - indirizzo non valido")
    }

    @Test("2021 sample: zona +0200, no trailing newline after </postacert>")
    func summerTime() throws {
        let daticert = try DaticertFixtures.parse("danzipie_go-pec_email_2")
        #expect(daticert.data.iso8601 == "2021-05-13T14:35:30+02:00")
    }
}

@Suite("DaticertParser: synthetic kinds")
struct DaticertSyntheticTests {
    @Test("non-accettazione, errore altro")
    func nonAccettazioneAltro() throws {
        let daticert = try DaticertFixtures.parse("synthetic_non-accettazione-altro")
        #expect(daticert.kind == .nonAccettazione)
        #expect(daticert.errore == "altro")
        #expect(daticert.erroreEsteso == "Mittente non autorizzato")
        #expect(daticert.consegna == nil)
        #expect(daticert.ricevutaTipo == nil)
    }

    @Test("non-accettazione per virus")
    func nonAccettazioneVirus() throws {
        let daticert = try DaticertFixtures.parse("synthetic_non-accettazione-virus")
        #expect(daticert.kind == .nonAccettazione)
        #expect(daticert.errore == "virus")
    }

    @Test("presa-in-carico: several destinatari and ricezione")
    func presaInCarico() throws {
        let daticert = try DaticertFixtures.parse("synthetic_presa-in-carico")
        #expect(daticert.kind == .presaInCarico)
        #expect(daticert.errore == "nessuno")
        #expect(daticert.destinatari.map(\.address) == ["anna.bianchi@pec.example.org", "luca.verdi@pec.example.org"])
        #expect(daticert.ricezione == ["anna.bianchi@pec.example.org", "luca.verdi@pec.example.org"])
    }

    @Test("errore-consegna with errore-esteso 5.1.1")
    func erroreConsegna() throws {
        let daticert = try DaticertFixtures.parse("synthetic_errore-consegna-altro")
        #expect(daticert.kind == .erroreConsegna)
        #expect(daticert.errore == "altro")
        #expect(daticert.consegna == "anna.bianchi@pec.example.org")
        #expect(daticert.erroreEsteso == "5.1.1 - Esempio PEC S.p.A. - indirizzo non valido")
    }

    @Test("preavviso-errore-consegna keeps its 5.4.1 detail verbatim")
    func preavviso() throws {
        let daticert = try DaticertFixtures.parse("synthetic_preavviso-errore-consegna")
        #expect(daticert.kind == .preavvisoErroreConsegna)
        #expect(daticert.erroreEsteso?.hasPrefix("5.4.1 - ") == true)
    }

    @Test("rilevazione-virus")
    func rilevazioneVirus() throws {
        let daticert = try DaticertFixtures.parse("synthetic_rilevazione-virus")
        #expect(daticert.kind == .rilevazioneVirus)
        #expect(daticert.errore == "virus")
    }

    @Test("ricevuta breve")
    func breve() throws {
        let daticert = try DaticertFixtures.parse("synthetic_avvenuta-consegna-breve")
        #expect(daticert.kind == .avvenutaConsegna)
        #expect(daticert.ricevutaTipo == "breve")
    }

    @Test("ricevuta sintetica, no errore attribute (DTD default nessuno), zona +0200")
    func sintetica() throws {
        let daticert = try DaticertFixtures.parse("synthetic_avvenuta-consegna-sintetica")
        #expect(daticert.ricevutaTipo == "sintetica")
        #expect(daticert.errore == "nessuno")
        #expect(daticert.data.zona == "+0200")
        #expect(daticert.data.iso8601 == "2026-07-15T23:59:59+02:00")
    }

    @Test("destinatari certificato and esterno, risposte distinct from mittente, msgid entities decoded")
    func mixedRecipients() throws {
        let daticert = try DaticertFixtures.parse("synthetic_accettazione-destinatari-misti")
        #expect(
            daticert.destinatari == [
                .init(address: "anna.bianchi@pec.example.org", tipo: "certificato"),
                .init(address: "luca.verdi@example.com", tipo: "esterno"),
                .init(address: "ufficio@pec.example.gov.it", tipo: "certificato"),
            ]
        )
        #expect(daticert.destinatari.map(\.isExternal) == [false, true, false])
        #expect(daticert.risposte == "segreteria@pec.example.it")
        #expect(daticert.mittente == "mario.rossi@pec.example.it")
        #expect(daticert.msgid == "<client.1@host.example>")
    }

    @Test(
        "accented oggetto, declared UTF-8 and declared ISO-8859-1",
        arguments: ["synthetic_oggetto-utf8", "synthetic_oggetto-latin1"]
    )
    func accents(name: String) throws {
        #expect(try DaticertFixtures.parse(name).oggetto == "Perché è già così? Città")
    }

    @Test("the ISO-8859-1 fixture really is 8-bit (è = 0xE8)")
    func latin1Bytes() throws {
        let bytes = try DaticertFixtures.bytes("synthetic_oggetto-latin1")
        #expect(bytes.contains(0xE8))
        #expect(String(validating: bytes, as: UTF8.self) == nil)
    }
}

@Suite("DaticertParser: leniency")
struct DaticertLeniencyTests {
    static func document(dati: String = "", intestazione: String? = nil, root: String = #"tipo="accettazione""#)
        -> String
    {
        let header =
            intestazione ?? """
                <mittente>a@pec.example.it</mittente>
                <destinatari tipo="certificato">b@pec.example.it</destinatari>
                <risposte>a@pec.example.it</risposte>
                <oggetto>Prova</oggetto>
                """
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <postacert \(root)>
            <intestazione>\(header)</intestazione>
            <dati>
            <gestore-emittente>Esempio PEC S.p.A.</gestore-emittente>
            <data zona="+0100"><giorno>01/02/2026</giorno><ora>10:11:12</ora></data>
            <identificativo>opec1.20260201101112.1.1.1.1@pec.example.it</identificativo>
            \(dati)
            </dati>
            </postacert>
            """
    }

    @Test("whitespace and newlines around values are trimmed, inner spaces kept")
    func trimming() throws {
        let xml = Self.document(
            intestazione: """
                <mittente>
                      a@pec.example.it
                </mittente>
                <destinatari tipo=" esterno ">\tb@example.com  </destinatari>
                <oggetto>  Due   spazi  </oggetto>
                """
        )
        let daticert = try DaticertParser.parse(Array(xml.utf8))
        #expect(daticert.mittente == "a@pec.example.it")
        #expect(daticert.destinatari == [.init(address: "b@example.com", tipo: "esterno")])
        #expect(daticert.oggetto == "Due   spazi")
        #expect(daticert.risposte == nil)
    }

    @Test("unknown elements, attributes and comments are ignored, also when they contain known names")
    func unknownElements() throws {
        let xml = Self.document(
            dati: """
                <!-- commento -->
                <estensione versione="2"><consegna>not-this@example.com</consegna></estensione>
                <consegna>b@pec.example.it</consegna>
                <ricevuta tipo="breve" extra="x"/>
                """
        )
        let daticert = try DaticertParser.parse(Array(xml.utf8))
        #expect(daticert.consegna == "b@pec.example.it")
        #expect(daticert.ricevutaTipo == "breve")
    }

    @Test("namespace prefixes are dropped: elements are matched by local name")
    func namespaces() throws {
        let xml = """
            <?xml version="1.0"?>
            <p:postacert xmlns:p="urn:example" tipo="posta-certificata">
            <p:intestazione><p:mittente>a@x.it</p:mittente><p:destinatari tipo="certificato">b@x.it</p:destinatari>
            </p:intestazione><p:dati><p:gestore-emittente>G</p:gestore-emittente>
            <p:data zona="+0100"><p:giorno>01/02/2026</p:giorno><p:ora>10:11:12</p:ora></p:data>
            <p:identificativo>id@x.it</p:identificativo></p:dati></p:postacert>
            """
        let daticert = try DaticertParser.parse(Array(xml.utf8))
        #expect(daticert.kind == .postaCertificata)
        #expect(daticert.identificativo == "id@x.it")
    }

    @Test("entities and character references in text are decoded; CDATA is read")
    func entities() throws {
        let xml = Self.document(
            dati: "<msgid><![CDATA[<cdata@host>]]></msgid>",
            intestazione: """
                <mittente>a@pec.example.it</mittente><destinatari tipo="certificato">b@x.it</destinatari>
                <oggetto>R&amp;D &lt;urgente&gt; &#232; &#x2603;</oggetto>
                """
        )
        let daticert = try DaticertParser.parse(Array(xml.utf8))
        #expect(daticert.oggetto == "R&D <urgente> è ☃")
        #expect(daticert.msgid == "<cdata@host>")
    }

    @Test("an undocumented tipo is kept verbatim and maps to .other")
    func unknownTipo() throws {
        let daticert = try DaticertParser.parse(Array(Self.document(root: #"tipo="errore" errore="altro""#).utf8))
        #expect(daticert.tipo == "errore")
        #expect(daticert.kind == .other("errore"))
    }

    @Test("<ricevuta/> without tipo means completa (DTD default)")
    func ricevutaDefault() throws {
        let daticert = try DaticertParser.parse(Array(Self.document(dati: "<ricevuta/>").utf8))
        #expect(daticert.ricevutaTipo == "completa")
    }

    @Test("undeclared encoding but ISO-8859-1 bytes: read as ISO-8859-1 instead of failing")
    func undeclaredLatin1() throws {
        let xml = Self.document().replacingOccurrences(of: #" encoding="UTF-8""#, with: "")
            .replacingOccurrences(of: "Prova", with: "Città")
        let bytes = try #require(xml.data(using: .isoLatin1))
        #expect(try DaticertParser.parse(Array(bytes)).oggetto == "Città")
    }

    @Test(
        "malformed time pieces leave iso8601 nil but keep the raw values",
        arguments: [
            ("1/2/2026", "9:05:07", "+0100", "2026-02-01T09:05:07+01:00"),
            ("31/12/2025", "23:59:59", "-0330", "2025-12-31T23:59:59-03:30"),
            ("2026-02-01", "09:05:07", "+0100", nil),
            ("01/13/2026", "09:05:07", "+0100", nil),
            ("01/02/2026", "09:05", "+0100", nil),
            ("01/02/2026", "09:05:07", "CET", nil),
            ("01/02/2026", "09:05:07", "+01:00", nil),
        ] as [(String, String, String, String?)]
    )
    func composedTime(giorno: String, ora: String, zona: String, iso: String?) {
        let time = Daticert.EventTime(giorno: giorno, ora: ora, zona: zona)
        #expect(time.iso8601 == iso)
        #expect(time.giorno == giorno)
    }

    @Test("a missing zona attribute is tolerated: iso8601 nil")
    func missingZona() throws {
        let xml = Self.document().replacingOccurrences(of: #"<data zona="+0100">"#, with: "<data>")
        let daticert = try DaticertParser.parse(Array(xml.utf8))
        #expect(daticert.data.zona == nil)
        #expect(daticert.data.iso8601 == nil)
    }
}

@Suite("DaticertParser: errors")
struct DaticertErrorTests {
    static func remove(_ fragment: String) -> [UInt8] {
        let xml = DaticertLeniencyTests.document()
        precondition(xml.contains(fragment))
        return Array(xml.replacingOccurrences(of: fragment, with: "").utf8)
    }

    @Test(
        "a missing or empty required piece is a typed error naming it",
        arguments: [
            (#"tipo="accettazione""#, "postacert/@tipo"),
            ("<mittente>a@pec.example.it</mittente>", "postacert/intestazione/mittente"),
            (#"<destinatari tipo="certificato">b@pec.example.it</destinatari>"#, "postacert/intestazione/destinatari"),
            ("<gestore-emittente>Esempio PEC S.p.A.</gestore-emittente>", "postacert/dati/gestore-emittente"),
            ("<giorno>01/02/2026</giorno>", "postacert/dati/data/giorno"),
            ("<ora>10:11:12</ora>", "postacert/dati/data/ora"),
            ("opec1.20260201101112.1.1.1.1@pec.example.it", "postacert/dati/identificativo"),
        ]
    )
    func missing(fragment: String, path: String) {
        #expect(throws: DaticertError.missing(path)) { try DaticertParser.parse(Self.remove(fragment)) }
        #expect(DaticertError.missing(path).description == "daticert.xml has no \(path)")
    }

    @Test("another root element is not a daticert")
    func wrongRoot() {
        #expect(throws: DaticertError.notDaticert(root: "html")) {
            try DaticertParser.parse(Array("<html><body>x</body></html>".utf8))
        }
    }

    @Test(
        "not well-formed input is malformedXML, never a crash",
        arguments: [
            "",
            "daticert",
            "<postacert tipo=\"accettazione\"><intestazione></dati></postacert>",
            "<postacert tipo=\"accettazione\"><intestazione>",
            String(DaticertLeniencyTests.document().dropLast(5)),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><postacert tipo=\"a\" tipo=\"b\"/>",
        ]
    )
    func malformed(text: String) {
        do {
            _ = try DaticertParser.parse(Array(text.utf8))
            Issue.record("parsed \(text.debugDescription)")
        } catch let error as DaticertError {
            guard case .malformedXML = error else {
                Issue.record("expected malformedXML, got \(error)")
                return
            }
            #expect(error.description.hasPrefix("daticert.xml is not well-formed XML"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("input over 1 MiB is refused before parsing")
    func tooLarge() {
        var bytes = Array(DaticertLeniencyTests.document().utf8)
        bytes.append(contentsOf: Array(repeating: UInt8(ascii: " "), count: DaticertParser.maximumSize))
        #expect(throws: DaticertError.tooLarge(size: bytes.count, limit: 1_048_576)) {
            try DaticertParser.parse(bytes)
        }
    }

    @Test("a document of exactly the limit is still parsed")
    func atLimit() throws {
        var bytes = Array(DaticertLeniencyTests.document().utf8)
        bytes.append(contentsOf: Array(repeating: UInt8(ascii: "\n"), count: DaticertParser.maximumSize - bytes.count))
        #expect(try DaticertParser.parse(bytes).tipo == "accettazione")
    }
}
