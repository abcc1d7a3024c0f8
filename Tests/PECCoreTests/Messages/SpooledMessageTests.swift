import COpenSSL
import Foundation
import Testing

@testable import PECCore

/// A message read from a file with its large parts left on disk must read exactly as the same
/// message held in memory: same kind, certification, signature verdict, text and attachments.
@Suite("messages read from a file")
struct SpooledMessageTests {
    static let bundledMessages = [
        "sandbox-accettazione.eml", "sandbox-accettazione-sha1.eml", "sandbox-accettazione-list-wrapped.eml",
        "sandbox-busta-allegato.eml", "danzipie_go-pec_email_2.eml",
    ]

    /// Every attachment left in the file (the worst case for the offset bookkeeping).
    static var cutEverything: SpooledMessage.Limits {
        var limits = SpooledMessage.Limits()
        limits.smallPart = 0
        return limits
    }

    static func reader() throws -> MessageReader {
        let trust = try PECTrustStore(
            systemRoots: false,
            caFiles: [SignatureFixtures.bundledPath("sandbox-ca.pem")]
        )
        return MessageReader(trust: trust, options: .init(certification: true, signature: true, verbose: true))
    }

    static func temporaryFile(_ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pec-spool-test-\(UUID()).eml")
        try Data(bytes).write(to: url)
        return url
    }

    /// The details as JSON; a signature's reason (OpenSSL's words on an unreadable one) aside.
    static func json(_ details: MessageDetails) throws -> String {
        var details = details
        details.signature?.reason = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(details), as: UTF8.self)
    }

    /// Kind, certification, signature and the attachments, in both readings; with everything cut
    /// the attachments' bytes must still come out identical.
    static func expectSameReading(_ raw: [UInt8], name: String) throws {
        let file = try temporaryFile(raw)
        defer { try? FileManager.default.removeItem(at: file) }
        let reader = try reader()
        let inMemory = try reader.read(raw)
        let spooled = try SpooledMessage(file: file)
        let fromFile = try reader.read(spooled)
        #expect(try json(fromFile.details) == json(inMemory.details), "\(name): default limits")

        let cut = try SpooledMessage(file: file, limits: cutEverything)
        let cutReading = try reader.read(cut)
        #expect(cutReading.details.pecType == inMemory.details.pecType, "\(name)")
        #expect(cutReading.details.claimedPECType == inMemory.details.claimedPECType, "\(name)")
        var expectedSignature = inMemory.details.signature
        var cutSignature = cutReading.details.signature
        expectedSignature?.reason = nil
        cutSignature?.reason = nil
        #expect(cutSignature == expectedSignature, "\(name)")
        #expect(cutReading.details.pecCert == inMemory.details.pecCert, "\(name)")
        #expect(cutReading.details.attachments == inMemory.details.attachments, "\(name)")
        for (held, onDisk) in zip(inMemory.attachmentEntities, cutReading.attachmentEntities) {
            var bytes: [UInt8] = []
            try cut.writeDecodedBody(of: onDisk) { bytes += $0 }
            #expect(bytes == held.decodedBody, "\(name): \(held.filename ?? "?") decoded from the file")
        }
    }

    @Test("bundled messages read the same from a file, large parts left there", arguments: bundledMessages)
    func bundled(name: String) throws {
        try Self.expectSameReading(try SignatureFixtures.bundled(name), name: name)
    }

    @Test(
        "every message of the shared corpus reads the same from a file",
        .enabled(if: SignatureFixtures.corpusAvailable, "skipped: the shared corpus of real PEC messages is not here"),
        arguments: SignatureFixtures.corpusFiles
    )
    func corpus(name: String) throws {
        try Self.expectSameReading(try SignatureFixtures.corpus(name), name: name)
    }

    @Test("a message with LF line ends reads the same from a file: its signed part is canonicalised line by line")
    func lfLineEnds() throws {
        let raw = try SignatureFixtures.bundled("sandbox-busta-allegato.eml")
        var lf: [UInt8] = []
        for (index, byte) in raw.enumerated()
        where !(byte == UInt8(ascii: "\r") && index + 1 < raw.count && raw[index + 1] == UInt8(ascii: "\n")) {
            lf.append(byte)
        }
        #expect(lf.count < raw.count)
        try Self.expectSameReading(lf, name: "LF line ends")
        let file = try Self.temporaryFile(lf)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(
            try Self.reader().read(SpooledMessage(file: file, limits: Self.cutEverything)).details.signature?.status
                == .valid
        )
    }

    @Test("only content whose every CR starts a CRLF and every LF ends one is digested as it is")
    func canonicalCRLF() throws {
        func check(_ bytes: [UInt8], _ range: Range<Int>? = nil) throws -> Bool {
            let file = try Self.temporaryFile(bytes)
            defer { try? FileManager.default.removeItem(at: file) }
            let descriptor = open(file.path, O_RDONLY)
            defer { close(descriptor) }
            return SignatureVerifier.isCanonicalCRLF(descriptor, range: range ?? 0..<bytes.count)
        }
        let block = 65536
        #expect(try check(Array("a\r\nb\r\n\r\n".utf8)))
        #expect(try check([]))
        #expect(try !check(Array("a\nb\r\n".utf8)))
        #expect(try !check(Array("a\rb\r\n".utf8)))
        #expect(try !check(Array("a\r\r\n".utf8)))
        #expect(try !check(Array("a\r".utf8)))
        #expect(try !check(Array("\na".utf8)))
        // CRLF split across the 64 KiB reads, both ways, and a bare LF right after the split.
        var straddle = [UInt8](repeating: UInt8(ascii: "x"), count: block - 1) + Array("\r\nend\r\n".utf8)
        #expect(try check(straddle))
        straddle = [UInt8](repeating: UInt8(ascii: "x"), count: block) + Array("\nend".utf8)
        #expect(try !check(straddle))
        straddle = [UInt8](repeating: UInt8(ascii: "x"), count: block - 1) + Array("\rxend".utf8)
        #expect(try !check(straddle))
        // A range ending on a CR whose LF lies outside it is not canonical content.
        let text = Array("ab\r\ncd\r\n".utf8)
        #expect(try !check(text, 0..<3))
        #expect(try check(text, 4..<8))
    }

    @Test("a tampered envelope is invalid when its signed part is read from the file")
    func tampered() throws {
        let raw = try SignatureFixtures.bundled("sandbox-busta-allegato.eml")
        let altered = try #require(SignatureFixtures.tampered(raw))
        let file = try Self.temporaryFile(altered)
        defer { try? FileManager.default.removeItem(at: file) }
        let details = try Self.reader().read(SpooledMessage(file: file, limits: Self.cutEverything)).details
        #expect(details.signature?.status == .invalid)
        #expect(details.pecType == nil)
        #expect(details.claimedPECType == .postaCertificata)
    }

    @Test("an envelope's large attachment stays in the file; the original message is shown")
    func envelopeAttachmentStaysOnDisk() throws {
        let raw = try SignatureFixtures.bundled("sandbox-busta-allegato.eml")
        let file = try Self.temporaryFile(raw)
        defer { try? FileManager.default.removeItem(at: file) }
        let spooled = try SpooledMessage(file: file)
        let reading = try Self.reader().read(spooled)
        #expect(reading.details.pecType == .postaCertificata)
        #expect(reading.details.signature?.status == .valid)
        #expect(reading.details.subject == "Contratto firmato")
        #expect(reading.details.body?.contains("contratto firmato") == true)
        let pdf = try #require(reading.attachmentEntities.first { $0.filename == "contratto.pdf" })
        #expect(!spooled.isHeld(pdf))
        #expect(spooled.message.raw.count < raw.count - 150_000, "the attachment's base64 is not held")
        #expect(reading.details.attachments.first { $0.filename == "contratto.pdf" }?.size == 150_016)
    }

    @Test("a 2 MB attachment is decoded from the file to the same bytes; the skeleton stays small")
    func largeAttachment() throws {
        var generator = SystemRandomNumberGenerator()
        let payload = (0..<2_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var raw = Array(
            """
            From: a@example.org\r
            Subject: big\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed; boundary="b"\r
            \r
            --b\r
            Content-Type: text/plain\r
            \r
            see attached\r
            --b\r
            Content-Type: application/octet-stream; name="big.bin"\r
            Content-Transfer-Encoding: base64\r
            \r

            """.utf8
        )
        let encoded = Data(payload).base64EncodedString(options: [
            .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
        ])
        raw += Array(encoded.utf8) + Array("\r\n--b--\r\n".utf8)
        let file = try Self.temporaryFile(raw)
        defer { try? FileManager.default.removeItem(at: file) }
        let spooled = try SpooledMessage(file: file)
        #expect(spooled.message.raw.count < 1_000)
        let reading = try Self.reader().read(spooled)
        #expect(reading.details.body == "see attached")
        #expect(reading.details.attachments.map(\.size) == [2_000_000])
        var decoded: [UInt8] = []
        decoded.reserveCapacity(payload.count)
        try spooled.writeDecodedBody(of: try #require(reading.attachmentEntities.first)) { decoded += $0 }
        #expect(decoded == payload)
    }

    @Test("a file that is not a message, or not a file, is a clear error")
    func badFiles() throws {
        let directory = FileManager.default.temporaryDirectory
        #expect(throws: PECError.self) { try SpooledMessage(file: directory) }
        #expect(throws: PECError.self) {
            try SpooledMessage(file: directory.appendingPathComponent("pec-does-not-exist-\(UUID())"))
        }
        var deep = ""
        for index in 0..<100 { deep += "Content-Type: multipart/mixed; boundary=\"b\(index)\"\r\n\r\n--b\(index)\r\n" }
        let file = try Self.temporaryFile(Array(deep.utf8))
        defer { try? FileManager.default.removeItem(at: file) }
        let error = #expect(throws: PECError.self) { try SpooledMessage(file: file) }
        #expect(error?.kind == .malformed)
    }
}
