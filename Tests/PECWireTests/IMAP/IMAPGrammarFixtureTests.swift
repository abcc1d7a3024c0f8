import Testing

@testable import PECWire

private typealias G = IMAP.GrammarParser

@Suite("Grammar fixtures")
struct IMAPGrammarFixtureTests {
    @Test(
        "flags",
        arguments: [
            IMAPParseFixture(
                #"(\Seen \Recent $Forwarded)"#,
                expected: .success([.seen, .recent, "$Forwarded"]),
                parser: G.parseFlagList
            ),
            IMAPParseFixture("()", expected: .success([]), parser: G.parseFlagList),
            IMAPParseFixture(#"(\Answered \*)"#, expected: .success([.answered, .wildcard]), parser: G.parseFlagList),
            IMAPParseFixture(#"( \Seen  \Deleted )"#, expected: .success([.seen, .deleted]), parser: G.parseFlagList),
            IMAPParseFixture(#"(\Seen"#, "", expected: .incomplete, parser: G.parseFlagList),
            IMAPParseFixture(#"(\Seen "x")"#, expected: .failure, parser: G.parseFlagList),
            IMAPParseFixture(#"(\)"#, expected: .failure, parser: G.parseFlagList),
        ] as [IMAPParseFixture<[IMAP.Flag]>]
    )
    func flags(_ fixture: IMAPParseFixture<[IMAP.Flag]>) {
        fixture.check()
    }

    @Test func flagEqualityIgnoresCase() {
        #expect(IMAP.Flag("\\SEEN") == .seen)
        #expect(Set([IMAP.Flag("\\seen"), .seen]).count == 1)
        #expect(IMAP.Flag("$label1").rawValue == "$label1")
        #expect(IMAP.MailboxAttribute("\\hasnochildren") == .hasNoChildren)
        #expect(IMAP.Capability("literal+") == .literalPlus)
        #expect(IMAP.Capability.auth("plain").rawValue == "AUTH=PLAIN")
    }

    @Test(
        "internal date",
        arguments: [
            IMAPParseFixture(
                #""04-Feb-2026 08:15:00 +0000""#,
                expected: .success(.init(year: 2026, month: 2, day: 4, hour: 8, minute: 15, second: 0, zoneMinutes: 0)),
                parser: G.parseInternalDate
            ),
            IMAPParseFixture(
                #"" 4-Jul-1999 23:59:60 -0130""#,
                expected: .success(
                    .init(year: 1999, month: 7, day: 4, hour: 23, minute: 59, second: 60, zoneMinutes: -90)
                ),
                parser: G.parseInternalDate
            ),
            IMAPParseFixture(
                #""4-dec-2026 01:02:03 +0100""#,
                expected: .success(
                    .init(year: 2026, month: 12, day: 4, hour: 1, minute: 2, second: 3, zoneMinutes: 60)
                ),
                parser: G.parseInternalDate
            ),
            IMAPParseFixture(#""04-Foo-2026 08:15:00 +0000""#, expected: .failure, parser: G.parseInternalDate),
            IMAPParseFixture(#""04-Feb-2026 25:15:00 +0000""#, expected: .failure, parser: G.parseInternalDate),
            IMAPParseFixture(#""04-Feb-2026 08:15"#, "", expected: .incomplete, parser: G.parseInternalDate),
        ] as [IMAPParseFixture<IMAP.InternalDate>]
    )
    func internalDate(_ fixture: IMAPParseFixture<IMAP.InternalDate>) {
        fixture.check()
    }

    @Test func internalDateInstant() {
        let date = IMAP.InternalDate(year: 2026, month: 2, day: 4, hour: 9, minute: 15, second: 0, zoneMinutes: 60)
        #expect(date.date.timeIntervalSince1970 == 1_770_192_900)
        #expect(date.description == "04-Feb-2026 09:15:00 +0100")
        let epoch = IMAP.InternalDate(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, zoneMinutes: 0)
        #expect(epoch.date.timeIntervalSince1970 == 0)
    }

    @Test(
        "strings",
        arguments: [
            IMAPParseFixture(#""plain""#, expected: .success(imapBytes("plain")), parser: G.parseNString),
            IMAPParseFixture(#""a \"b\" \\ c""#, expected: .success(imapBytes(#"a "b" \ c"#)), parser: G.parseNString),
            IMAPParseFixture("{5}\r\nab\r\nc", expected: .success(imapBytes("ab\r\nc")), parser: G.parseNString),
            IMAPParseFixture("{3+}\r\nabc", expected: .success(imapBytes("abc")), parser: G.parseNString),
            IMAPParseFixture("~{3}\r\na\u{0}c", expected: .success(imapBytes("a\u{0}c")), parser: G.parseNString),
            IMAPParseFixture("{0}\r\n", expected: .success([]), parser: G.parseNString),
            IMAPParseFixture("NIL", expected: .success(nil), parser: G.parseNString),
            IMAPParseFixture("nil", expected: .success(nil), parser: G.parseNString),
            IMAPParseFixture("\"però\"", expected: .success(imapBytes("però")), parser: G.parseNString),
            IMAPParseFixture("NILS", expected: .failure, parser: G.parseNString),
            IMAPParseFixture("\"abc", "", expected: .incomplete, parser: G.parseNString),
            IMAPParseFixture("{10}\r\nabc", "", expected: .incomplete, parser: G.parseNString),
            IMAPParseFixture("\"a\r\nb\"", expected: .failure, parser: G.parseNString),
            IMAPParseFixture("{99999999999999999999}\r\n", expected: .failure, parser: G.parseNString),
            IMAPParseFixture("{2000000}\r\n", expected: .failure, parser: G.parseNString),
            IMAPParseFixture("{-1}\r\n", expected: .failure, parser: G.parseNString),
        ] as [IMAPParseFixture<[UInt8]?>]
    )
    func strings(_ fixture: IMAPParseFixture<[UInt8]?>) {
        fixture.check()
    }

    @Test(
        "section",
        arguments: [
            IMAPParseFixture("[]", "", expected: .success(.complete), parser: G.parseSection),
            IMAPParseFixture("[1.2]", "", expected: .success(.init(part: [1, 2])), parser: G.parseSection),
            IMAPParseFixture("[HEADER]", "", expected: .success(.header), parser: G.parseSection),
            IMAPParseFixture(
                "[1.3.TEXT]",
                "",
                expected: .success(.init(part: [1, 3], kind: .text)),
                parser: G.parseSection
            ),
            IMAPParseFixture(
                "[1.1.MIME]",
                "",
                expected: .success(.init(part: [1, 1], kind: .mime)),
                parser: G.parseSection
            ),
            IMAPParseFixture(
                "[HEADER.FIELDS (FROM To \"Subject\")]",
                "",
                expected: .success(.init(kind: .headerFields(["FROM", "TO", "SUBJECT"]))),
                parser: G.parseSection
            ),
            IMAPParseFixture(
                "[2.HEADER.FIELDS.NOT (X-A)]",
                "",
                expected: .success(.init(part: [2], kind: .headerFieldsNot(["X-A"]))),
                parser: G.parseSection
            ),
            IMAPParseFixture("[MIME]", "", expected: .failure, parser: G.parseSection),
            IMAPParseFixture("[1.]", "", expected: .failure, parser: G.parseSection),
            IMAPParseFixture("[0]", "", expected: .failure, parser: G.parseSection),
            IMAPParseFixture("[HEADER.FIELDS ()]", "", expected: .failure, parser: G.parseSection),
        ] as [IMAPParseFixture<IMAP.SectionSpecifier>]
    )
    func section(_ fixture: IMAPParseFixture<IMAP.SectionSpecifier>) {
        fixture.check()
    }

    @Test(
        "response codes",
        arguments: [
            IMAPParseFixture("ALERT", "]", expected: .success(.alert), parser: G.parseResponseCode),
            IMAPParseFixture("TRYAGAIN", "]", expected: .success(.tryAgain), parser: G.parseResponseCode),
            IMAPParseFixture("NONEXISTENT", "]", expected: .success(.nonExistent), parser: G.parseResponseCode),
            IMAPParseFixture(
                "AUTHENTICATIONFAILED",
                "]",
                expected: .success(.authenticationFailed),
                parser: G.parseResponseCode
            ),
            IMAPParseFixture("READ-ONLY", "]", expected: .success(.readOnly), parser: G.parseResponseCode),
            IMAPParseFixture(
                "UIDVALIDITY 1795228676",
                "]",
                expected: .success(.uidValidity(1_795_228_676)),
                parser: G.parseResponseCode
            ),
            IMAPParseFixture("UIDNEXT 4", "]", expected: .success(.uidNext(4)), parser: G.parseResponseCode),
            IMAPParseFixture("UNSEEN 2", "]", expected: .success(.unseen(2)), parser: G.parseResponseCode),
            IMAPParseFixture(
                "HIGHESTMODSEQ 5",
                "]",
                expected: .success(.highestModSeq(5)),
                parser: G.parseResponseCode
            ),
            IMAPParseFixture("NOMODSEQ", "]", expected: .success(.noModSeq), parser: G.parseResponseCode),
            IMAPParseFixture(
                #"PERMANENTFLAGS (\Answered $Label1 \*)"#,
                "]",
                expected: .success(.permanentFlags([.answered, "$Label1", .wildcard])),
                parser: G.parseResponseCode
            ),
            IMAPParseFixture(
                "PERMANENTFLAGS ()",
                "]",
                expected: .success(.permanentFlags([])),
                parser: G.parseResponseCode
            ),
            IMAPParseFixture(
                "CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN",
                "]",
                expected: .success(.capability([.imap4rev1, .literalPlus, .auth("PLAIN")])),
                parser: G.parseResponseCode
            ),
            IMAPParseFixture(
                "APPENDUID 38505 3955",
                "]",
                expected: .success(.appendUID(38505, 3955)),
                parser: G.parseResponseCode
            ),
            IMAPParseFixture(
                "COPYUID 38505 304,319:320 3956:3958",
                "]",
                expected: .success(.copyUID(38505, source: [304, 319, 320], destination: [3956, 3957, 3958])),
                parser: G.parseResponseCode
            ),
            IMAPParseFixture(
                "BADCHARSET (UTF-8 \"US-ASCII\")",
                "]",
                expected: .success(.badCharset(["UTF-8", "US-ASCII"])),
                parser: G.parseResponseCode
            ),
            IMAPParseFixture("BADCHARSET", "]", expected: .success(.badCharset([])), parser: G.parseResponseCode),
            IMAPParseFixture(
                "MODIFIED 7,9",
                "]",
                expected: .success(.modified(IMAP.UIDSet([7, 9]))),
                parser: G.parseResponseCode
            ),
            // Unknown codes and known codes with malformed arguments become .other (tolerance).
            IMAPParseFixture(
                "X-FOO bar baz",
                "]",
                expected: .success(.other(name: "X-FOO", value: "bar baz")),
                parser: G.parseResponseCode
            ),
            IMAPParseFixture(
                "UIDVALIDITY abc",
                "]",
                expected: .success(.other(name: "UIDVALIDITY", value: "abc")),
                parser: G.parseResponseCode
            ),
            IMAPParseFixture(
                "UIDVALIDITY 99999999999",
                "]",
                expected: .success(.other(name: "UIDVALIDITY", value: "99999999999")),
                parser: G.parseResponseCode
            ),
            IMAPParseFixture(
                "COPYUID 1 1:4294967295 1:4294967295",
                "]",
                expected: .success(.other(name: "COPYUID", value: "1 1:4294967295 1:4294967295")),
                parser: G.parseResponseCode
            ),
        ] as [IMAPParseFixture<IMAP.ResponseCode>]
    )
    func responseCodes(_ fixture: IMAPParseFixture<IMAP.ResponseCode>) {
        fixture.check()
    }

    @Test(
        "list",
        arguments: [
            IMAPParseFixture(
                #"(\HasNoChildren \Sent) "/" Sent"#,
                expected: .success(
                    .init(
                        attributes: [.hasNoChildren, .sent],
                        separator: UInt8(ascii: "/"),
                        name: .init(wire: imapBytes("Sent"))
                    )
                ),
                parser: G.parseMailboxList
            ),
            IMAPParseFixture(
                #"() "/" "Ricevute gi&AOA- lette""#,
                expected: .success(
                    .init(attributes: [], separator: UInt8(ascii: "/"), name: .init("Ricevute già lette"))
                ),
                parser: G.parseMailboxList
            ),
            IMAPParseFixture(
                "(\\Noselect) NIL {5}\r\na\"b c",
                expected: .success(
                    .init(attributes: [.noselect], separator: nil, name: .init(wire: imapBytes("a\"b c")))
                ),
                parser: G.parseMailboxList
            ),
            IMAPParseFixture(
                #"() "\\" &ZeVnLIqe-"#,
                expected: .success(.init(attributes: [], separator: UInt8(ascii: "\\"), name: .init("日本語"))),
                parser: G.parseMailboxList
            ),
            IMAPParseFixture(
                #"(\Subscribed) "." "Foo" ("CHILDINFO" ("SUBSCRIBED") "OLDNAME" ("Bar") "X-UNKNOWN" (1 (2)))"#,
                expected: .success(
                    .init(
                        attributes: [.subscribed],
                        separator: UInt8(ascii: "."),
                        name: .init(wire: imapBytes("Foo")),
                        childInfo: ["SUBSCRIBED"],
                        oldName: .init(wire: imapBytes("Bar"))
                    )
                ),
                parser: G.parseMailboxList
            ),
            IMAPParseFixture(#"() "//" Foo"#, expected: .failure, parser: G.parseMailboxList),
        ] as [IMAPParseFixture<IMAP.ListEntry>]
    )
    func list(_ fixture: IMAPParseFixture<IMAP.ListEntry>) {
        fixture.check()
    }

    @Test(
        "ESEARCH",
        arguments: [
            IMAPParseFixture(
                #" (TAG "a14") UID MIN 1 MAX 3 ALL 1:3,5 COUNT 4"#,
                expected: .success(.init(tag: "a14", uid: true, min: 1, max: 3, count: 4, all: [1...3, 5...5])),
                parser: G.parseESearch
            ),
            IMAPParseFixture(
                " COUNT 0 MODSEQ 917162500",
                expected: .success(.init(count: 0, modSeq: 917_162_500)),
                parser: G.parseESearch
            ),
            IMAPParseFixture("", expected: .success(.init()), parser: G.parseESearch),
        ] as [IMAPParseFixture<IMAP.ESearchResponse>]
    )
    func esearch(_ fixture: IMAPParseFixture<IMAP.ESearchResponse>) {
        fixture.check()
    }

    @Test(
        "sequence set",
        arguments: [
            IMAPParseFixture(
                "1:3,7,9:*",
                " ",
                expected: .success(IMAP.UIDSet(ranges: [1...3, 7...7, 9...IMAP.UID(UInt32.max)])),
                parser: G.parseUIDSet
            ),
            IMAPParseFixture("5:2", " ", expected: .success(IMAP.UIDSet(2...5)), parser: G.parseUIDSet),
            IMAPParseFixture("0", " ", expected: .failure, parser: G.parseUIDSet),
        ] as [IMAPParseFixture<IMAP.UIDSet>]
    )
    func sequenceSet(_ fixture: IMAPParseFixture<IMAP.UIDSet>) {
        fixture.check()
    }
}
