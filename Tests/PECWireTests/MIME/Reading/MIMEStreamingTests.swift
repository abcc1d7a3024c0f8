import Foundation
import Testing

@testable import PECTestSupport
@testable import PECWire

@Suite("MIME streaming")
struct MIMEStreamingTests {
    /// A multipart message with a 20 MB base64 attachment, and the attachment's digest.
    private static func bigMessage(size: Int) -> (raw: [UInt8], digest: MIMETestSupport.Digest) {
        var generator = SplitMix64(seed: 2026)
        var payload = [UInt8](repeating: 0, count: size)
        payload.withUnsafeMutableBytes { buffer in
            let words = buffer.bindMemory(to: UInt64.self)
            for index in words.indices { words[index] = generator.next() }
        }
        var digest = MIMETestSupport.Digest()
        digest.update(payload)
        let encoded = Data(payload).base64EncodedData(
            options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]
        )
        var raw = Array(
            ("Content-Type: multipart/mixed; boundary=\"----=_Part_0_1\"\r\n\r\n------=_Part_0_1\r\n"
                + "Content-Type: text/plain\r\n\r\nvedi allegato\r\n------=_Part_0_1\r\n"
                + "Content-Type: application/pdf; name=\"grande.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
                .utf8
        )
        raw.reserveCapacity(raw.count + encoded.count + 64)
        raw += encoded
        raw += Array("\r\n------=_Part_0_1--\r\n".utf8)
        return (raw, digest)
    }

    @Test("a 20 MB base64 attachment fed in 64 KiB chunks decodes exactly while the parser buffers ~one chunk")
    func bigAttachment() throws {
        let size = 20 << 20
        let (raw, expected) = Self.bigMessage(size: size)
        let chunk = 64 * 1024
        var parser = MIMEStreamParser()
        var decoder: MIMEBodyDecoder?
        var digest = MIMETestSupport.Digest()
        var maxBuffered = 0
        var maxAfterDrain = 0
        var ended: Range<Int>?
        let sink: (ArraySlice<UInt8>) -> Void = { digest.update($0) }
        func drain() throws {
            while let event = try parser.next() {
                switch event {
                case .partStart(let path, let headers, _):
                    if path == [2] {
                        decoder = MIMEBodyDecoder(transferEncoding: MIMETransferEncoding(headers: headers))
                    }
                case .bodyBytes(let path, let bytes):
                    if path == [2] { decoder?.decode(bytes, to: sink) }
                case .partEnd(let path, let range):
                    if path == [2] {
                        decoder?.finish(to: sink)
                        ended = range
                    }
                case .end:
                    break
                }
            }
        }
        var offset = 0
        while offset < raw.count {
            try parser.append(raw[offset..<min(raw.count, offset + chunk)])
            maxBuffered = max(maxBuffered, parser.bufferedByteCount)
            try drain()
            maxAfterDrain = max(maxAfterDrain, parser.bufferedByteCount)
            offset += chunk
        }
        parser.finish()
        try drain()
        #expect(decoder?.decodedByteCount == size)
        #expect(digest.count == size)
        #expect(digest.value == expected.value)
        #expect(ended?.upperBound == raw.count - "\r\n------=_Part_0_1--\r\n".utf8.count)
        #expect(maxBuffered <= chunk + 256, "held \(maxBuffered) bytes")
        #expect(maxAfterDrain <= 256, "held \(maxAfterDrain) bytes after draining")

        // The same through the helper, selecting the part by file name.
        var helperDigest = MIMETestSupport.Digest()
        let chunks = stride(from: 0, to: raw.count, by: chunk).lazy.map { raw[$0..<min(raw.count, $0 + chunk)] }
        let decoded = try MIMEStreamParser.decodeBody(
            from: chunks,
            selecting: { _, headers in MIMEContentType(headers: headers).name == "grande.pdf" },
            to: { helperDigest.update($0) }
        )
        #expect(decoded == size)
        #expect(helperDigest.value == expected.value)
    }

    @Test("decodeBody: by path, missing part, and from a file read in chunks")
    func decodeHelper() throws {
        let raw = Array(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nperch=C3=A8=\r\n!\r\n--b--\r\n"
                .utf8
        )
        var output: [UInt8] = []
        let size = try MIMEStreamParser.decodeBody(ofPartAt: [1], from: [raw]) { output += $0 }
        #expect(size == 8)
        #expect(String(decoding: output, as: UTF8.self) == "perchè!")
        #expect(throws: MIMEError.partNotFound(path: [3])) {
            _ = try MIMEStreamParser.decodeBody(ofPartAt: [3], from: [raw]) { _ in }
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mime-\(UUID().uuidString).eml")
        try Data(raw).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var fromFile: [UInt8] = []
        let fileSize = try MIMEStreamParser.decodeBody(
            ofPartAt: [1],
            from: MIMEStreamParser.fileChunks(url, chunkSize: 5)
        ) { fromFile += $0 }
        #expect(fileSize == 8)
        #expect(fromFile == output)
    }

    @Test("random chunkings of synthetic messages give the same events as one-shot parsing")
    func chunkingSynthetic() throws {
        let messages = [
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n--b\r\nX: y\r\n\r\nz\r\n--b-- \r\n",
            "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: message/rfc822\n\nSubject: a\nContent-Type: multipart/mixed; boundary=i\n\n--i\n\ntext\n--i\n--o\n\nend",
            "Subject: no body",
            "",
            "\r\n\r\nonly body",
            "Content-Type: multipart/mixed; boundary=\"a b\"\r\n\r\n--a b\r\n\r\n\r\n\r\n--a b--",
        ]
        var generator = SplitMix64(seed: 9)
        for text in messages {
            let raw = Array(text.utf8)
            let reference = try MIMETestSupport.events(raw, chunkSizes: [max(1, raw.count)])
            #expect(reference.last == .finished)
            for _ in 0..<20 {
                let sizes = (0..<16).map { _ in Int(generator.next() % 5) + 1 }
                #expect(try MIMETestSupport.events(raw, chunkSizes: sizes) == reference, "\(text)")
            }
        }
    }
}
