import Testing

@testable import PECWire

extension IMAPParseFixture<IMAP.Envelope> {
    fileprivate static func envelope(
        _ input: String,
        _ terminator: String = ")",
        expected: Expected,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Self {
        IMAPParseFixture(
            input,
            terminator,
            expected: expected,
            parser: IMAP.GrammarParser.parseEnvelope,
            sourceLocation: sourceLocation
        )
    }
}

private func address(_ name: String?, _ mailbox: String?, _ host: String?) -> IMAP.Address {
    IMAP.Address(name: name.map(imapBytes), adl: nil, mailbox: mailbox.map(imapBytes), host: host.map(imapBytes))
}

@Suite("Envelope")
struct IMAPEnvelopeTests {
    static let mario = address("Mario Rossi", "mario.rossi", "pec.sandbox")

    @Test(
        "parse envelope",
        arguments: [
            IMAPParseFixture.envelope(
                #"("Mon, 2 Feb 2026 10:00:00 +0100" "Prova semplice" (("Mario Rossi" NIL "mario.rossi" "pec.sandbox")) (("Mario Rossi" NIL "mario.rossi" "pec.sandbox")) (("Mario Rossi" NIL "mario.rossi" "pec.sandbox")) ((NIL NIL "anna.bianchi" "pec.sandbox")) NIL NIL NIL "<m1@pec.sandbox>")"#,
                expected: .success(
                    IMAP.Envelope(
                        date: imapBytes("Mon, 2 Feb 2026 10:00:00 +0100"),
                        subject: imapBytes("Prova semplice"),
                        from: [mario],
                        sender: [mario],
                        replyTo: [mario],
                        to: [address(nil, "anna.bianchi", "pec.sandbox")],
                        cc: [],
                        bcc: [],
                        inReplyTo: nil,
                        messageID: imapBytes("<m1@pec.sandbox>")
                    )
                )
            ),
            // All NIL; "()" instead of NIL (seen in the wild); a subject with escapes.
            IMAPParseFixture.envelope(
                #"(NIL "a \"quoted\" \\ subject" NIL () NIL NIL NIL NIL NIL NIL)"#,
                expected: .success(
                    IMAP.Envelope(
                        date: nil,
                        subject: imapBytes(#"a "quoted" \ subject"#),
                        from: [],
                        sender: [],
                        replyTo: [],
                        to: [],
                        cc: [],
                        bcc: [],
                        inReplyTo: nil,
                        messageID: nil
                    )
                )
            ),
            // Literals with raw UTF-8 (Dovecot), a group, two addresses with and without a space between.
            IMAPParseFixture.envelope(
                "(\"d\" {9}\r\nperò € ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL "
                    + "((\"A\" NIL \"a\" \"x\") (\"B\" NIL \"b\" \"y\")) NIL NIL {5}\r\n<r@x> \"<id@x>\")",
                expected: .success(
                    IMAP.Envelope(
                        date: imapBytes("d"),
                        subject: imapBytes("però €"),
                        from: [address(nil, "undisclosed-recipients", nil), address(nil, nil, nil)],
                        sender: [],
                        replyTo: [],
                        to: [address("A", "a", "x"), address("B", "b", "y")],
                        cc: [],
                        bcc: [],
                        inReplyTo: imapBytes("<r@x>"),
                        messageID: imapBytes("<id@x>")
                    )
                )
            ),
            IMAPParseFixture.envelope(#"("d" "s" NIL NIL NIL NIL NIL NIL NIL"#, "", expected: .incomplete),
            IMAPParseFixture.envelope(#"("d" "s" NIL NIL NIL NIL NIL NIL NIL NIL NIL)"#, expected: .failure),
            IMAPParseFixture.envelope(#"("d" "s" (("a" NIL "b")) NIL NIL NIL NIL NIL NIL NIL)"#, expected: .failure),
            IMAPParseFixture.envelope("(\"d\" \"s\r\n\" NIL NIL NIL NIL NIL NIL NIL NIL)", expected: .failure),
        ]
    )
    func parse(_ fixture: IMAPParseFixture<IMAP.Envelope>) {
        fixture.check()
    }

    @Test func stringAccessors() {
        let envelope = IMAP.Envelope(
            date: nil,
            subject: imapBytes("Fattura però"),
            from: [Self.mario],
            sender: [],
            replyTo: [],
            to: [],
            cc: [],
            bcc: [],
            inReplyTo: nil,
            messageID: nil
        )
        #expect(envelope.subjectString == "Fattura però")
        #expect(envelope.from.first?.emailAddress == "mario.rossi@pec.sandbox")
        #expect(envelope.from.first?.nameString == "Mario Rossi")
    }
}
