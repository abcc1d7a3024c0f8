import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

@Suite("message composer")
struct MessageComposerTests {
    static let subject = "Perché la pratica n. 42 è già stata pagata? Sì — ricevuta allegata 👍🏽 ✓"
    static let body = [
        "Gentile avvocato,",
        ".questa riga comincia con un punto",
        "questa riga finisce con uno spazio ",
        "From here the mbox rule applies",
        String(repeating: "lungo è ", count: 37) + "fine",  // 300 characters
        "",
        "Cordiali saluti,",
        "Società Esempio S.r.l. — €100",
    ].joined(separator: "\n")
    static let accentedName = "Relazione perizia è già firmata — versione definitiva del tecnico incaricato.pdf"

    /// Two attachments: a small one with a non-ASCII name and 1.2 MB of random bytes.
    private static func sampleMessage(in scratch: ComposeScratchDirectory) throws -> (OutgoingMessage, [[UInt8]]) {
        var generator = SplitMix64(seed: 42)
        let small = Array("<fattura>123</fattura>\n".utf8)
        let large = generator.bytes(1_200_001)
        let message = OutgoingMessage(
            from: "Mittente@PEC.Esempio.it",
            to: ["destinatario@pec.esempio.it", "secondo@pec.altro.it"],
            cc: ["copia@pec.esempio.it"],
            subject: subject,
            body: body,
            attachments: [try scratch.file(accentedName, small), try scratch.file("dati grezzi.bin", large)],
            receipt: .breve
        )
        return (message, [small, large])
    }

    @Test("a composed message parses back to the same subject, body, file names and attachment bytes")
    func roundTrip() async throws {
        let scratch = try ComposeScratchDirectory()
        defer { scratch.remove() }
        let (message, files) = try Self.sampleMessage(in: scratch)
        let composed = try MessageComposer.compose(message, date: ComposeTestSupport.referenceDate)
        let raw = try await ComposeTestSupport.bytes(of: composed)
        #expect(raw.count == composed.size)

        let parsed = try MIMEMessage(parsing: raw)
        #expect(parsed.headers.text("Subject") == Self.subject)
        #expect(parsed.headers.text("From") == "Mittente@PEC.Esempio.it")
        #expect(parsed.headers.text("To") == "destinatario@pec.esempio.it, secondo@pec.altro.it")
        #expect(parsed.headers.text("Cc") == "copia@pec.esempio.it")
        #expect(parsed.headers.text("Date") == "Fri, 21 Nov 2025 09:06:03 +0000")
        #expect(parsed.headers.text("Message-ID") == composed.messageID)
        #expect(parsed.headers.text("MIME-Version") == "1.0")
        #expect(parsed.headers.text("X-TipoRicevuta") == "breve")
        #expect(parsed.root.contentType.mimeType == "multipart/mixed")

        let parts = parsed.root.children
        #expect(parts.count == 3)
        guard parts.count == 3 else { return }
        #expect(parts[0].contentType.mimeType == "text/plain")
        #expect(parts[0].contentType.charset == "UTF-8")
        #expect(parts[0].transferEncoding == .quotedPrintable)
        #expect(parts[0].text == Self.body.replacingOccurrences(of: "\n", with: "\r\n"))

        #expect(parts[1].isAttachment && parts[2].isAttachment)
        #expect(parts[1].disposition?.filename == Self.accentedName)
        #expect(parts[1].contentType.name == Self.accentedName)
        #expect(parts[1].contentType.mimeType == "application/pdf")
        #expect(parts[1].decodedBody == files[0])
        #expect(parts[2].disposition?.filename == "dati grezzi.bin")
        #expect(parts[2].contentType.name == "dati grezzi.bin")
        #expect(parts[2].contentType.mimeType == "application/octet-stream")
        #expect(parts[2].transferEncoding == .base64)
        #expect(parts[2].decodedBody == files[1])

        #expect(composed.recipients == ["destinatario@pec.esempio.it", "secondo@pec.altro.it", "copia@pec.esempio.it"])
        #expect(composed.from == "Mittente@PEC.Esempio.it")
        #expect(composed.attachments.map(\.filename) == [Self.accentedName, "dati grezzi.bin"])
        #expect(composed.attachments.map(\.size) == files.map(\.count))
        #expect(try composed.attachments.map(\.sha256) == files.map { SHA256Digest.hex(try SHA256Digest.hash($0)) })
        #expect(composed.messageID.hasSuffix("@pec.esempio.it>"))
    }

    @Test("every line ≤ 998 octets (headers ≤ 78), CRLF only, all bytes 7-bit")
    func wireSafety() async throws {
        let scratch = try ComposeScratchDirectory()
        defer { scratch.remove() }
        let (message, _) = try Self.sampleMessage(in: scratch)
        var variants = [message]
        variants.append(OutgoingMessage(from: "a@b.it", to: ["c@d.it"], subject: "", body: ""))
        var long = message
        long.subject = String(repeating: "parola ", count: 60) + String(repeating: "x", count: 950)
        long.to = (1...30).map { "destinatario.numero\($0)@pec.esempio.it" }
        long.body = String(repeating: "y", count: 5000) + "\n\n\n" + String(repeating: " ", count: 200)
        variants.append(long)
        for variant in variants {
            let composed = try MessageComposer.compose(variant, date: ComposeTestSupport.referenceDate)
            let raw = try await ComposeTestSupport.bytes(of: composed)
            #expect(raw.count == composed.size)
            #expect(raw.allSatisfy { $0 < 0x80 })
            #expect(!raw.contains(0))
            let (lines, bare) = CRLFLines.split(raw)
            #expect(!bare)
            #expect(raw.suffix(2) == [0x0D, 0x0A])
            #expect(lines.allSatisfy { $0.count <= 998 })
            let headerEnd = lines.firstIndex(where: \.isEmpty) ?? 0
            // The one exception to 78 is a word of the plain subject longer than that (950 "x").
            #expect(lines[..<headerEnd].filter { $0.count > 78 }.allSatisfy { $0.contains(UInt8(ascii: "x")) })
            let parsed = try MIMEMessage(parsing: raw)
            #expect(parsed.headers.text("Subject") == HeaderText.collapseWhitespace(variant.subject))
            #expect(parsed.headers.text("To") == variant.to.joined(separator: ", "))
        }
    }

    @Test("without attachments: a single quoted-printable text/plain part")
    func singlePart() async throws {
        let message = OutgoingMessage(from: "a@b.it", to: ["c@d.it"], subject: "Prova", body: "riga\n.punto")
        let composed = try MessageComposer.compose(message, date: ComposeTestSupport.referenceDate)
        let raw = try await ComposeTestSupport.bytes(of: composed)
        let text = String(decoding: raw, as: UTF8.self)
        #expect(text.contains("\r\nContent-Type: text/plain; charset=UTF-8\r\n"))
        #expect(text.contains("\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nriga\r\n=2Epunto=\r\n"))
        #expect(!text.contains("X-TipoRicevuta"))
        #expect(!text.contains("Cc:"))
        let parsed = try MIMEMessage(parsing: raw)
        #expect(parsed.root.children.isEmpty)
        #expect(parsed.root.text == "riga\r\n.punto")
        #expect(composed.attachments.isEmpty)
        #expect(composed.size == raw.count)
    }

    @Test("ASCII file names with specials are quoted; long ones use RFC 2231 continuations")
    func asciiFilenames() async throws {
        let scratch = try ComposeScratchDirectory()
        defer { scratch.remove() }
        let quotedName = "fattura \"n.1\"; copia=2 (bis).PDF"
        let longName = String(repeating: "documento-", count: 12) + "fine.xml"
        let encodedLookalike = "=?UTF-8?B?YQ==?=.txt"
        let message = OutgoingMessage(
            from: "a@b.it",
            to: ["c@d.it"],
            subject: "Allegati",
            body: "x",
            attachments: [
                try scratch.file(quotedName, [1]), try scratch.file(longName, [2]),
                try scratch.file(encodedLookalike, []),
            ]
        )
        let raw = try await ComposeTestSupport.bytes(of: try MessageComposer.compose(message, date: Date()))
        let text = String(decoding: raw, as: UTF8.self)
        #expect(text.contains("filename=\"fattura \\\"n.1\\\"; copia=2 (bis).PDF\""))
        #expect(text.contains("filename*0*=UTF-8''documento-"))
        let parts = try MIMEMessage(parsing: raw).root.children
        #expect(parts.dropFirst().map(\.filename) == [quotedName, longName, encodedLookalike])
        #expect(parts.dropFirst().map { $0.contentType.name } == [quotedName, longName, encodedLookalike])
        #expect(parts.dropFirst().map(\.contentType.mimeType) == ["application/pdf", "application/xml", "text/plain"])
        #expect(parts.dropFirst().map(\.decodedBody) == [[1], [2], []])
    }

    @Test("writing twice gives identical bytes; composing again in the same minute gives the same message")
    func determinism() async throws {
        let scratch = try ComposeScratchDirectory()
        defer { scratch.remove() }
        let (message, _) = try Self.sampleMessage(in: scratch)
        let composed = try MessageComposer.compose(message, date: ComposeTestSupport.referenceDate)
        let first = try await ComposeTestSupport.bytes(of: composed)
        let second = try await ComposeTestSupport.bytes(of: composed)
        #expect(first == second)
        let again = try MessageComposer.compose(message, date: ComposeTestSupport.referenceDate)
        #expect(again.messageID == composed.messageID)
        #expect(try await ComposeTestSupport.bytes(of: again) == first)
    }

    @Test("the Message-ID is the same for the same content in the same minute, different for any change")
    func messageID() throws {
        let scratch = try ComposeScratchDirectory()
        defer { scratch.remove() }
        let (base, _) = try Self.sampleMessage(in: scratch)
        let date = ComposeTestSupport.referenceDate  // 09:06:03
        func id(_ message: OutgoingMessage, _ date: Date = date) throws -> String {
            try MessageComposer.compose(message, date: date).messageID
        }
        let reference = try id(base)
        #expect(reference.range(of: #"^<[0-9a-f]{32}@pec\.esempio\.it>$"#, options: .regularExpression) != nil)
        #expect(try id(base, date.addingTimeInterval(50)) == reference)  // 09:06:53, same minute
        var recased = base
        recased.from = base.from.uppercased()
        recased.to = base.to.map { $0.uppercased() }
        #expect(try id(recased) == reference)

        var changes: [(String, OutgoingMessage)] = []
        func change(_ label: String, _ edit: (inout OutgoingMessage) throws -> Void) rethrows {
            var copy = base
            try edit(&copy)
            changes.append((label, copy))
        }
        change("from") { $0.from = "altro@pec.esempio.it" }
        change("to") { $0.to[1] = "terzo@pec.altro.it" }
        change("to order") { $0.to.reverse() }
        change("to moved to cc") {
            $0.cc.append($0.to.removeLast())
        }
        change("cc") { $0.cc = [] }
        change("subject") { $0.subject += "." }
        change("body") { $0.body += " " }
        change("receipt") { $0.receipt = .completa }
        change("no receipt") { $0.receipt = nil }
        change("attachment order") { $0.attachments.reverse() }
        change("attachment dropped") { $0.attachments.removeLast() }
        try change("attachment renamed") {
            let renamed = scratch.url.appendingPathComponent("rinominato.bin")
            try FileManager.default.copyItem(at: $0.attachments[1], to: renamed)
            $0.attachments[1] = renamed
        }
        try change("attachment content") {
            let other = scratch.url.appendingPathComponent("altra cartella")
            try FileManager.default.createDirectory(at: other, withIntermediateDirectories: false)
            let changed = other.appendingPathComponent(Self.accentedName)
            try Data("<fattura>124</fattura>\n".utf8).write(to: changed)
            $0.attachments[0] = changed
        }
        var seen = [reference: "base"]
        for (label, message) in changes {
            let changedID = try id(message)
            #expect(seen[changedID] == nil, "\(label) gives the same id as \(seen[changedID] ?? "")")
            seen[changedID] = label
        }
        #expect(try id(base, date.addingTimeInterval(57)) != reference)  // 09:07:00
        #expect(try id(base, date.addingTimeInterval(-4)) != reference)  // 09:05:59
    }

    @Test("the content fingerprint ignores the minute, recipient and attachment order; any real change changes it")
    func contentFingerprint() throws {
        let scratch = try ComposeScratchDirectory()
        defer { scratch.remove() }
        let (base, _) = try Self.sampleMessage(in: scratch)
        let date = ComposeTestSupport.referenceDate
        func fingerprint(_ message: OutgoingMessage, _ date: Date = date, resend: String? = nil) throws -> String {
            try MessageComposer.compose(message, date: date, resend: resend).contentFingerprint
        }
        let reference = try fingerprint(base)
        #expect(reference.range(of: "^[0-9a-f]{64}$", options: .regularExpression) != nil)
        // 12:34:59 and 12:35:01 are two Message-IDs but one letter.
        #expect(try fingerprint(base, date.addingTimeInterval(3600 * 24 + 57)) == reference)
        #expect(try fingerprint(base, resend: "<earlier@pec.esempio.it>") == reference)
        var same = base
        same.to.reverse()
        same.cc.append(same.to.removeLast())
        same.attachments.reverse()
        same.from = base.from.uppercased()
        #expect(try fingerprint(same) == reference)

        var changes: [(String, OutgoingMessage)] = []
        func change(_ label: String, _ edit: (inout OutgoingMessage) -> Void) {
            var copy = base
            edit(&copy)
            changes.append((label, copy))
        }
        change("from") { $0.from = "altro@pec.esempio.it" }
        change("a recipient") { $0.to[1] = "terzo@pec.altro.it" }
        change("a recipient fewer") { $0.cc = [] }
        change("subject") { $0.subject += "." }
        change("body") { $0.body += " " }
        change("receipt") { $0.receipt = .completa }
        change("attachment dropped") { $0.attachments.removeLast() }
        var seen = [reference: "base"]
        for (label, message) in changes {
            let changed = try fingerprint(message)
            #expect(seen[changed] == nil, "\(label) gives the same fingerprint as \(seen[changed] ?? "")")
            seen[changed] = label
        }
    }

    @Test("a file changed after composing makes write throw before the part's last bytes")
    func changedFile() async throws {
        let scratch = try ComposeScratchDirectory()
        defer { scratch.remove() }
        var generator = SplitMix64(seed: 3)
        let original = generator.bytes(200_000)
        let file = try scratch.file("contratto.pdf", original)
        let message = OutgoingMessage(from: "a@b.it", to: ["c@d.it"], subject: "s", body: "b", attachments: [file])
        let closing = Array("--\r\n".utf8)

        var edits: [(String, [UInt8])] = []
        var sameSize = original
        sameSize[150_000] ^= 0xFF
        edits.append(("same size, one byte changed", sameSize))
        edits.append(("appended", original + [0]))
        edits.append(("truncated", Array(original.dropLast(1000))))
        var firstChunk = original
        firstChunk[0] ^= 0x01
        edits.append(("first chunk changed", firstChunk))
        for (label, edited) in edits {
            try Data(original).write(to: file)
            let composed = try MessageComposer.compose(message, date: Date())
            try Data(edited).write(to: file)
            var received: [UInt8] = []
            do {
                try await composed.write { received += $0 }
                Issue.record("\(label): write did not throw")
            } catch let error as PECError {
                #expect(error.kind == .io, "\(label)")
                #expect(error.message == "\(file.path) changed since the message was prepared", "\(label)")
            }
            #expect(received.count < composed.size, "\(label)")
            #expect(received.suffix(closing.count) != closing, "\(label)")
        }

        // Deleted after composing.
        try Data(original).write(to: file)
        let composed = try MessageComposer.compose(message, date: Date())
        try FileManager.default.removeItem(at: file)
        await #expect(throws: PECError.self) {
            try await composed.write { _ in }
        }
    }

    @Test("a small changed attachment: none of its encoded bytes reach the sink")
    func changedSmallFile() async throws {
        let scratch = try ComposeScratchDirectory()
        defer { scratch.remove() }
        let file = try scratch.file("nota.txt", Array("versione uno".utf8))
        let message = OutgoingMessage(from: "a@b.it", to: ["c@d.it"], subject: "s", body: "b", attachments: [file])
        let composed = try MessageComposer.compose(message, date: Date())
        try Data("versione due".utf8).write(to: file)
        var received: [UInt8] = []
        await #expect(throws: PECError.self) {
            try await composed.write { received += $0 }
        }
        // What was sent ends with the part's header block: no body byte of the changed file.
        #expect(String(decoding: received, as: UTF8.self).hasSuffix("Content-Transfer-Encoding: base64\r\n\r\n"))
    }

    @Test("write can be used from an actor with a sink that touches its state")
    @MainActor
    func writeFromActor() async throws {
        let message = OutgoingMessage(from: "a@b.it", to: ["c@d.it"], subject: "s", body: "b")
        let composed = try MessageComposer.compose(message, date: Date())
        var count = 0
        try await composed.write { count += $0.count }
        #expect(count == composed.size)
    }

    @Test("a 20 MB attachment streams exactly `size` bytes")
    func largeAttachment() async throws {
        let scratch = try ComposeScratchDirectory()
        defer { scratch.remove() }
        var generator = SplitMix64(seed: 20)
        let block = generator.bytes(1 << 20)
        let file = scratch.url.appendingPathComponent("archivio.zip")
        #expect(FileManager.default.createFile(atPath: file.path, contents: nil))
        let handle = try FileHandle(forWritingTo: file)
        for _ in 0..<20 { try handle.write(contentsOf: block) }
        try handle.close()
        let message = OutgoingMessage(from: "a@b.it", to: ["c@d.it"], subject: "s", body: "b", attachments: [file])
        let composed = try MessageComposer.compose(message, date: Date())
        var written = 0
        var largestChunk = 0
        try await composed.write { chunk in
            written += chunk.count
            largestChunk = max(largestChunk, chunk.count)
        }
        #expect(composed.attachments.first?.size == 20 << 20)
        #expect(written == composed.size)
        #expect(largestChunk < 100_000)
    }
}
