import Testing

@testable import PECWire

private func wire(_ encoded: IMAP.EncodedCommand) -> [String] {
    encoded.parts.map { String(decoding: $0, as: UTF8.self) }
}

@Suite("Command encoder")
struct IMAPEncoderTests {
    static let plain = IMAP.CommandEncoder(capabilities: [])
    static let literalPlus = IMAP.CommandEncoder(capabilities: [.literalPlus, .saslIR])
    static let literalMinus = IMAP.CommandEncoder(capabilities: [.literalMinus])

    @Test(
        "simple commands",
        arguments: [
            (IMAP.Command.capability, "a1 CAPABILITY\r\n"),
            (.noop, "a1 NOOP\r\n"),
            (.logout, "a1 LOGOUT\r\n"),
            (.startTLS, "a1 STARTTLS\r\n"),
            (.idle, "a1 IDLE\r\n"),
            (.expunge, "a1 EXPUNGE\r\n"),
            (.enable([.condstore, .qresync]), "a1 ENABLE CONDSTORE QRESYNC\r\n"),
            (.select(.inbox), "a1 SELECT INBOX\r\n"),
            (.examine(.init("Posta inviata")), "a1 EXAMINE \"Posta inviata\"\r\n"),
            (.select(.init("Ricevute già lette")), "a1 SELECT \"Ricevute gi&AOA- lette\"\r\n"),
            (.select(.init("NIL")), "a1 SELECT \"NIL\"\r\n"),
            (
                .list(reference: .init(""), pattern: "*", returnSpecialUse: true),
                "a1 LIST \"\" \"*\" RETURN (SPECIAL-USE)\r\n"
            ),
            (
                .list(reference: .init(""), pattern: "Archivio/%", returnSpecialUse: false),
                "a1 LIST \"\" \"Archivio/%\"\r\n"
            ),
            (
                .status(.inbox, [.messages, .uidNext, .uidValidity, .unseen, .highestModSeq]),
                "a1 STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)\r\n"
            ),
            (
                .uidFetch(
                    IMAP.UIDSet([1, 2, 3, 7, 9]),
                    [.uid, .flags, .internalDate, .rfc822Size, .envelope, .bodyStructure, .modSeq]
                ),
                "a1 UID FETCH 1:3,7,9 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE MODSEQ)\r\n"
            ),
            (
                .uidFetch(
                    .from(5),
                    [
                        .bodyPeek(.init(kind: .headerFields(["From", "Subject"]))),
                        .bodyPeek(.init(part: [1]), partial: (offset: 0, length: 100)),
                        .bodyPeek(.complete), .bodyPeek(.init(part: [1, 3], kind: .text)),
                        .bodyPeek(.init(part: [2], kind: .mime)),
                        .bodyPeek(.init(kind: .headerFieldsNot(["X-A"]))),
                    ]
                ),
                "a1 UID FETCH 5:* (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] BODY.PEEK[1]<0.100> BODY.PEEK[] BODY.PEEK[1.3.TEXT] BODY.PEEK[2.MIME] BODY.PEEK[HEADER.FIELDS.NOT (X-A)])\r\n"
            ),
            (
                .uidStore(IMAP.UIDSet(1...3), .add([.seen, "$Label1"], silent: true)),
                "a1 UID STORE 1:3 +FLAGS.SILENT (\\Seen $Label1)\r\n"
            ),
            (.uidStore(IMAP.UIDSet([4]), .remove([.flagged])), "a1 UID STORE 4 -FLAGS (\\Flagged)\r\n"),
            (.uidStore(IMAP.UIDSet([4]), .replace([])), "a1 UID STORE 4 FLAGS ()\r\n"),
            (.uidCopy(IMAP.UIDSet([1]), .init("Posta inviata")), "a1 UID COPY 1 \"Posta inviata\"\r\n"),
            (.uidMove(IMAP.UIDSet([2, 4]), .init("Archivio/2026")), "a1 UID MOVE 2,4 Archivio/2026\r\n"),
            (.uidExpunge(IMAP.UIDSet([2])), "a1 UID EXPUNGE 2\r\n"),
            (
                .login(username: "mario.rossi@pec.sandbox", password: "se cret\"\\"),
                "a1 LOGIN mario.rossi@pec.sandbox \"se cret\\\"\\\\\"\r\n"
            ),
        ] as [(IMAP.Command, String)]
    )
    func simple(_ command: IMAP.Command, _ expected: String) throws {
        let encoded = try Self.plain.encode(command, tag: "a1")
        #expect(wire(encoded) == [expected])
    }

    @Test(
        "search",
        arguments: [
            (IMAP.SearchKey.all, "a1 UID SEARCH ALL\r\n"),
            (
                .and([.unseen, .since(.init(year: 2026, month: 2, day: 1)), .subject("prova")]),
                "a1 UID SEARCH UNSEEN SINCE 1-Feb-2026 SUBJECT prova\r\n"
            ),
            (
                .or(.from("anna"), .and([.to("x y"), .not(.deleted)])),
                "a1 UID SEARCH OR FROM anna (TO \"x y\" NOT DELETED)\r\n"
            ),
            (.not(.or(.seen, .flagged)), "a1 UID SEARCH NOT OR SEEN FLAGGED\r\n"),
            (.and([]), "a1 UID SEARCH ALL\r\n"),
            (
                .and([.uid(IMAP.UIDSet(1...10)), .header(name: "X-Trasporto", value: "posta-certificata")]),
                "a1 UID SEARCH UID 1:10 HEADER X-Trasporto posta-certificata\r\n"
            ),
            (.before(.init(year: 2026, month: 12, day: 31)), "a1 UID SEARCH BEFORE 31-Dec-2026\r\n"),
            (
                .and([.larger(100), .keyword("$Forwarded"), .sentOn(.init(year: 2026, month: 1, day: 9))]),
                "a1 UID SEARCH LARGER 100 KEYWORD $Forwarded SENTON 9-Jan-2026\r\n"
            ),
        ] as [(IMAP.SearchKey, String)]
    )
    func search(_ key: IMAP.SearchKey, _ expected: String) throws {
        #expect(wire(try Self.plain.encode(.uidSearch(key), tag: "a1")) == [expected])
    }

    @Test func nonASCIISearchUsesCharsetAndLiterals() throws {
        let key = IMAP.SearchKey.and([.subject("però"), .unseen])
        let sync = try Self.plain.encode(.uidSearch(key), tag: "a1")
        #expect(wire(sync) == ["a1 UID SEARCH CHARSET UTF-8 SUBJECT {5}\r\n", "però UNSEEN\r\n"])
        #expect(sync.redactedDescription == "a1 UID SEARCH CHARSET UTF-8 SUBJECT {5 bytes} UNSEEN")
        let plus = try Self.literalPlus.encode(.uidSearch(key), tag: "a1")
        #expect(wire(plus) == ["a1 UID SEARCH CHARSET UTF-8 SUBJECT {5+}\r\nperò UNSEEN\r\n"])
        #expect(
            wire(try Self.plain.encode(.uidSearch(.not(.body("€"))), tag: "t")) == [
                "t UID SEARCH CHARSET UTF-8 NOT BODY {3}\r\n", "€\r\n",
            ]
        )
    }

    @Test func literalChoice() throws {
        let name = IMAP.MailboxName(wire: imapBytes("Posta già"))  // raw UTF-8 (UTF8=ACCEPT style)
        #expect(wire(try Self.plain.encode(.select(name), tag: "a")) == ["a SELECT {10}\r\n", "Posta già\r\n"])
        #expect(wire(try Self.literalPlus.encode(.select(name), tag: "a")) == ["a SELECT {10+}\r\nPosta già\r\n"])
        #expect(wire(try Self.literalMinus.encode(.select(name), tag: "a")) == ["a SELECT {10+}\r\nPosta già\r\n"])
        // LITERAL- allows {n+} only up to 4096 bytes.
        let big = String(repeating: "é", count: 3000)
        let minus = try Self.literalMinus.encode(.uidSearch(.body(big)), tag: "a")
        #expect(minus.parts.count == 2)
        #expect(wire(minus)[0] == "a UID SEARCH CHARSET UTF-8 BODY {6000}\r\n")
        // CR/LF forces a literal; long ASCII too.
        #expect(
            wire(try Self.plain.encode(.uidSearch(.text("a\r\nb")), tag: "a")) == [
                "a UID SEARCH TEXT {4}\r\n", "a\r\nb\r\n",
            ]
        )
        let long = String(repeating: "x ", count: 600)
        #expect(try Self.plain.encode(.uidSearch(.text(long)), tag: "a").parts.count == 2)
        #expect(wire(try Self.plain.encode(.uidSearch(.text("")), tag: "a")) == ["a UID SEARCH TEXT \"\"\r\n"])
    }

    @Test func loginRedactionAndLiterals() throws {
        let login = try Self.plain.encode(.login(username: "mario", password: "pässword"), tag: "a1")
        #expect(wire(login) == ["a1 LOGIN mario {9}\r\n", "pässword\r\n"])
        #expect(login.redactedDescription == "a1 LOGIN mario ***")
        #expect(!login.redactedDescription.contains("pässword"))
        let quoted = try Self.plain.encode(.login(username: "mario", password: "secret pw"), tag: "a1")
        #expect(quoted.redactedDescription == "a1 LOGIN mario ***")
        let atom = try Self.plain.encode(.login(username: "mario", password: "secret"), tag: "a1")
        #expect(atom.redactedDescription == "a1 LOGIN mario ***")
    }

    @Test func authenticatePlain() throws {
        let withIR = try Self.literalPlus.encode(.authenticatePlain(username: "mario", password: "sandbox"), tag: "a1")
        #expect(wire(withIR) == ["a1 AUTHENTICATE PLAIN AG1hcmlvAHNhbmRib3g=\r\n"])
        #expect(withIR.redactedDescription == "a1 AUTHENTICATE PLAIN ***")
        let without = try Self.plain.encode(.authenticatePlain(username: "mario", password: "sandbox"), tag: "a1")
        #expect(wire(without) == ["a1 AUTHENTICATE PLAIN\r\n", "AG1hcmlvAHNhbmRib3g=\r\n"])
        #expect(without.redactedDescription == "a1 AUTHENTICATE PLAIN ***")
    }

    @Test func literalContentsAreRedacted() throws {
        let encoded = try Self.plain.encode(.uidSearch(.subject("fattura però")), tag: "a1")
        #expect(!encoded.redactedDescription.contains("fattura"))
        #expect(encoded.redactedDescription.contains("{13 bytes}"))
    }

    @Test(
        "rejected",
        arguments: [
            (IMAP.Command.login(username: "a\u{0}b", password: "x"), "a1"),
            (.login(username: "a", password: "x\u{0}"), "a1"),
            (.authenticatePlain(username: "a", password: "x\u{0}"), "a1"),
            (.uidSearch(.subject("x\u{0}y")), "a1"),
            (.select(.init(wire: [0x41, 0])), "a1"),
            (.uidFetch(IMAP.UIDSet(), [.uid]), "a1"),
            (.uidFetch(IMAP.UIDSet([1]), []), "a1"),
            (.uidStore(IMAP.UIDSet([1]), .add(["bad flag"])), "a1"),
            (.uidSearch(.since(.init(year: 2026, month: 13, day: 1))), "a1"),
            (.noop, "a 1"),
            (.noop, "a+"),
            (.noop, ""),
            (.uidFetch(IMAP.UIDSet([1]), [.bodyPeek(.init(kind: .mime))]), "a1"),
        ] as [(IMAP.Command, String)]
    )
    func rejected(_ command: IMAP.Command, _ tag: String) {
        #expect(throws: IMAP.EncodingError.self) { try Self.plain.encode(command, tag: tag) }
    }

    @Test func fetchItemSpellings() throws {
        let none: IMAP.FetchItem = .bodyPeek(.header, partial: nil)
        #expect(none == .bodyPeek(.header))
        let tuple = IMAP.FetchItem.bodyPeek(.header, partial: (offset: 1, length: 2))
        #expect(tuple == .bodyPeek(.header, range: .init(offset: 1, length: 2)))
        #expect(
            wire(try Self.plain.encode(.uidFetch(IMAP.UIDSet([1]), [tuple]), tag: "a")) == [
                "a UID FETCH 1 (BODY.PEEK[HEADER]<1.2>)\r\n"
            ]
        )
    }

    @Test func idleDone() {
        #expect(IMAP.CommandEncoder.idleDone == imapBytes("DONE\r\n"))
    }

    @Test func searchDate() {
        #expect(IMAP.SearchDate(year: 2026, month: 2, day: 1).description == "1-Feb-2026")
        #expect(IMAP.SearchDate(year: 2026, month: 11, day: 30).wireForm == "30-Nov-2026")
        #expect(IMAP.SearchDate(year: 2026, month: 0, day: 1).wireForm == nil)
        #expect(IMAP.SearchDate(year: 2026, month: 1, day: 32).wireForm == nil)
    }
}

@Suite("Modified UTF-7 and UID sets")
struct IMAPValueTests {
    @Test(
        "modified UTF-7 round trip",
        arguments: [
            ("Posta inviata", "Posta inviata"),
            ("Ricevute già lette", "Ricevute gi&AOA- lette"),
            ("&", "&-"),
            ("a&b", "a&-b"),
            ("日本語", "&ZeVnLIqe-"),
            ("a/b", "a/b"),
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("€", "&IKw-"),
            ("😀", "&2D3eAA-"),
            ("tab\there", "tab&AAk-here"),
            ("", ""),
        ]
    )
    func modifiedUTF7(_ display: String, _ wireForm: String) throws {
        #expect(IMAP.ModifiedUTF7.encode(display) == imapBytes(wireForm))
        #expect(try IMAP.ModifiedUTF7.decode(imapBytes(wireForm)) == display)
        let name = IMAP.MailboxName(display)
        #expect(name.bytes == imapBytes(wireForm))
        #expect(name.displayName == display)
    }

    @Test(arguments: ["&", "&Jjo", "&AOA", "&A-", "caf\u{E9}", "&!!-", "&2D0-"])
    func invalidModifiedUTF7(_ input: String) {
        #expect(throws: IMAP.ModifiedUTF7.DecodingError.self) { try IMAP.ModifiedUTF7.decode(imapBytes(input)) }
    }

    @Test func rawUTF8NamesFallBackToLossyUTF8() {
        let name = IMAP.MailboxName(wire: imapBytes("Posta già"))
        #expect(name.displayName == "Posta già")
        #expect(IMAP.MailboxName(wire: imapBytes("inbox")).isInbox)
        #expect(!IMAP.MailboxName(wire: imapBytes("inboxes")).isInbox)
    }

    @Test func uidSetCompression() {
        #expect(IMAP.UIDSet([9, 1, 3, 2, 7, 3]).description == "1:3,7,9")
        #expect(IMAP.UIDSet.from(9).description == "9:*")
        #expect(IMAP.UIDSet(ranges: [5...8, 1...2, 3...4, 10...12]).description == "1:8,10:12")
        var set = IMAP.UIDSet()
        #expect(set.isEmpty && set.description == "")
        set.insert(5)
        set.insert(3...4)
        set.insert(100)
        #expect(set.description == "3:5,100")
        #expect(set.contains(4) && set.contains(100) && !set.contains(6) && !set.contains(2))
        #expect(set.count == 4)
        #expect(IMAP.UIDSet.from(1).contains(4_000_000_000))
    }

    @Test func roundTripUIDSetThroughTheParser() throws {
        for set in [IMAP.UIDSet([1, 2, 3, 7, 9]), IMAP.UIDSet(1...IMAP.UID(UInt32.max)), IMAP.UIDSet([42])] {
            var buffer = IMAP.ParseBuffer(imapBytes(set.description + " "))
            let parsed = try IMAP.GrammarParser.parseUIDSet(&buffer, IMAP.StackTracker(limit: 10))
            #expect(parsed == set)
        }
    }

    @Test func roundTripMailboxNameThroughEncoderAndParser() throws {
        for display in ["Ricevute già lette", "a \"quoted\" name", "日本語", "INBOX", "a&b"] {
            let encoded = try IMAP.CommandEncoder(capabilities: []).encode(.select(IMAP.MailboxName(display)), tag: "t")
            let line = encoded.bytes.dropFirst("t SELECT ".utf8.count)
            let response = imapBytes("* LIST () \"/\" ") + Array(line)
            let events = try IMAPParserDriver.parse(response)
            guard case .untagged(.list(let entry))? = events.first else {
                Issue.record("no LIST for \(display)")
                continue
            }
            #expect(entry.name.displayName == display)
        }
    }

    @Test func roundTripSectionThroughEncoderAndParser() throws {
        let sections: [IMAP.SectionSpecifier] = [
            .complete, .header, .text, .init(part: [1, 2]), .init(part: [1, 3], kind: .text),
            .init(part: [2], kind: .mime), .init(kind: .headerFields(["From", "X-Trasporto"])),
            .init(part: [4], kind: .headerFieldsNot(["Received"])),
        ]
        for section in sections {
            let encoded = try IMAP.CommandEncoder(capabilities: []).encode(
                .uidFetch(IMAP.UIDSet([1]), [.bodyPeek(section)]),
                tag: "t"
            )
            let text = String(decoding: encoded.bytes, as: UTF8.self)
            let inner = text.drop { $0 != "[" }.prefix { $0 != "]" } + "]"
            #expect(section.description == String(inner.dropFirst().dropLast()))
            var buffer = IMAP.ParseBuffer(imapBytes(String(inner)))
            #expect(try IMAP.GrammarParser.parseSection(&buffer, IMAP.StackTracker(limit: 10)) == section)
        }
    }
}

@Suite("IMAP search by sequence numbers")
struct IMAPSequenceSearchTests {
    @Test("the newest N messages by position: UID SEARCH first:last; position 0 is refused")
    func sequenceRange() throws {
        let encoder = IMAP.CommandEncoder(capabilities: [])
        let range = IMAP.SequenceNumber(rawValue: 9981)...IMAP.SequenceNumber(rawValue: 10000)
        let encoded = try encoder.encode(.uidSearch(.sequenceNumbers(range)), tag: "A1")
        #expect(encoded.parts == [Array("A1 UID SEARCH 9981:10000\r\n".utf8)])
        let zero = IMAP.SequenceNumber(rawValue: 0)...IMAP.SequenceNumber(rawValue: 3)
        #expect(throws: IMAP.EncodingError.self) { try encoder.encode(.uidSearch(.sequenceNumbers(zero)), tag: "A2") }
    }
}
