import Foundation
import Testing

@testable import PECTestSupport
@testable import PECWire

@Suite("quoted-printable and base64 encoders")
struct BodyEncoderTests {
    private static let x75 = String(repeating: "x", count: 75)

    @Test(
        "quoted-printable, hand-checked",
        arguments: [
            ("", ""),
            ("abc", "abc=\r\n"),
            ("abc\n", "abc\r\n"),
            ("a=b\r\n", "a=3Db\r\n"),
            ("perché\n", "perch=C3=A9\r\n"),
            ("trailing \n", "trailing=20\r\n"),
            ("tab\t\nnext", "tab=09\r\nnext=\r\n"),
            ("a b\tc\n", "a b\tc\r\n"),
            (".\n", "=2E\r\n"),
            ("..x\n", "=2E.x\r\n"),
            ("a.b\n", "a.b\r\n"),
            ("From me\n", "=46rom me\r\n"),
            ("Fromage\nFrom\n", "Fromage\r\nFrom\r\n"),
            ("a\rb\r\n\nc", "a\r\nb\r\n\r\nc=\r\n"),
            ("\u{1B}[0m\u{7F}", "=1B[0m=7F=\r\n"),
            (String(repeating: "x", count: 76) + "\n", String(repeating: "x", count: 76) + "\r\n"),
            (String(repeating: "x", count: 77) + "\n", x75 + "=\r\nxx\r\n"),
            (String(repeating: "x", count: 80), x75 + "=\r\nxxxxx=\r\n"),
            // A "." or "From " pushed to the start of a line by a soft break is encoded too.
            (x75 + ".abc\n", x75 + "=\r\n=2Eabc\r\n"),
            (x75 + "From you\n", x75 + "=\r\n=46rom you\r\n"),
            // An escape is never split across a soft break.
            (String(repeating: "x", count: 74) + "é\n", String(repeating: "x", count: 74) + "=\r\n=C3=A9\r\n"),
            // Whitespace before a soft break is not trailing: it stays literal.
            (String(repeating: "x", count: 74) + " yz\n", String(repeating: "x", count: 74) + " =\r\nyz\r\n"),
        ]
    )
    func quotedPrintable(input: String, expected: String) {
        #expect(String(decoding: QuotedPrintableEncoder.encode(input), as: UTF8.self) == expected)
    }

    @Test("quoted-printable of random texts: 7-bit, lines ≤ 76, CRLF only, decodes to the CRLF-normalised text")
    func quotedPrintableRoundTrip() {
        var generator = SplitMix64(seed: 7)
        let pieces = [
            "a", "Z", " ", "\t", "=", ".", "From ", "F", "\n", "\r\n", "\r", "è", "€", "👍🏽", "=?", "--", "\u{0}",
            "\u{1B}", String(repeating: "w", count: 90),
        ]
        for _ in 0..<300 {
            var text = ""
            for _ in 0..<Int.random(in: 0..<120, using: &generator) {
                text += pieces[Int.random(in: 0..<pieces.count, using: &generator)]
            }
            let encoded = QuotedPrintableEncoder.encode(text)
            #expect(encoded.allSatisfy { $0 < 0x80 })
            let (lines, bare) = CRLFLines.split(encoded)
            #expect(!bare)
            #expect(lines.allSatisfy { $0.count <= 76 })
            #expect(lines.allSatisfy { $0.last != 0x20 && $0.last != 0x09 })
            #expect(lines.allSatisfy { $0.first != UInt8(ascii: ".") && !$0.starts(with: Array("From ".utf8)) })
            #expect(encoded.isEmpty || encoded.suffix(2) == [0x0D, 0x0A])
            let normalised = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(
                of: "\r",
                with: "\n"
            )
            .replacingOccurrences(of: "\n", with: "\r\n")
            #expect(MIMEWritingTestSupport.decodeQuotedPrintable(encoded) == Array(normalised.utf8))
        }
    }

    @Test(
        "base64, RFC 4648 vectors",
        arguments: [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("foobar", "Zm9vYmFy"),
        ]
    )
    func base64Vectors(input: String, expected: String) {
        var encoder = Base64LineEncoder()
        var output: [UInt8] = []
        encoder.encode(Array(input.utf8), into: &output)
        encoder.finish(into: &output)
        #expect(String(decoding: output, as: UTF8.self) == expected)
        #expect(Base64LineEncoder.encodedSize(byteCount: input.utf8.count) == output.count)
    }

    @Test("base64 lines: 57 bytes make one full line, 58 start a second")
    func base64Lines() {
        for (count, expected) in [(57, [76]), (58, [76, 4]), (114, [76, 76]), (115, [76, 76, 4])] {
            var encoder = Base64LineEncoder()
            var output: [UInt8] = []
            encoder.encode([UInt8](repeating: 0xFF, count: count), into: &output)
            encoder.finish(into: &output)
            let (lines, bare) = CRLFLines.split(output)
            #expect(!bare)
            #expect(lines.map(\.count) == expected, "\(count) bytes")
        }
    }

    @Test("base64 in random chunkings equals Foundation's 76-column CRLF output and decodes back")
    func base64Chunked() {
        var generator = SplitMix64(seed: 11)
        for size in [0, 1, 2, 3, 56, 57, 58, 1000, 49_152, 49_153, 150_001] {
            let data = generator.bytes(size)
            var encoder = Base64LineEncoder()
            var output: [UInt8] = []
            var offset = 0
            while offset < data.count {
                let step = min(data.count - offset, Int.random(in: 1...70_000, using: &generator))
                encoder.encode(data[offset..<(offset + step)], into: &output)
                offset += step
            }
            encoder.finish(into: &output)
            let reference = Data(data).base64EncodedString(options: [
                .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
            ])
            #expect(output == Array(reference.utf8), "\(size) bytes")
            #expect(output.count == Base64LineEncoder.encodedSize(byteCount: size))
            var decoder = Base64StreamDecoder()
            var decoded: [UInt8] = []
            decoder.decode(output, into: &decoded)
            decoder.finish(into: &decoded)
            #expect(decoded == data)
        }
    }
}
