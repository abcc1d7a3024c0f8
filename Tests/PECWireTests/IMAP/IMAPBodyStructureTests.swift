import Testing

@testable import PECWire

extension IMAPParseFixture<IMAP.BodyStructure> {
    fileprivate static func body(
        _ input: String,
        _ terminator: String = ")",
        expected: Expected,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Self {
        IMAPParseFixture(
            input,
            terminator,
            expected: expected,
            parser: IMAP.GrammarParser.parseBody,
            sourceLocation: sourceLocation
        )
    }
}

private typealias Body = IMAP.BodyStructure
private typealias Param = IMAP.BodyStructure.BodyParameter

private func param(_ name: String, _ value: String) -> Param { Param(name: name, value: imapBytes(value)) }

private let textPlain = Body.singlepart(
    .init(
        type: "text",
        subtype: "plain",
        parameters: [param("charset", "us-ascii")],
        encoding: "7bit",
        size: 790,
        kind: .text(lineCount: 20)
    )
)

private let m1Envelope = IMAP.Envelope(
    date: imapBytes("Mon, 2 Feb 2026 10:00:00 +0100"),
    subject: imapBytes("Prova semplice"),
    from: [
        IMAP.Address(name: imapBytes("Mario"), adl: nil, mailbox: imapBytes("mario"), host: imapBytes("pec.sandbox"))
    ],
    sender: [],
    replyTo: [],
    to: [],
    cc: [],
    bcc: [],
    inReplyTo: nil,
    messageID: imapBytes("<m1@pec.sandbox>")
)

@Suite("BodyStructure")
struct IMAPBodyStructureTests {
    @Test(
        "parse body",
        arguments: [
            // Single part, BODYSTRUCTURE with (empty) extension data, Dovecot style.
            IMAPParseFixture.body(
                #"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 790 20 NIL NIL NIL NIL)"#,
                expected: .success(textPlain)
            ),
            // Single part without extension data (BODY), uppercase values are lowercased.
            IMAPParseFixture.body(
                #"("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 790 20)"#,
                expected: .success(textPlain)
            ),
            // Basic part with md5, disposition, language list, location, and extra unknown extension data.
            IMAPParseFixture.body(
                #"("application" "pdf" ("name" "a.pdf") "<id@x>" "desc" "base64" 64 "md5sum" ("attachment" ("filename" "a.pdf")) ("it" "en") "loc" 42 ("x" ("y" NIL)))"#,
                expected: .success(
                    .singlepart(
                        .init(
                            type: "application",
                            subtype: "pdf",
                            parameters: [param("name", "a.pdf")],
                            id: imapBytes("<id@x>"),
                            description: imapBytes("desc"),
                            encoding: "base64",
                            size: 64,
                            md5: imapBytes("md5sum"),
                            disposition: .init(kind: "attachment", parameters: [param("filename", "a.pdf")]),
                            language: ["it", "en"],
                            location: imapBytes("loc")
                        )
                    )
                )
            ),
            // Raw UTF-8 filename sent as literals inside the body structure (what Dovecot sends).
            IMAPParseFixture.body(
                "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"8bit\" 28 0 NIL NIL NIL NIL)"
                    + "(\"application\" \"pdf\" (\"name\" {21}\r\nfattura-però-€.pdf) NIL NIL \"base64\" 64 NIL "
                    + "(\"attachment\" (\"filename\" {21}\r\nfattura-però-€.pdf)) NIL NIL) \"mixed\" "
                    + "(\"boundary\" \"BND\") NIL NIL NIL)",
                expected: .success(
                    .multipart(
                        .init(
                            parts: [
                                .singlepart(
                                    .init(
                                        type: "text",
                                        subtype: "plain",
                                        parameters: [param("charset", "utf-8")],
                                        encoding: "8bit",
                                        size: 28,
                                        kind: .text(lineCount: 0)
                                    )
                                ),
                                .singlepart(
                                    .init(
                                        type: "application",
                                        subtype: "pdf",
                                        parameters: [param("name", "fattura-però-€.pdf")],
                                        encoding: "base64",
                                        size: 64,
                                        disposition: .init(
                                            kind: "attachment",
                                            parameters: [param("filename", "fattura-però-€.pdf")]
                                        )
                                    )
                                ),
                            ],
                            subtype: "mixed",
                            parameters: [param("boundary", "BND")]
                        )
                    )
                )
            ),
            // The same literal filename but the short `{19}` form from the issue ("fattura€però.pdf").
            IMAPParseFixture.body(
                "(\"application\" \"pdf\" (\"name\" {19}\r\nfattura€però.pdf) NIL NIL \"base64\" 64)",
                expected: .success(
                    .singlepart(
                        .init(
                            type: "application",
                            subtype: "pdf",
                            parameters: [param("name", "fattura€però.pdf")],
                            encoding: "base64",
                            size: 64
                        )
                    )
                )
            ),
            // message/rfc822 with its envelope and nested body, then extension data.
            IMAPParseFixture.body(
                #"("message" "rfc822" ("name" "postacert.eml") NIL NIL "7bit" 1004 ("Mon, 2 Feb 2026 10:00:00 +0100" "Prova semplice" (("Mario" NIL "mario" "pec.sandbox")) NIL NIL NIL NIL NIL NIL "<m1@pec.sandbox>") ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 790 20 NIL NIL NIL NIL) 27 NIL ("inline" ("filename" "postacert.eml")) NIL NIL)"#,
                expected: .success(
                    .singlepart(
                        .init(
                            type: "message",
                            subtype: "rfc822",
                            parameters: [param("name", "postacert.eml")],
                            encoding: "7bit",
                            size: 1004,
                            kind: .message(envelope: m1Envelope, body: textPlain, lineCount: 27),
                            disposition: .init(kind: "inline", parameters: [param("filename", "postacert.eml")])
                        )
                    )
                )
            ),
            // Multipart without extension data; parts separated by a space (tolerated).
            IMAPParseFixture.body(
                #"(("text" "plain" NIL NIL NIL "7bit" 1 1) ("text" "html" NIL NIL NIL "7bit" 2 1) "alternative")"#,
                expected: .success(
                    .multipart(
                        .init(
                            parts: [
                                .singlepart(
                                    .init(
                                        type: "text",
                                        subtype: "plain",
                                        encoding: "7bit",
                                        size: 1,
                                        kind: .text(lineCount: 1)
                                    )
                                ),
                                .singlepart(
                                    .init(
                                        type: "text",
                                        subtype: "html",
                                        encoding: "7bit",
                                        size: 2,
                                        kind: .text(lineCount: 1)
                                    )
                                ),
                            ],
                            subtype: "alternative"
                        )
                    )
                )
            ),
            // Tolerance: "()" for NIL parameters and disposition, NIL type/encoding, bare-string disposition,
            // unquoted encoding atom.
            IMAPParseFixture.body(
                #"(NIL "octet-stream" () NIL NIL NIL 5 NIL () NIL NIL)"#,
                expected: .success(.singlepart(.init(type: "", subtype: "octet-stream", encoding: "", size: 5)))
            ),
            IMAPParseFixture.body(
                #"("image" "png" NIL NIL NIL BASE64 5 NIL "inline")"#,
                expected: .success(
                    .singlepart(
                        .init(
                            type: "image",
                            subtype: "png",
                            encoding: "base64",
                            size: 5,
                            disposition: .init(kind: "inline", parameters: [])
                        )
                    )
                )
            ),
            // Tolerance: message/rfc822 without envelope and body is read as a basic part.
            IMAPParseFixture.body(
                #"("message" "rfc822" NIL NIL NIL "7bit" 10)"#,
                expected: .success(.singlepart(.init(type: "message", subtype: "rfc822", encoding: "7bit", size: 10)))
            ),
            IMAPParseFixture.body(#"("text" "plain" NIL NIL NIL "7bit" 10 2"#, "", expected: .incomplete),
            IMAPParseFixture.body(#"("text" "plain" NIL NIL NIL "7bit" x)"#, expected: .failure),
            IMAPParseFixture.body(#"()"#, expected: .failure),
            IMAPParseFixture.body(#"("text" "plain" NIL NIL NIL "7bit" 99999999999999999999999)"#, expected: .failure),
        ]
    )
    func parse(_ fixture: IMAPParseFixture<IMAP.BodyStructure>) {
        fixture.check()
    }

    @Test func hostileNestingIsAnErrorNotACrash() {
        let deep =
            String(repeating: "(", count: 10_000) + "\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1"
            + String(repeating: ")", count: 10_000)
        var buffer = IMAP.ParseBuffer(imapBytes(deep))
        #expect(throws: IMAP.ParserError.self) {
            try IMAP.GrammarParser.parseBody(&buffer, IMAP.StackTracker(limit: 100))
        }
        do {
            var buffer = IMAP.ParseBuffer(imapBytes(deep))
            _ = try IMAP.GrammarParser.parseBody(&buffer, IMAP.StackTracker(limit: 100))
        } catch let error as IMAP.ParserError {
            #expect(error.kind == .tooMuchNesting)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// The PEC-like structure Dovecot sent for message 3 of the sandbox transcript.
    static let pec: IMAP.BodyStructure = .multipart(
        .init(
            parts: [
                .multipart(
                    .init(
                        parts: [
                            .multipart(
                                .init(
                                    parts: [
                                        .singlepart(
                                            .init(
                                                type: "text",
                                                subtype: "plain",
                                                encoding: "7bit",
                                                size: 30,
                                                kind: .text(lineCount: 0)
                                            )
                                        ),
                                        .singlepart(
                                            .init(
                                                type: "text",
                                                subtype: "html",
                                                encoding: "7bit",
                                                size: 37,
                                                kind: .text(lineCount: 0)
                                            )
                                        ),
                                    ],
                                    subtype: "alternative"
                                )
                            ),
                            .singlepart(.init(type: "application", subtype: "xml", encoding: "7bit", size: 37)),
                            .singlepart(
                                .init(
                                    type: "message",
                                    subtype: "rfc822",
                                    encoding: "7bit",
                                    size: 1004,
                                    kind: .message(envelope: m1Envelope, body: textPlain, lineCount: 27)
                                )
                            ),
                        ],
                        subtype: "mixed"
                    )
                ),
                .singlepart(.init(type: "application", subtype: "pkcs7-signature", encoding: "base64", size: 76)),
            ],
            subtype: "signed"
        )
    )

    @Test func partPaths() throws {
        let pec = Self.pec
        #expect(pec.part([]) == pec)
        guard case .singlepart(let p7s)? = pec.part([2]) else {
            Issue.record("no part 2")
            return
        }
        #expect(p7s.mediaType == "application/pkcs7-signature")
        guard case .singlepart(let xml)? = pec.part([1, 2]) else {
            Issue.record("no part 1.2")
            return
        }
        #expect(xml.subtype == "xml")
        guard case .singlepart(let html)? = pec.part([1, 1, 2]) else {
            Issue.record("no part 1.1.2")
            return
        }
        #expect(html.subtype == "html")
        // 1.3 is message/rfc822; 1.3.1 is the body of the embedded message (a single part).
        #expect(pec.part([1, 3, 1]) == textPlain)
        #expect(pec.part([1, 3, 2]) == nil)
        #expect(pec.part([3]) == nil)
        #expect(pec.part([0]) == nil)
        #expect(textPlain.part([1]) == textPlain)
        #expect(textPlain.part([1, 1]) == nil)

        let leaves = pec.leafParts.map { ($0.path, $0.part.mediaType) }
        #expect(leaves.map(\.0) == [[1, 1, 1], [1, 1, 2], [1, 2], [1, 3], [2]])
        #expect(
            leaves.map(\.1) == [
                "text/plain", "text/html", "application/xml", "message/rfc822", "application/pkcs7-signature",
            ]
        )
        #expect(textPlain.leafParts.map(\.path) == [[1]])
        let all = pec.allParts.map(\.path)
        #expect(all == [[], [1], [1, 1], [1, 1, 1], [1, 1, 2], [1, 2], [1, 3], [1, 3, 1], [2]])
    }

    @Test func filename() {
        let part = IMAP.BodyStructure.SinglePart(
            type: "application",
            subtype: "pdf",
            parameters: [param("name", "b.pdf")],
            encoding: "base64",
            size: 1,
            disposition: .init(kind: "attachment", parameters: [param("filename", "a.pdf")])
        )
        #expect(part.filename == imapBytes("a.pdf"))
        var noDisposition = part
        noDisposition.disposition = nil
        #expect(noDisposition.filename == imapBytes("b.pdf"))
    }
}
