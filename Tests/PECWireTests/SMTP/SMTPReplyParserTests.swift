import Testing

@testable import PECTestSupport
@testable import PECWire

struct SMTPReplyFixture: Sendable, CustomTestStringConvertible {
    var input: String
    var expected: [SMTPReply]
    var testDescription: String {
        input.replacingOccurrences(of: "\r", with: "␍").replacingOccurrences(of: "\n", with: "␊")
    }

    init(_ input: String, _ expected: [SMTPReply]) {
        self.input = input
        self.expected = expected
    }
}

private func reply(_ code: Int, _ enhanced: (Int, Int, Int)? = nil, _ lines: String...) -> SMTPReply {
    SMTPReply(
        code: code,
        enhancedCode: enhanced.map { SMTPEnhancedStatusCode(statusClass: $0.0, subject: $0.1, detail: $0.2) },
        lines: lines
    )
}

@Suite("SMTP reply parser")
struct SMTPReplyParserTests {
    static let fixtures: [SMTPReplyFixture] = [
        .init("220 smtp.pec.sandbox ESMTP ready\r\n", [reply(220, nil, "smtp.pec.sandbox ESMTP ready")]),
        .init(
            "250-smtp.pec.sandbox\r\n250-SIZE 31457280\r\n250-8BITMIME\r\n250 HELP\r\n",
            [reply(250, nil, "smtp.pec.sandbox", "SIZE 31457280", "8BITMIME", "HELP")]
        ),
        .init("250 2.1.5 OK\r\n", [reply(250, (2, 1, 5), "OK")]),
        .init(
            "550-5.1.1 The mailbox\r\n550 5.1.1 does not exist\r\n",
            [reply(550, (5, 1, 1), "The mailbox", "does not exist")]
        ),
        .init("451 4.3.0\r\n", [reply(451, (4, 3, 0), "")]),
        // Enhanced code of another class, or not followed by a space: text.
        .init("250 1.2.3 is not one\r\n", [reply(250, nil, "1.2.3 is not one")]),
        .init("250 2.0.0.1 version\r\n", [reply(250, nil, "2.0.0.1 version")]),
        .init("554 2.0.0 mismatch\r\n", [reply(554, nil, "2.0.0 mismatch")]),
        // A bare code, bare LF line ends, several replies at once.
        .init("250\r\n", [reply(250, nil, "")]),
        .init(
            "354 End data with <CR><LF>.<CR><LF>\n221 Bye\n",
            [
                reply(354, nil, "End data with <CR><LF>.<CR><LF>"), reply(221, nil, "Bye"),
            ]
        ),
        .init("250-\r\n250 last\r\n", [reply(250, nil, "", "last")]),
        // 8-bit text (an SMTPUTF8 or localized server).
        .init("550 5.1.1 Non è valido\r\n", [reply(550, (5, 1, 1), "Non è valido")]),
        .init("235 2.7.0 Authentication successful\r\n", [reply(235, (2, 7, 0), "Authentication successful")]),
    ]

    @Test("replies, whole", arguments: fixtures)
    func whole(_ fixture: SMTPReplyFixture) throws {
        #expect(try SMTPReplyDriver.parse([smtpBytes(fixture.input)]) == fixture.expected)
    }

    @Test("replies, byte by byte", arguments: fixtures)
    func byteByByte(_ fixture: SMTPReplyFixture) throws {
        #expect(try SMTPReplyDriver.parse(smtpBytes(fixture.input).map { [$0] }) == fixture.expected)
    }

    @Test("replies, random chunkings", arguments: fixtures)
    func randomChunkings(_ fixture: SMTPReplyFixture) throws {
        for seed in UInt64(1)...40 {
            let chunks = smtpRandomChunks(smtpBytes(fixture.input), seed: seed)
            #expect(try SMTPReplyDriver.parse(chunks) == fixture.expected, "seed \(seed)")
        }
    }

    @Test("a long transcript in random chunkings gives the same replies as whole")
    func transcript() throws {
        let transcript = (0..<50).map { index in
            "250-line \(index) a\r\n250-SIZE \(index)\n250 2.0.0 done \(index)\r\n"
                + (index % 3 == 0 ? "354 go ahead\r\n" : "")
        }.joined()
        let expected = try SMTPReplyDriver.parse([smtpBytes(transcript)])
        #expect(expected.count == 50 + 17)
        for seed in UInt64(100)...120 {
            #expect(
                try SMTPReplyDriver.parse(smtpRandomChunks(smtpBytes(transcript), seed: seed, maximum: 40)) == expected
            )
        }
    }

    @Test("a partial reply is nothing yet, and completes later")
    func partial() throws {
        var parser = SMTPReplyParser()
        parser.append(smtpBytes("250-first\r\n250 sec"))
        #expect(try parser.next() == nil)
        parser.append(smtpBytes("ond\r"))
        #expect(try parser.next() == nil)
        parser.append(smtpBytes("\n"))
        #expect(try parser.next() == reply(250, nil, "first", "second"))
        #expect(try parser.next() == nil)
        #expect(parser.unconsumedByteCount == 0)
    }

    @Test(
        "garbage is a malformed line, not a crash",
        arguments: [
            "hello\r\n", "25\r\n", "2x0 ok\r\n", "650 six\r\n", "150 one\r\n", "250x ok\r\n", "\r\n", "\n",
            "* OK IMAP4rev1\r\n", "\u{0}\u{0}\u{0}\r\n", "250-a\r\n250_b\r\n",
        ]
    )
    func garbage(_ input: String) {
        let error = #expect(throws: SMTPReplyParserError.self) { try SMTPReplyDriver.parse([smtpBytes(input)]) }
        #expect(error?.kind == .malformedLine)
    }

    @Test("a multi-line reply that changes its code is refused")
    func inconsistentCode() {
        let error = #expect(throws: SMTPReplyParserError.self) {
            try SMTPReplyDriver.parse([smtpBytes("250-a\r\n550 b\r\n")])
        }
        #expect(error?.kind == .inconsistentCode)
    }

    @Test("a line past the limit is refused, complete or still arriving; the error is sticky")
    func lineTooLong() throws {
        let limits = SMTPReplyParser.Limits(maximumLineLength: 4096)
        let longest = "250 " + String(repeating: "x", count: 4092) + "\r\n"
        #expect(try SMTPReplyDriver.parse([smtpBytes(longest)], limits: limits).first?.lines.first?.count == 4092)

        let complete = "250 " + String(repeating: "x", count: 4093) + "\r\n"
        let error = #expect(throws: SMTPReplyParserError.self) {
            try SMTPReplyDriver.parse([smtpBytes(complete)], limits: limits)
        }
        #expect(error?.kind == .lineTooLong)

        var parser = SMTPReplyParser(limits: limits)
        var thrown: SMTPReplyParserError?
        // Never ends: must fail once the limit is passed, without waiting for a line feed.
        for _ in 0..<100 {
            parser.append([UInt8](repeating: UInt8(ascii: "5"), count: 100))
            do {
                _ = try parser.next()
            } catch {
                thrown = error
                break
            }
        }
        #expect(thrown?.kind == .lineTooLong)
        parser.append(smtpBytes("\r\n250 ok\r\n"))
        #expect(throws: SMTPReplyParserError.self) { try parser.next() }
    }

    @Test("a reply past 256 lines is refused")
    func tooManyLines() throws {
        let ok = String(repeating: "250-x\r\n", count: 255) + "250 end\r\n"
        #expect(try SMTPReplyDriver.parse([smtpBytes(ok)]).first?.lines.count == 256)
        let tooMany = String(repeating: "250-x\r\n", count: 256) + "250 end\r\n"
        let error = #expect(throws: SMTPReplyParserError.self) { try SMTPReplyDriver.parse([smtpBytes(tooMany)]) }
        #expect(error?.kind == .tooManyLines)
    }

    @Test("random bytes never crash the parser")
    func randomBytes() {
        var generator = SplitMix64(seed: 7)
        let alphabet = smtpBytes("2345 -.\r\n0189aZ") + [0, 0xFF, 0xC3]
        for _ in 0..<300 {
            let length = Int.random(in: 0...200, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            _ = try? SMTPReplyDriver.parse(smtpRandomChunks(bytes, seed: generator.next()))
        }
    }

    @Test("reply classes and description")
    func classes() {
        let refused = reply(550, (5, 1, 1), "user unknown")
        #expect(refused.isPermanentFailure && !refused.isTransientFailure && !refused.isPositive)
        #expect(refused.description == "550 5.1.1 user unknown")
        #expect(reply(451).isTransientFailure)
        #expect(reply(354).isIntermediate)
        #expect(reply(250, nil, "a", "", "b").text == "a b")
    }
}
