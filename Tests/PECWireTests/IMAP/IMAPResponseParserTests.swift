import Testing

@testable import PECWire

/// Whole responses through the ResponseParser: input transcript → expected events. Every case is also fed
/// byte by byte and in random chunkings.
struct IMAPResponseFixture: Sendable, CustomTestStringConvertible {
    var input: String
    var expected: [IMAP.Response]
    var testDescription: String { IMAPParseFixture<Int>.visible(Array(input.utf8)) }

    init(_ input: String, _ expected: [IMAP.Response]) {
        self.input = input
        self.expected = expected
    }
}

private func untagged(_ response: IMAP.UntaggedResponse) -> IMAP.Response { .untagged(response) }
private func fetch(_ event: IMAP.FetchEvent) -> IMAP.Response { .fetch(event) }
private func attribute(_ attribute: IMAP.FetchAttribute) -> IMAP.Response { .fetch(.attribute(attribute)) }
private func body(_ section: IMAP.SectionSpecifier, origin: Int? = nil, _ content: String) -> [IMAP.Response] {
    let data = imapBytes(content)
    return [.fetch(.streamingBegin(section: section, origin: origin, byteCount: data.count))]
        + (data.isEmpty ? [] : [.fetch(.streamingBytes(data))]) + [.fetch(.streamingEnd)]
}

@Suite("ResponseParser")
struct IMAPResponseParserTests {
    @Test(
        "responses",
        arguments: [
            IMAPResponseFixture(
                "* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN\r\n",
                [untagged(.capability([.imap4rev1, .literalPlus, .saslIR, .auth("PLAIN")]))]
            ),
            IMAPResponseFixture("* CAPABILITY IMAP4rev1 IDLE \r\n", [untagged(.capability([.imap4rev1, .idle]))]),
            IMAPResponseFixture(
                "a1 OK [READ-WRITE] Select completed\r\n",
                [.tagged(.init(tag: "a1", status: .ok, text: .init(code: .readWrite, text: "Select completed")))]
            ),
            IMAPResponseFixture(
                "a2 NO [NONEXISTENT] Mailbox doesn't exist\r\n",
                [.tagged(.init(tag: "a2", status: .no, text: .init(code: .nonExistent, text: "Mailbox doesn't exist")))]
            ),
            IMAPResponseFixture(
                "15.16 BAD Error in IMAP command\r\n",
                [.tagged(.init(tag: "15.16", status: .bad, text: .init(text: "Error in IMAP command")))]
            ),
            IMAPResponseFixture("a3 OK\r\n", [.tagged(.init(tag: "a3", status: .ok, text: .init(text: "")))]),
            IMAPResponseFixture(
                "a4 no [ALERT] disk full [really]\r\n",
                [.tagged(.init(tag: "a4", status: .no, text: .init(code: .alert, text: "disk full [really]")))]
            ),
            IMAPResponseFixture(
                "a5 NO [broken code text\r\n",
                [.tagged(.init(tag: "a5", status: .no, text: .init(text: "[broken code text")))]
            ),
            IMAPResponseFixture(
                "* NO [TRYAGAIN] later\r\n* BAD what\r\n",
                [
                    untagged(.condition(.no, .init(code: .tryAgain, text: "later"))),
                    untagged(.condition(.bad, .init(text: "what"))),
                ]
            ),
            IMAPResponseFixture("* BYE Logging out\r\n", [untagged(.condition(.bye, .init(text: "Logging out")))]),
            IMAPResponseFixture(
                "* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n",
                [untagged(.condition(.preauth, .init(code: .capability([.imap4rev1]), text: "hi")))]
            ),
            IMAPResponseFixture(
                "+ \r\n+\r\n+ dGVzdA==\r\n",
                [.continuation(""), .continuation(""), .continuation("dGVzdA==")]
            ),
            IMAPResponseFixture("+ Ready for literal data\r\n", [.continuation("Ready for literal data")]),
            IMAPResponseFixture(
                "* 3 EXISTS\r\n* 0 RECENT\r\n* 2 EXPUNGE\r\n",
                [untagged(.exists(3)), untagged(.recent(0)), untagged(.expunge(2))]
            ),
            IMAPResponseFixture(
                "* FLAGS (\\Answered \\Flagged $Forwarded)\r\n",
                [untagged(.flags([.answered, .flagged, "$Forwarded"]))]
            ),
            IMAPResponseFixture(
                "* LIST (\\HasNoChildren) \"/\" \"Ricevute gi&AOA- lette\"\r\n* LSUB () \".\" INBOX\r\n",
                [
                    untagged(
                        .list(
                            .init(
                                attributes: [.hasNoChildren],
                                separator: UInt8(ascii: "/"),
                                name: .init("Ricevute già lette")
                            )
                        )
                    ),
                    untagged(.lsub(.init(attributes: [], separator: UInt8(ascii: "."), name: .inbox))),
                ]
            ),
            IMAPResponseFixture(
                "* LIST () \"/\" {11}\r\nPosta \"x\" y\r\n",
                [
                    untagged(
                        .list(
                            .init(
                                attributes: [],
                                separator: UInt8(ascii: "/"),
                                name: .init(wire: imapBytes("Posta \"x\" y"))
                            )
                        )
                    )
                ]
            ),
            IMAPResponseFixture(
                "* STATUS INBOX (MESSAGES 3 RECENT 3 UIDNEXT 4 UIDVALIDITY 1795228676 UNSEEN 1 HIGHESTMODSEQ 5 SIZE 3950)\r\n",
                [
                    untagged(
                        .status(
                            .inbox,
                            .init(
                                messages: 3,
                                recent: 3,
                                unseen: 1,
                                uidNext: 4,
                                uidValidity: 1_795_228_676,
                                highestModSeq: 5,
                                size: 3950
                            )
                        )
                    )
                ]
            ),
            IMAPResponseFixture(
                "* STATUS \"Posta inviata\" (MESSAGES 0 X-FOO (1 2) )\r\n",
                [untagged(.status(.init("Posta inviata"), .init(messages: 0)))]
            ),
            IMAPResponseFixture(
                "* SEARCH 1 2 3\r\n* SEARCH\r\n* SEARCH \r\n* SEARCH 4 (MODSEQ 917)\r\n",
                [
                    untagged(.search([1, 2, 3], modSeq: nil)), untagged(.search([], modSeq: nil)),
                    untagged(.search([], modSeq: nil)), untagged(.search([4], modSeq: 917)),
                ]
            ),
            IMAPResponseFixture(
                "* ESEARCH (TAG \"a14\") UID MIN 1 MAX 3 ALL 1:3 COUNT 3\r\n",
                [untagged(.esearch(.init(tag: "a14", uid: true, min: 1, max: 3, count: 3, all: [1...3])))]
            ),
            IMAPResponseFixture(
                "* VANISHED (EARLIER) 1:3,7\r\n* VANISHED 9\r\n",
                [
                    untagged(.vanished(IMAP.UIDSet(ranges: [1...3, 7...7]), earlier: true)),
                    untagged(.vanished(IMAP.UIDSet([9]), earlier: false)),
                ]
            ),
            IMAPResponseFixture("* ENABLED CONDSTORE\r\n", [untagged(.enabled([.condstore]))]),
            IMAPResponseFixture(
                "* ID (\"name\" \"Dovecot\" \"version\" NIL)\r\n* ID NIL\r\n",
                [untagged(.id(["name": "Dovecot", "version": String?.none])), untagged(.id([:]))]
            ),
            IMAPResponseFixture(
                "* NAMESPACE ((\"\" \"/\")) NIL ((\"Shared/\" \"/\" \"X-EXT\" (\"a\")))\r\n",
                [
                    untagged(
                        .namespace(
                            .init(
                                personal: [.init(prefix: [], delimiter: UInt8(ascii: "/"))],
                                otherUsers: [],
                                shared: [.init(prefix: imapBytes("Shared/"), delimiter: UInt8(ascii: "/"))]
                            )
                        )
                    )
                ]
            ),
            // Unknown untagged responses are skipped, literals included.
            IMAPResponseFixture(
                "* XFOO bar {5}\r\nab\r\nc baz\r\n* 5 XBAR\r\n* 1 EXISTS\r\n",
                [untagged(.other(name: "XFOO")), untagged(.other(name: "XBAR")), untagged(.exists(1))]
            ),
            IMAPResponseFixture(
                "* OK [COPYUID 1795228675 2 1] Moved UIDs.\r\n",
                [
                    untagged(
                        .condition(
                            .ok,
                            .init(code: .copyUID(1_795_228_675, source: [2], destination: [1]), text: "Moved UIDs.")
                        )
                    )
                ]
            ),
            // Bare LF line ends are tolerated.
            IMAPResponseFixture("* 1 EXISTS\n", [untagged(.exists(1))]),
        ]
    )
    func responses(_ fixture: IMAPResponseFixture) throws {
        let events = try IMAPParserDriver.checkResumable(imapBytes(fixture.input))
        #expect(events == fixture.expected)
    }

    @Test(
        "fetch",
        arguments: [
            // Items in one order…
            IMAPResponseFixture(
                "* 1 FETCH (UID 7 FLAGS (\\Seen) RFC822.SIZE 1004 INTERNALDATE \"04-Feb-2026 08:15:00 +0000\" MODSEQ (5))\r\n",
                [
                    fetch(.start(1)), attribute(.uid(7)), attribute(.flags([.seen])), attribute(.rfc822Size(1004)),
                    attribute(
                        .internalDate(
                            .init(year: 2026, month: 2, day: 4, hour: 8, minute: 15, second: 0, zoneMinutes: 0)
                        )
                    ),
                    attribute(.modSeq(5)), fetch(.finish),
                ]
            ),
            // …and in another.
            IMAPResponseFixture(
                "* 1 FETCH (MODSEQ (5) INTERNALDATE \"04-Feb-2026 08:15:00 +0000\" RFC822.SIZE 1004 FLAGS (\\Seen) UID 7)\r\n",
                [
                    fetch(.start(1)), attribute(.modSeq(5)),
                    attribute(
                        .internalDate(
                            .init(year: 2026, month: 2, day: 4, hour: 8, minute: 15, second: 0, zoneMinutes: 0)
                        )
                    ),
                    attribute(.rfc822Size(1004)), attribute(.flags([.seen])), attribute(.uid(7)), fetch(.finish),
                ]
            ),
            // BODY[HEADER.FIELDS (...)] literal, then BODY[1.2]<0> partial.
            IMAPResponseFixture(
                "* 2 FETCH (BODY[HEADER.FIELDS (FROM SUBJECT)] {29}\r\nFrom: a@b\r\nSubject: però\r\n\r\n BODY[1.2]<0> {4}\r\nCiao UID 9)\r\n",
                [fetch(.start(2))]
                    + body(.init(kind: .headerFields(["FROM", "SUBJECT"])), "From: a@b\r\nSubject: però\r\n\r\n")
                    + body(.init(part: [1, 2]), origin: 0, "Ciao")
                    + [attribute(.uid(9)), fetch(.finish)]
            ),
            // NIL body, quoted body, empty literal, RFC822.HEADER, BINARY with literal8.
            IMAPResponseFixture(
                "* 3 FETCH (BODY[2] NIL BODY[TEXT] \"a \\\"q\\\"\" BODY[1.MIME] {0}\r\n RFC822.HEADER {2}\r\nab BINARY[1] ~{3}\r\nx\u{0}y)\r\n",
                [fetch(.start(3)), attribute(.nilBody(section: .init(part: [2])))]
                    + body(.text, "a \"q\"") + body(.init(part: [1], kind: .mime), "")
                    + body(.header, "ab") + body(.init(part: [1]), "x\u{0}y") + [fetch(.finish)]
            ),
            // BODY (non-extensible structure), unknown items kept raw, empty list.
            IMAPResponseFixture(
                "* 4 FETCH (BODY (\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1) X-GM-LABELS (\\Inbox \"a b\") SNIPPET (FUZZY \"hi\"))\r\n* 5 FETCH ()\r\n",
                [
                    fetch(.start(4)),
                    attribute(
                        .bodyStructure(
                            .singlepart(
                                .init(
                                    type: "text",
                                    subtype: "plain",
                                    encoding: "7bit",
                                    size: 3,
                                    kind: .text(lineCount: 1)
                                )
                            )
                        )
                    ),
                    attribute(.other(name: "X-GM-LABELS", value: imapBytes("(\\Inbox \"a b\")"))),
                    attribute(.other(name: "SNIPPET", value: imapBytes("(FUZZY \"hi\")"))),
                    fetch(.finish), fetch(.start(5)), fetch(.finish),
                ]
            ),
            IMAPResponseFixture(
                "* 6 FETCH (ENVELOPE (NIL {4}\r\nSubj NIL NIL NIL NIL NIL NIL NIL NIL) BINARY.SIZE[1] 42)\r\n",
                [
                    fetch(.start(6)),
                    attribute(
                        .envelope(
                            .init(
                                date: nil,
                                subject: imapBytes("Subj"),
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
                    attribute(.binarySize(section: .init(part: [1]), size: 42)), fetch(.finish),
                ]
            ),
        ]
    )
    func fetchResponses(_ fixture: IMAPResponseFixture) throws {
        let events = try IMAPParserDriver.checkResumable(imapBytes(fixture.input))
        #expect(events == fixture.expected)
    }

    @Test func fetchAccumulator() throws {
        let events = try IMAPParserDriver.parse(
            "* 2 FETCH (UID 9 BODY[HEADER] {4}\r\nab\r\n FLAGS () BODY[2] NIL)\r\n* 3 FETCH (UID 10)\r\n"
        )
        var accumulator = IMAP.FetchAccumulator()
        var done: [IMAP.FetchResponse] = []
        for case .fetch(let event) in events {
            if let response = try accumulator.handle(event) { done.append(response) }
        }
        #expect(
            done == [
                IMAP.FetchResponse(
                    sequenceNumber: 2,
                    uid: 9,
                    flags: [],
                    sections: [.header: imapBytes("ab\r\n")],
                    nilSections: [.init(part: [2])]
                ),
                IMAP.FetchResponse(sequenceNumber: 3, uid: 10),
            ]
        )
    }

    @Test func uidAndSequenceNumberAreDistinctTypes() {
        // Compile-time property; this just documents the raw values stay apart.
        let uid: IMAP.UID = 5
        let sequence: IMAP.SequenceNumber = 5
        #expect(uid.rawValue == sequence.rawValue)
        #expect(!(IMAP.UID.self == IMAP.SequenceNumber.self as Any.Type))
    }
}
