import Testing

@testable import PECWire

@Suite("PEC addresses")
struct PECAddressTests {
    @Test(
        "valid addresses keep their parts as given",
        arguments: [
            ("mittente@pec.esempio.it", "mittente", "pec.esempio.it"),
            ("o'brien+tag@sub.dominio-pec.it", "o'brien+tag", "sub.dominio-pec.it"),
            ("Mario.Rossi@PEC.Example.IT", "Mario.Rossi", "PEC.Example.IT"),
            ("a!#$%&*/=?^_`{|}~-@x1.it", "a!#$%&*/=?^_`{|}~-", "x1.it"),
            ("posta@localhost", "posta", "localhost"),
        ]
    )
    func valid(text: String, local: String, domain: String) throws {
        let address = try PECAddress(text)
        #expect(address.localPart == local)
        #expect(address.domain == domain)
        #expect(address.description == text)
        #expect(PECAddress.isValid(text))
    }

    static let invalidCases: [(String, PECAddress.Invalid)] = [
        ("", .empty),
        ("a@b.it\r\nBcc: x@y.it", .lineBreak),
        ("a@b.it\n", .lineBreak),
        ("a\u{0}@b.it", .nul),
        ("nome cognome@b.it", .spaces),
        ("a@b.it\t", .spaces),
        ("Nome <a@b.it>", .spaces),
        ("<a@b.it>", .angleBrackets),
        ("senza-chiocciola.it", .noAt),
        ("a@", .emptyDomain),
        ("@b.it", .emptyLocalPart),
        ("a@b@c.it", .severalAts),
        ("a@b.it,c@d.it", .severalAts),
        ("a@b.it,d.it", .domainCharacter(",")),
        ("a,c@d.it", .localCharacter(",")),
        ("\"a b\"@c.it", .spaces),
        ("\"ab\"@c.it", .localCharacter("\"")),
        ("a@[10.0.0.1]", .domainCharacter("[")),
        ("a..b@c.it", .emptyLocalAtom),
        (".a@c.it", .emptyLocalAtom),
        ("a@b..it", .emptyLabel),
        ("a@b.it.", .emptyLabel),
        ("a@b_c.it", .domainCharacter("_")),
        ("a@-b.it", .hyphenAtLabelEdge),
        ("a@b-.it", .hyphenAtLabelEdge),
        ("a@" + String(repeating: "b", count: 64) + ".it", .labelTooLong),
        ("però@b.it", .nonASCII),
        ("a@dominio.italià", .nonASCII),
        (String(repeating: "a", count: 65) + "@b.it", .localPartTooLong),
        ("a@" + String(repeating: "b", count: 250) + ".it", .tooLong),
    ]

    @Test("invalid addresses name their first problem", arguments: invalidCases)
    func invalid(text: String, expected: PECAddress.Invalid) {
        #expect(throws: expected) { try PECAddress(text) }
        #expect(!PECAddress.isValid(text))
    }

    @Test("the length limits are inclusive: 254 in all, 64 before the @, 63 a label")
    func limits() throws {
        let label = String(repeating: "d", count: 63)
        let domain = [label, label, label, String(repeating: "d", count: 60)].joined(separator: ".")
        let local = String(repeating: "l", count: 254 - 1 - domain.count)
        #expect(local.count <= 64)
        #expect(try PECAddress(local + "@" + domain).description.utf8.count == 254)
        #expect(PECAddress.isValid(String(repeating: "l", count: 64) + "@x.it"))
    }

    @Test("problems read as the end of a sentence; the hint is set only where the usual advice does not fit")
    func wording() {
        #expect(PECAddress.Invalid.localCharacter(",").problem == "contains \",\" before the @")
        #expect(PECAddress.Invalid.tooLong.problem == "is longer than 254 characters")
        #expect(PECAddress.Invalid.angleBrackets.hint?.contains("without a display name") == true)
        #expect(PECAddress.Invalid.nonASCII.hint?.contains("xn--") == true)
        #expect(PECAddress.Invalid.noAt.hint == nil)
    }

    @Test("a qualified domain has two labels or more")
    func qualified() throws {
        #expect(try PECAddress("a@pec.it").hasQualifiedDomain)
        #expect(try !PECAddress("a@localhost").hasQualifiedDomain)
        #expect(try !PECAddress("nope@x").hasQualifiedDomain)
    }

    @Test(
        "allowed-recipient entries: an address or @domain, with a qualified domain or localhost",
        arguments: [
            ("ufficio@pec.comune.it", PECAddress.RecipientPattern.address(try! PECAddress("ufficio@pec.comune.it"))),
            ("@pec.studio.it", .domain("pec.studio.it")),
            ("@PEC.Sandbox", .domain("PEC.Sandbox")),
            ("@localhost", .domain("localhost")),
            ("posta@localhost", .address(try! PECAddress("posta@localhost"))),
        ]
    )
    func patterns(entry: String, expected: PECAddress.RecipientPattern) {
        #expect(PECAddress.RecipientPattern(entry) == expected)
    }

    @Test(
        "entries that are neither form are refused",
        arguments: [
            "", "nobody", "@", "@pec", "a@pec", "@@pec.it", "a@b@pec.it", "@pec.it,", "a b@pec.it", "@pec .it",
            "<a@pec.it>", "@pec_it.it", "@-pec.it", "a..b@pec.it", "però@pec.it", "@pec..it",
        ]
    )
    func badPatterns(entry: String) {
        #expect(PECAddress.RecipientPattern(entry) == nil)
    }

    @Test("an address header splits on commas outside quotes and angle brackets")
    func mailboxes() {
        #expect(
            PECAddress.mailboxes(inHeader: "\"Rossi, Mario\" <m.rossi@pec.it>, a@b.it ,, <x,y@z.it>")
                == ["\"Rossi, Mario\" <m.rossi@pec.it>", "a@b.it", "<x,y@z.it>"]
        )
        #expect(PECAddress.mailboxes(inHeader: "  ").isEmpty)
        #expect(PECAddress.mailboxes(inHeader: "solo@pec.it") == ["solo@pec.it"])
    }

    @Test("the addr-spec of a mailbox")
    func addrSpec() {
        #expect(PECAddress.addrSpec(ofMailbox: "\"Nome\" < a@b.it >") == "a@b.it")
        #expect(PECAddress.addrSpec(ofMailbox: "Nome <x@y.it> <a@b.it>") == "a@b.it")
        #expect(PECAddress.addrSpec(ofMailbox: " a@b.it ") == "a@b.it")
        #expect(PECAddress.addrSpec(ofMailbox: "Nome <a@b.it") == "Nome <a@b.it")
    }

    @Test("quoting for messages shows control characters, quotes and backslashes escaped")
    func quoted() {
        #expect(PECAddress.quoted("a\r\nb\t\"c\\\u{1B}\u{85}è") == #""a\r\nb\t\"c\\\u{1b}\u{85}è""#)
    }
}
