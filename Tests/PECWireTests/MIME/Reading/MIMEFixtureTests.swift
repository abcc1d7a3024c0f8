import Foundation
import Testing

@testable import PECTestSupport
@testable import PECWire

/// The real PEC messages of ../shared/fixtures/pec, or `PEC_FIXTURES_DIR` (kept out of the repo for
/// licence reasons); the daticert tests read them too.
enum MIMEFixtures {
    static let directory: URL? = {
        if let configured = ProcessInfo.processInfo.environment["PEC_FIXTURES_DIR"] {
            return URL(fileURLWithPath: configured)
        }
        var candidates = [URL(fileURLWithPath: "/work/shared/fixtures/pec")]
        var folder = URL(fileURLWithPath: #filePath)
        for _ in 0..<8 {
            folder.deleteLastPathComponent()
            candidates.append(folder.appendingPathComponent("../shared/fixtures/pec").standardized)
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("SOURCES.md").path) }
    }()

    static var files: [URL] {
        guard let directory else { return [] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".eml") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// file name → has_postacert_eml, from expected.ndjson.
    static var hasPostacert: [String: Bool] {
        guard let directory,
            let text = try? String(contentsOf: directory.appendingPathComponent("expected.ndjson"), encoding: .utf8)
        else { return [:] }
        var result: [String: Bool] = [:]
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let file = object["file"] as? String
            else { continue }
            result[file] = object["has_postacert_eml"] as? Bool
        }
        return result
    }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
}

/// Independent of the parser: the bytes between the first boundary line of `boundary` (after its
/// line end) and the line end before the second one.
private func firstPartBytes(_ raw: [UInt8], boundary: [UInt8]) -> ArraySlice<UInt8>? {
    let marker = [UInt8(ascii: "\n"), UInt8(ascii: "-"), UInt8(ascii: "-")] + boundary
    var hits: [Int] = []
    var index = 0
    while index + marker.count <= raw.count, hits.count < 2 {
        if raw[index] == marker[0], Array(raw[index..<(index + marker.count)]) == marker {
            hits.append(index)
            index += marker.count
        } else {
            index += 1
        }
    }
    guard hits.count == 2, let lf = raw[(hits[0] + 1)...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
    var end = hits[1]
    if raw[end - 1] == UInt8(ascii: "\r") { end -= 1 }
    return raw[(lf + 1)..<end]
}

@Suite(
    "MIME on real PEC messages",
    .enabled(if: MIMEFixtures.directory != nil, "SKIPPED: ../shared/fixtures/pec not found, real-message tests not run")
)
struct MIMEFixtureTests {
    @Test("the fixtures folder holds the real messages")
    func present() throws {
        #expect(MIMEFixtures.files.count >= 10)
    }

    @Test(
        "every fixture parses into the PEC tree: signed → mixed → alternative + daticert.xml (+ postacert.eml) + smime.p7s"
    )
    func treeShape() throws {
        let postacert = MIMEFixtures.hasPostacert
        for url in MIMEFixtures.files {
            let name = url.lastPathComponent
            let message = try MIMEMessage(parsing: MIMEFixtures.bytes(url))
            let root = message.root
            #expect(root.path == [], "\(name)")
            #expect(root.headerRange.lowerBound == 0, "\(name)")
            #expect(root.bodyRange.upperBound == message.raw.count, "\(name)")
            if name.hasPrefix("toniorusso") {
                #expect(root.contentType.isMultipart, "\(name)")
                #expect(!root.children.isEmpty, "\(name)")
                continue
            }
            #expect(root.contentType.mimeType == "multipart/signed", "\(name)")
            let truncated =
                name == "biagioT_java-pec-parser_accettazione.eml"
                || name == "biagioT_java-pec-parser_consegna.eml"
            #expect(root.children.count == (truncated ? 1 : 2), "\(name): \(root.children.map(\.contentType.mimeType))")
            guard let mixed = root.children.first else { continue }
            #expect(mixed.path == [1], "\(name)")
            #expect(mixed.contentType.mimeType == "multipart/mixed", "\(name)")
            // Since ~2017 the text is a multipart/alternative (plain + html); Aruba 2014 sent text/plain alone.
            let body = mixed.children.first
            #expect(body?.path == [1, 1], "\(name)")
            if body?.contentType.mimeType == "multipart/alternative" {
                #expect(body?.children.map(\.contentType.mimeType) == ["text/plain", "text/html"], "\(name)")
                #expect(body?.children.map(\.path) == [[1, 1, 1], [1, 1, 2]], "\(name)")
            } else {
                #expect(body?.contentType.mimeType == "text/plain", "\(name)")
                #expect(name.hasPrefix("OCA_l10n-italy_message"), "\(name)")
            }
            let daticert = message.entity(filename: "daticert.xml")
            #expect(daticert?.contentType.mimeType == "application/xml", "\(name)")
            #expect(daticert?.path == [1, 2], "\(name)")
            let xml = String(decoding: daticert?.decodedBody ?? [], as: UTF8.self)
            #expect(xml.contains("<postacert") && xml.contains("</postacert>"), "\(name)")
            let envelope = message.entity(filename: "postacert.eml")
            #expect((envelope != nil) == (postacert[name] ?? false), "\(name)")
            if let envelope {
                #expect(envelope.contentType.mimeType == "message/rfc822", "\(name)")
                #expect(envelope.path == [1, 3], "\(name)")
                #expect(envelope.children.count == 1, "\(name)")
                let inner = envelope.children.first
                #expect(inner?.headers["Subject"] != nil, "\(name)")
                if let inner, inner.isMultipart {
                    #expect(inner.path == [1, 3], "\(name)")
                    #expect(inner.children.first?.path == [1, 3, 1], "\(name)")
                }
            }
            if !truncated {
                let signature = root.children.last
                #expect(signature?.path == [2], "\(name)")
                #expect(signature?.contentType.subtype.hasSuffix("pkcs7-signature") == true, "\(name)")
                #expect(signature?.filename == "smime.p7s", "\(name)")
            }
        }
    }

    @Test("part 1 of the multipart/signed, headers and body, is recoverable exactly from the offsets")
    func signedPartBytes() throws {
        var checked = 0
        for url in MIMEFixtures.files {
            let raw = try MIMEFixtures.bytes(url)
            let message = try MIMEMessage(parsing: raw)
            guard message.root.contentType.mimeType == "multipart/signed",
                let boundary = message.root.contentType.boundary,
                let part = message.entity(at: [1])
            else { continue }
            // The truncated biagioT samples have no second boundary: part 1 runs to the end.
            let expected = firstPartBytes(raw, boundary: boundary) ?? raw[part.rawRange.lowerBound...]
            let same = part.rawBytes.elementsEqual(expected) && Array(raw[part.rawRange]) == Array(expected)
            #expect(same, "\(url.lastPathComponent): \(part.rawRange) vs \(expected.indices)")
            let startsWithHeaders =
                MIMEContentType(headers: HeaderFields(parsing: part.rawBytes)).mimeType == "multipart/mixed"
            #expect(startsWithHeaders, "\(url.lastPathComponent)")
            checked += 1
        }
        #expect(checked >= 10)
    }

    @Test("iso-8859-1 quoted-printable text bodies keep their accents")
    func accents() throws {
        var accented = 0
        for url in MIMEFixtures.files {
            let message = try MIMEMessage(parsing: MIMEFixtures.bytes(url))
            for entity in message.allEntities where entity.contentType.isText {
                let text = try #require(entity.text)
                #expect(!text.contains("\u{FFFD}"), "\(url.lastPathComponent) \(entity.path)")
                let raw = String(decoding: entity.rawBody, as: UTF8.self)
                if entity.transferEncoding == .quotedPrintable, raw.contains("=E8") {
                    #expect(text.contains("è"), "\(url.lastPathComponent) \(entity.path)")
                    #expect(!text.contains("=E8"), "\(url.lastPathComponent) \(entity.path)")
                    accented += 1
                }
            }
        }
        #expect(accented >= 5)
    }

    @Test("every fixture gives the same events fed in random chunkings as in one go")
    func chunkingInvariance() throws {
        var generator = SplitMix64(seed: 42)
        for url in MIMEFixtures.files {
            let raw = try MIMEFixtures.bytes(url)
            let reference = try MIMETestSupport.events(raw, chunkSizes: [raw.count])
            for _ in 0..<6 {
                let sizes = (0..<64).map { _ in Int(generator.next() % 97) + 1 }
                let events = try MIMETestSupport.events(raw, chunkSizes: sizes)
                #expect(events == reference, "\(url.lastPathComponent)")
            }
            #expect(try MIMETestSupport.events(raw, chunkSizes: [1]) == reference, "\(url.lastPathComponent)")
        }
    }
}
