import Foundation
import Testing

@testable import PECTestSupport
@testable import PECWire

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func crlf(_ text: String) -> [UInt8] {
    Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
}

@Suite("MIME header parameters")
struct MIMEParameterTests {
    @Test("type and subtype lowercased, parameter names case-insensitive, quoted strings unescaped")
    func contentType() {
        let type = MIMEContentType(parsing: bytes("Text/HTML ; Charset=ISO-8859-1; name=\"a \\\"b\\\".htm\" (comment)"))
        #expect(type.mimeType == "text/html")
        #expect(type.charset == "ISO-8859-1")
        #expect(type.name == "a \"b\".htm")
        #expect(MIMEContentType(parsing: bytes("garbage")).mimeType == "text/plain")
        #expect(MIMEContentType(headers: HeaderFields(fields: [])).mimeType == "text/plain")
        let multipart = MIMEContentType(parsing: bytes("multipart/mixed;\r\n\tboundary=\"----=_Part_1\""))
        #expect(multipart.boundary == bytes("----=_Part_1"))
    }

    @Test(
        "RFC 2231 continuations and charsets, RFC 2047 inside quotes, 8-bit raw names",
        arguments: [
            (
                "attachment; filename*0*=UTF-8''fattura%20n%C2%B0; filename*1*=%2012; filename*2=.pdf",
                "fattura n° 12.pdf"
            ),
            ("attachment; filename*=iso-8859-1'it'perch%E8.txt", "perchè.txt"),
            ("attachment; filename*=UTF-8''%E2%82%AC%20100.pdf; filename=\"EUR 100.pdf\"", "€ 100.pdf"),
            ("attachment; filename*1=\"b.pdf\"; filename*0=\"a\"", "ab.pdf"),
            ("attachment; filename=\"=?UTF-8?B?cGVyY2jDqC5wZGY=?=\"", "perchè.pdf"),
            ("attachment; filename=\"=?iso-8859-1?Q?perch=E8?= 2.pdf\"", "perchè 2.pdf"),
            ("inline; FILENAME=daticert.xml", "daticert.xml"),
            ("attachment; filename=\"già.pdf\"", "già.pdf"),
            ("attachment; filename*=windows-1252''%93x%94.txt", "\u{201C}x\u{201D}.txt"),
            ("attachment; filename*0*=us-ascii'en'a%41; filename*1=b; filename*3=gap", "aAb"),
        ]
    )
    func filenames(raw: String, expected: String) {
        let disposition = MIMEContentDisposition(parsing: bytes(raw))
        #expect(disposition.filename == expected)
    }

    @Test("Latin-1 raw bytes in a quoted file name")
    func latin1Name() {
        let raw: [UInt8] = bytes("attachment; filename=\"perch") + [0xE8] + bytes(".pdf\"")
        #expect(MIMEContentDisposition(parsing: raw).filename == "perchè.pdf")
        #expect(MIMEContentDisposition(parsing: raw).isAttachment)
    }

    @Test(
        "transfer encodings, any case",
        arguments: [
            ("Base64", MIMETransferEncoding.base64), ("QUOTED-PRINTABLE", .quotedPrintable), (" 7bit ", .sevenBit),
            ("8BIT", .eightBit), ("binary", .binary), ("", .sevenBit), ("x-uuencode", .other("x-uuencode")),
        ]
    )
    func transferEncoding(raw: String, expected: MIMETransferEncoding) {
        #expect(MIMETransferEncoding(parsing: bytes(raw)) == expected)
    }
}

@Suite("MIME streaming decoders")
struct MIMEDecoderTests {
    private func decodeQP(_ input: [UInt8], chunk: Int) -> [UInt8] {
        var decoder = QuotedPrintableStreamDecoder()
        var output: [UInt8] = []
        var index = 0
        while index < input.count {
            decoder.decode(input[index..<min(input.count, index + chunk)], into: &output)
            index += chunk
        }
        decoder.finish(into: &output)
        return output
    }

    @Test("quoted-printable: soft breaks (CRLF, LF, trailing blanks), both hex cases, bad escapes kept")
    func quotedPrintable() {
        let input = bytes("perch=E8 =\r\nno=\nsi =3d =3D x=  \r\nfine=ZZ =4\r\nend=")
        let expected = [UInt8]("perchè nosi = = xfine=ZZ =4\r\nend".unicodeScalars.map { UInt8($0.value) })
        for chunk in [1, 2, 3, 5, 1000] {
            #expect(decodeQP(input, chunk: chunk) == expected, "chunk \(chunk)")
        }
    }

    @Test("base64: whitespace and garbage skipped, any chunking, padding mid-stream, missing padding")
    func base64() {
        var generator = SplitMix64(seed: 7)
        let payload = (0..<3000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let encoded = Array(Data(payload).base64EncodedString(options: .lineLength76Characters).utf8)
        let noisy = encoded.flatMap { $0 == UInt8(ascii: "\n") ? bytes(" \t\n!") : [$0] }
        for chunk in [1, 3, 4, 7, 64, 10_000] {
            var decoder = Base64StreamDecoder()
            var output: [UInt8] = []
            var index = 0
            while index < noisy.count {
                decoder.decode(noisy[index..<min(noisy.count, index + chunk)], into: &output)
                index += chunk
            }
            decoder.finish(into: &output)
            #expect(output == payload, "chunk \(chunk)")
        }
        #expect(MIMEBodyDecoder.decode(bytes("aGk=aGk=")[...], transferEncoding: .base64) == bytes("hihi"))
        #expect(MIMEBodyDecoder.decode(bytes("aGVsbG8")[...], transferEncoding: .base64) == bytes("hello"))
    }

    @Test("base64: the four-at-a-time loop decodes exactly as byte by byte, on any mix of alphabet, padding and strays")
    func base64MatchesByteByByte() {
        var generator = SplitMix64(seed: 11)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_".utf8)
        let others = bytes("=\r\n \t!*")
        for round in 0..<300 {
            let length = Int(generator.next() % 600)
            let input: [UInt8] = (0..<length).map { _ in
                let pick = generator.next() % 10
                return pick < 8
                    ? alphabet[Int(generator.next() % UInt64(alphabet.count))]
                    : others[Int(generator.next() % UInt64(others.count))]
            }
            let chunk = 1 + Int(generator.next() % 97)
            var decoder = Base64StreamDecoder()
            var output: [UInt8] = []
            var index = 0
            while index < input.count {
                decoder.decode(input[index..<min(input.count, index + chunk)], into: &output)
                index += chunk
            }
            decoder.finish(into: &output)
            #expect(output == referenceBase64(input), "round \(round), chunk \(chunk)")
            var counter = MIMEBodyDecoder(transferEncoding: .base64)
            index = 0
            while index < input.count {
                counter.count(input[index..<min(input.count, index + chunk)])
                index += chunk
            }
            counter.finish { _ in }
            #expect(counter.decodedByteCount == output.count, "round \(round): counted size")
        }
    }

    /// RFC 2045 base64 the slow, obvious way: the reference the decoder is compared with.
    private func referenceBase64(_ input: [UInt8]) -> [UInt8] {
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            values[Int(byte)] = UInt8(value)
        }
        values[Int(UInt8(ascii: "-"))] = 62
        values[Int(UInt8(ascii: "_"))] = 63
        var output: [UInt8] = []
        var pending: [UInt32] = []
        func flush() {
            if pending.count == 2 { output.append(UInt8(truncatingIfNeeded: (pending[0] << 6 | pending[1]) >> 4)) }
            if pending.count == 3 {
                let bits = pending[0] << 12 | pending[1] << 6 | pending[2]
                output.append(UInt8(truncatingIfNeeded: bits >> 10))
                output.append(UInt8(truncatingIfNeeded: bits >> 2))
            }
            pending = []
        }
        for byte in input {
            if byte == UInt8(ascii: "=") {
                flush()
            } else if values[Int(byte)] < 64 {
                pending.append(UInt32(values[Int(byte)]))
                if pending.count == 4 {
                    let bits = pending[0] << 18 | pending[1] << 12 | pending[2] << 6 | pending[3]
                    output += [
                        UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 8),
                        UInt8(truncatingIfNeeded: bits),
                    ]
                    pending = []
                }
            }
        }
        flush()
        return output
    }
}

@Suite("MIME parser")
struct MIMEParserTests {
    @Test("capitalised Base64, QP soft breaks and a Latin-1 text part without charset")
    func encodingsAndCharsets() throws {
        let raw = crlf(
            """
            Content-Type: multipart/mixed; boundary="XX"

            --XX
            Content-Type: application/pdf; name="a.pdf"
            Content-Transfer-Encoding: Base64

            JVBERi0x
            LjQK
            --XX
            Content-Type: text/plain; charset=iso-8859-1
            Content-Transfer-Encoding: Quoted-Printable

            =E8 una riga lunga spezzata=
             qui
            --XX
            Content-Type: text/plain

            PLACEHOLDER
            --XX--

            """
        )
        // Replace PLACEHOLDER with Latin-1 bytes "però è" (not valid UTF-8).
        let placeholder = bytes("PLACEHOLDER")
        let at = try #require(raw.indices.first { raw[$0...].starts(with: placeholder) })
        let message = try MIMEMessage(
            parsing: Array(raw[..<at]) + [0x70, 0x65, 0x72, 0xF2, 0x20, 0xE8] + Array(raw[(at + placeholder.count)...])
        )
        #expect(message.root.children.count == 3)
        #expect(message.entity(at: [1])?.decodedBody == bytes("%PDF-1.4\n"))
        #expect(message.entity(at: [1])?.filename == "a.pdf")
        #expect(message.entity(at: [2])?.text == "è una riga lunga spezzata qui")
        #expect(message.entity(at: [3])?.text == "però è")
        #expect(message.entity(at: [3])?.contentType.charset == nil)
    }

    @Test("bare LF line ends: bodies exact, the LF before a boundary belongs to the boundary")
    func bareLF() throws {
        let raw = bytes(
            "Subject: x\nContent-Type: multipart/alternative; boundary=b\n\npreamble\n--b\nContent-Type: text/plain\n\nuno\n\n--b\n\ndue\n--b--\nepilogue\n"
        )
        let message = try MIMEMessage(parsing: raw)
        #expect(message.headers.text("Subject") == "x")
        let first = try #require(message.entity(at: [1]))
        #expect(Array(first.rawBody) == bytes("uno\n"))
        #expect(Array(first.rawBytes) == bytes("Content-Type: text/plain\n\nuno\n"))
        let second = try #require(message.entity(at: [2]))
        #expect(second.headers.fields.isEmpty)
        #expect(Array(second.rawBody) == bytes("due"))
        #expect(message.root.bodyRange.upperBound == raw.count)
    }

    @Test("CRLF: transport padding after boundaries, boundaries that extend another, empty parts")
    func boundaries() throws {
        let raw = crlf(
            """
            Content-Type: multipart/mixed; boundary="b"

            --b \t
            Content-Type: multipart/alternative; boundary="b2"

            --b2
            Content-Type: text/plain

            --b-not-a-boundary
            --b2--
            --b
            --b--
            """
        )
        let message = try MIMEMessage(parsing: raw)
        #expect(message.root.children.count == 2)
        #expect(message.entity(at: [1, 1])?.text == "--b-not-a-boundary")
        #expect(message.entity(at: [2])?.rawBytes.isEmpty == true)
    }

    @Test("missing close boundaries: the outer boundary or the end of input closes what is open")
    func missingBoundaries() throws {
        let raw = crlf(
            """
            Content-Type: multipart/mixed; boundary="o"

            --o
            Content-Type: multipart/alternative; boundary="i"

            --i
            Content-Type: text/plain

            inner
            --o
            Content-Type: text/plain

            last part, no close boundary
            """
        )
        let message = try MIMEMessage(parsing: raw)
        #expect(message.root.children.map(\.path) == [[1], [2]])
        #expect(message.entity(at: [1, 1])?.text == "inner")
        #expect(message.entity(at: [2])?.text == "last part, no close boundary")
        #expect(message.entity(at: [2])?.bodyRange.upperBound == raw.count)
    }

    /// A message/rfc822 part holding `inner`.
    private func envelope(_ inner: String, level: Int) -> String {
        """
        Subject: level \(level)
        Content-Type: multipart/mixed; boundary="L\(level)"

        --L\(level)
        Content-Type: text/plain; charset=utf-8

        testo \(level)
        --L\(level)
        Content-Type: message/rfc822; name="postacert.eml"
        Content-Disposition: inline; filename="postacert.eml"

        \(inner)
        --L\(level)--
        """
    }

    @Test("message/rfc822 nested 3 deep: each embedded message parsed, IMAP part numbers")
    func nestedMessages() throws {
        let innermost = "Subject: fondo\nContent-Type: text/plain; charset=utf-8\n\ngià in fondo"
        let raw = crlf(envelope(envelope(envelope(innermost, level: 3), level: 2), level: 1))
        let message = try MIMEMessage(parsing: raw)
        #expect(message.entity(at: [1])?.text == "testo 1")
        #expect(message.entity(at: [2])?.contentType.mimeType == "message/rfc822")
        #expect(message.entity(at: [2])?.children.first?.headers.text("Subject") == "level 2")
        #expect(message.entity(at: [2, 1])?.text == "testo 2")
        #expect(message.entity(at: [2, 2, 1])?.text == "testo 3")
        let deepest = try #require(message.entity(at: [2, 2, 2, 1]))
        #expect(deepest.headers.text("Subject") == "fondo")
        #expect(deepest.text == "già in fondo")
        // The raw bytes of an embedded message are the message as sent.
        let envelope3 = try #require(message.entity(at: [2, 2, 2]))
        #expect(
            String(decoding: envelope3.rawBody, as: UTF8.self) == innermost.replacingOccurrences(of: "\n", with: "\r\n")
        )
        #expect(message.allEntities.filter { $0.filename == "postacert.eml" }.count == 3)
    }

    @Test("multipart/digest parts default to message/rfc822")
    func digest() throws {
        let raw = bytes("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: a\n\ncorpo\n--d--\n")
        let message = try MIMEMessage(parsing: raw)
        #expect(message.entity(at: [1])?.contentType.mimeType == "message/rfc822")
        #expect(message.entity(at: [1, 1])?.text == "corpo")
    }

    private func elapsed(_ body: () throws -> Void) rethrows -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        return clock.now - start
    }

    @Test("10 000 parts: rejected with tooManyParts, quickly")
    func tooManyParts() throws {
        var text = "Content-Type: multipart/mixed; boundary=z\r\n\r\n"
        for _ in 0..<10_000 { text += "--z\r\n\r\nx\r\n" }
        text += "--z--\r\n"
        let raw = bytes(text)
        let time = elapsed {
            #expect(throws: MIMEError.self) {
                _ = try MIMEMessage(parsing: raw)
            }
        }
        #expect(time < .seconds(10))
        do {
            _ = try MIMEMessage(parsing: raw)
        } catch let error as MIMEError {
            guard case .tooManyParts(_, let limit) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(limit == 5000)
            #expect(error.description.contains("more than 5000 parts"))
        }
    }

    @Test("nesting 100 deep: rejected with nestingTooDeep, quickly")
    func tooDeep() throws {
        var text = ""
        for level in 0..<100 { text += "Content-Type: multipart/mixed; boundary=\"n\(level)\"\r\n\r\n--n\(level)\r\n" }
        text += "\r\nleaf\r\n"
        let raw = bytes(text)
        let time = elapsed {
            do {
                _ = try MIMEMessage(parsing: raw)
                Issue.record("accepted")
            } catch MIMEError.nestingTooDeep(_, let limit) {
                #expect(limit == 32)
            } catch {
                Issue.record("wrong error \(error)")
            }
        }
        #expect(time < .seconds(10))
        // message/rfc822 nesting counts too.
        var messages = ""
        for _ in 0..<100 { messages += "Content-Type: message/rfc822\r\n\r\n" }
        #expect(throws: MIMEError.self) { _ = try MIMEMessage(parsing: bytes(messages + "\r\nx")) }
    }

    @Test("a 1 MB header block is rejected with headerTooLarge, also when streamed, without buffering it all")
    func hugeHeader() throws {
        let raw = bytes("Subject: " + String(repeating: "a", count: 1 << 20) + "\r\n\r\nbody")
        #expect(throws: MIMEError.headerTooLarge(offset: 0, limit: 256 * 1024)) {
            _ = try MIMEMessage(parsing: raw)
        }
        var parser = MIMEStreamParser()
        var thrown: MIMEError?
        var maxBuffered = 0
        var offset = 0
        while offset < raw.count, thrown == nil {
            do {
                try parser.append(raw[offset..<min(raw.count, offset + 4096)])
                maxBuffered = max(maxBuffered, parser.bufferedByteCount)
                while try parser.next() != nil {}
            } catch let error as MIMEError {
                thrown = error
            }
            offset += 4096
        }
        #expect(thrown == .headerTooLarge(offset: 0, limit: 256 * 1024))
        #expect(offset <= 256 * 1024 + 8192)
        #expect(maxBuffered <= 256 * 1024 + 8192)
        // Many short fields hit the field count limit.
        let fields = bytes(String(repeating: "X-A: b\r\n", count: 3000) + "\r\n")
        #expect(throws: MIMEError.tooManyHeaderFields(offset: 0, limit: 2000)) {
            _ = try MIMEMessage(parsing: fields)
        }
        #expect(throws: MIMEError.appendAfterFinish) {
            var finished = MIMEStreamParser()
            finished.finish()
            try finished.append([1])
        }
    }
}
