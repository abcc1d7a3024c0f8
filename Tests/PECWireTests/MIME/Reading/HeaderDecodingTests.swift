import Testing

@testable import PECWire

@Suite("header fields and header text")
struct HeaderDecodingTests {
    @Test("folded lines are unfolded, names are case-insensitive, the block ends at the empty line")
    func parsing() {
        let block = Array(
            "Subject: una\r\n riga\r\nX-Ricevuta: accettazione\r\nfrom: A <a@b.it>\r\n\r\nBody: not a header\r\n".utf8
        )
        let headers = HeaderFields(parsing: block)
        #expect(headers.fields.count == 3)
        #expect(headers.text("subject") == "una riga")
        #expect(headers.text("X-RICEVUTA") == "accettazione")
        #expect(headers.text("From") == "A <a@b.it>")
        #expect(headers["Body"] == nil)
    }

    @Test("bare LF line ends and lines without a colon are tolerated")
    func lenient() {
        let headers = HeaderFields(parsing: Array("Subject: ok\ngarbage line\nTo: x@y.it\n".utf8))
        #expect(headers.text("Subject") == "ok")
        #expect(headers.text("To") == "x@y.it")
    }

    @Test(
        "RFC 2047 words in B and Q, several charsets, adjacent words joined",
        arguments: [
            ("=?UTF-8?B?UGVyY2jDqSBsYSBwcmF0aWNh?=", "Perché la pratica"),
            ("=?iso-8859-1?Q?Perch=E8_no?=", "Perchè no"),
            ("=?utf-8?q?gi=C3=A0?= =?utf-8?q?_pagata?=", "già pagata"),
            ("Fattura =?UTF-8?Q?n.=C2=A012?= del mese", "Fattura n.\u{00A0}12 del mese"),
            ("=?ISO-8859-15?Q?=A4_100?=", "€ 100"),
            ("=?windows-1252?Q?=93citato=94?=", "\u{201C}citato\u{201D}"),
            ("=?x-unknown?Q?abc?=", "=?x-unknown?Q?abc?="),
            ("=?UTF-8?B?not base64 at all?=", "=?UTF-8?B?not base64 at all?="),
            // "à" (C3 A0) split across two words, as some encoders do.
            ("=?UTF-8?Q?gi=C3?= =?UTF-8?Q?=A0?=", "già"),
            ("a =?UTF-8?Q?b?= c =?UTF-8?Q?d?=", "a b c d"),
            ("=?UTF-8?Q?x=1B[31my?=", "x[31my"),
        ]
    )
    func encodedWords(raw: String, expected: String) {
        #expect(HeaderText.decode(Array(raw.utf8)) == expected)
    }

    @Test("raw 8-bit header bytes: UTF-8 when valid, else ISO-8859-1")
    func eightBit() {
        #expect(HeaderText.decode(Array("però è già ✓".utf8)) == "però è già ✓")
        #expect(HeaderText.decode([0x70, 0x65, 0x72, 0xF2]) == "però")
    }
}

@Suite("Date header")
struct MailDateTests {
    @Test(
        "RFC 5322 dates and real-world variants to ISO-8601 with the sender's offset",
        arguments: [
            ("Tue, 13 Nov 2018 16:39:26 +0100", "2018-11-13T16:39:26+01:00"),
            ("13 Nov 2018 16:39:26 +0100", "2018-11-13T16:39:26+01:00"),
            ("Tue, 13 Nov 2018 16:39 -0500", "2018-11-13T16:39:00-05:00"),
            ("Tue, 13 Nov 18 16:39:26 GMT", "2018-11-13T16:39:26+00:00"),
            ("Tue, 3 Mar 2026 08:00:00 +0100 (CET)", "2026-03-03T08:00:00+01:00"),
            ("Sat,  1 Aug 2026 10:00:00 CEST", "2026-08-01T10:00:00+02:00"),
            ("Sat, 1 Aug 2026 10:00:00 +02:00", "2026-08-01T10:00:00+02:00"),
        ]
    )
    func parses(text: String, iso: String) {
        #expect(MailDate(parsing: text)?.iso8601 == iso)
    }

    @Test(
        "garbage, impossible dates and unknown or missing zones give nil",
        arguments: [
            "", "yesterday", "31 Feb 2026 10:00:00 +0100", "1 Foo 2026 10:00 +0000", "1 Jan 2026 25:00:00 +0000",
            "1 Jan 2026 10:00:00 XYZ", "1 Jan 2026 10:00:00",
        ]
    )
    func rejects(text: String) {
        #expect(MailDate(parsing: text) == nil)
    }
}
