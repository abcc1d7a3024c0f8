import Testing

@testable import PECTestSupport
@testable import PECWire

@Suite("SMTP data encoder")
struct SMTPDataEncoderTests {
    /// The same transformation on the whole content at once, written as plainly as possible:
    /// split into lines at CRLF, bare LF or bare CR; double a leading dot; join with CRLF; end with
    /// CRLF "." CRLF.
    static func reference(_ content: [UInt8]) -> [UInt8] {
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 0
        var endsWithLineEnd = true
        while index < content.count {
            let byte = content[index]
            if byte == 13 || byte == 10 {
                lines.append(current)
                current = []
                index += (byte == 13 && index + 1 < content.count && content[index + 1] == 10) ? 2 : 1
                endsWithLineEnd = true
            } else {
                current.append(byte)
                index += 1
                endsWithLineEnd = false
            }
        }
        if !endsWithLineEnd { lines.append(current) }
        var output: [UInt8] = []
        for line in lines {
            if line.first == UInt8(ascii: ".") { output.append(UInt8(ascii: ".")) }
            output += line + [13, 10]
        }
        return output + smtpBytes(".\r\n")
    }

    static func encode(_ chunks: [[UInt8]]) -> [UInt8] {
        var encoder = SMTPDataEncoder()
        var output: [UInt8] = []
        for chunk in chunks { output += encoder.encode(chunk) }
        return output + encoder.finish()
    }

    @Test(
        "examples",
        arguments: [
            ("", ".\r\n"),
            ("a\r\n", "a\r\n.\r\n"),
            ("a", "a\r\n.\r\n"),
            (".", "..\r\n.\r\n"),
            (".\r\n", "..\r\n.\r\n"),
            ("a\n.b\n", "a\r\n..b\r\n.\r\n"),
            ("a\r.b", "a\r\n..b\r\n.\r\n"),
            ("a\r", "a\r\n.\r\n"),
            ("a\r\r\n", "a\r\n\r\n.\r\n"),
            ("\n\n", "\r\n\r\n.\r\n"),
            ("x.y\r\n..z\r\n", "x.y\r\n...z\r\n.\r\n"),
            ("a\r\n.\r\nRCPT TO:<x@y>\r\n", "a\r\n..\r\nRCPT TO:<x@y>\r\n.\r\n"),
        ]
    )
    func examples(_ example: (String, String)) {
        let expected = smtpBytes(example.1)
        #expect(Self.encode([smtpBytes(example.0)]) == expected)
        #expect(Self.encode(smtpBytes(example.0).map { [$0] }) == expected)
        #expect(Self.reference(smtpBytes(example.0)) == expected)
    }

    @Test("a dot at a chunk boundary is stuffed; a CR at a boundary joins the LF that follows")
    func boundaries() {
        #expect(Self.encode([smtpBytes("a\r\n"), smtpBytes(".b")]) == smtpBytes("a\r\n..b\r\n.\r\n"))
        #expect(Self.encode([smtpBytes("a\r"), smtpBytes("\n.b")]) == smtpBytes("a\r\n..b\r\n.\r\n"))
        #expect(Self.encode([smtpBytes("a\r"), smtpBytes(".b")]) == smtpBytes("a\r\n..b\r\n.\r\n"))
        #expect(Self.encode([smtpBytes("a\r"), []]) == smtpBytes("a\r\n.\r\n"))
        #expect(Self.encode([smtpBytes("a."), smtpBytes(".")]) == smtpBytes("a..\r\n.\r\n"))
    }

    @Test("random contents in random chunkings match the reference")
    func random() {
        var generator = SplitMix64(seed: 2026)
        let alphabet = smtpBytes("..\r\n\r\nab ") + [0xC3, 0xA8, 0]
        for round in 0..<400 {
            let length = Int.random(in: 0...120, using: &generator)
            let content = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            let expected = Self.reference(content)
            let chunks = smtpRandomChunks(content, seed: UInt64(round), maximum: 7)
            #expect(Self.encode(chunks) == expected, "round \(round)")
            #expect(Self.encode([content]) == expected, "round \(round)")
        }
    }

    @Test("the wire form never holds a bare CR or LF, nor the terminator before the end")
    func wireInvariants() {
        var generator = SplitMix64(seed: 99)
        let alphabet = smtpBytes(".\r\nx")
        for round in 0..<300 {
            let content = (0..<Int.random(in: 0...60, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator) ?? 0
            }
            let wire = Self.encode(smtpRandomChunks(content, seed: UInt64(round)))
            for (index, byte) in wire.enumerated() {
                if byte == 13 { #expect(index + 1 < wire.count && wire[index + 1] == 10) }
                if byte == 10 { #expect(index > 0 && wire[index - 1] == 13) }
            }
            let terminator = smtpBytes("\r\n.\r\n")
            let body = [13, 10] + wire  // the CRLF of the DATA command precedes the content
            var found: [Int] = []
            if body.count >= terminator.count {
                for start in 0...(body.count - terminator.count)
                where Array(body[start..<(start + terminator.count)]) == terminator {
                    found.append(start)
                }
            }
            #expect(found == [body.count - terminator.count], "round \(round)")
        }
    }

    @Test("counts the content bytes given")
    func count() {
        var encoder = SMTPDataEncoder()
        _ = encoder.encode(smtpBytes("ab\n"))
        _ = encoder.encode(smtpBytes(".c"))
        #expect(encoder.contentByteCount == 5)
    }
}
