import Foundation
import Testing

@testable import PECCore

/// The whole reading of a message (MIME, classification, daticert, signature, envelope) on the
/// real corpus, against its expected.ndjson, and on the sandbox-made fixtures.
@Suite("reading whole messages")
struct MessageReaderTests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        var file: String
        var kind: String?
        var signature: String
        var hasPostacert: Bool
        var testDescription: String { file }
    }

    static let expectations: [Expectation] = {
        guard let directory = SignatureFixtures.corpusDirectory,
            let text = try? String(contentsOf: directory.appendingPathComponent("expected.ndjson"), encoding: .utf8)
        else { return [] }
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let file = object["file"] as? String, let signature = object["signature"] as? String
            else { return nil }
            return Expectation(
                file: file,
                kind: (object["x_ricevuta"] as? String) ?? (object["x_trasporto"] as? String),
                signature: signature,
                hasPostacert: object["has_postacert_eml"] as? Bool ?? false
            )
        }
    }()

    @Test(
        "every message of the shared corpus: kind, signature, envelope as expected.ndjson says",
        .enabled(if: SignatureFixtures.corpusAvailable, "skipped: the shared corpus of real PEC messages is not here"),
        arguments: expectations
    )
    func corpus(expectation: Expectation) throws {
        let directory = try #require(SignatureFixtures.corpusDirectory)
        let raw = Array(try Data(contentsOf: directory.appendingPathComponent(expectation.file)))
        let reader = MessageReader(trust: try PECTrustStore(systemRoots: false), options: .init(signature: true))
        let details = try reader.read(raw).details
        let status = details.signature?.status
        switch expectation.signature {
        case "valid": #expect(status == .valid)
        case "absent": #expect(status == .unsigned)
        default: #expect(status == .invalid)
        }
        let shown = details.pecType ?? details.claimedPECType
        #expect(shown?.rawValue == expectation.kind)
        if expectation.signature == "valid" {
            #expect(details.pecType != nil && details.claimedPECType == nil)
        } else if expectation.kind != nil {
            #expect(details.pecType == nil, "an unsigned claim must never be shown as certified")
            #expect(!details.warnings.isEmpty)
        }
        if expectation.kind == "posta-certificata" && expectation.hasPostacert && expectation.signature == "valid" {
            #expect(details.envelope?.depth == 1)
            #expect(details.subject?.hasPrefix("POSTA CERTIFICATA:") == false)
        } else {
            #expect(details.envelope == nil, "only a certified envelope is opened")
        }
        let showsCertificationFiles = details.attachments.contains {
            $0.filename == "smime.p7s" || $0.filename == "daticert.xml"
        }
        if details.pecType != nil {
            #expect(!showsCertificationFiles, "a certified message hides the gestore's files")
        } else if expectation.signature == "stub" {
            // Not certified: nothing is the gestore's, every file is shown as in ordinary mail.
            #expect(showsCertificationFiles)
        }
    }

    @Test("a sandbox acceptance receipt: valid with the sandbox CA, only claimed without it")
    func sandboxReceipt() throws {
        let raw = try SignatureFixtures.bundled("sandbox-accettazione.eml")
        let trusted = try PECTrustStore(systemRoots: false, caFiles: [SignatureFixtures.bundledPath("sandbox-ca.pem")])
        let valid = try MessageReader(trust: trusted, options: .init(certification: true)).read(raw).details
        #expect(valid.pecType == .accettazione)
        #expect(valid.pecCert?.tipo == "accettazione")
        #expect(valid.signature == nil, "the signature block is only shown when asked for")

        let untrusted = try MessageReader(trust: try PECTrustStore(systemRoots: false)).read(raw).details
        #expect(untrusted.pecType == nil)
        #expect(untrusted.claimedPECType == .accettazione)
    }

    @Test("plain mail has no PEC kind and no warning; garbage is a malformed error, never a crash")
    func plainAndGarbage() throws {
        let reader = MessageReader(trust: try PECTrustStore(systemRoots: false))
        let plain = Array("From: a@b.it\r\nTo: c@d.it\r\nSubject: ciao\r\n\r\nbody\r\n".utf8)
        let details = try reader.read(plain).details
        #expect(details.pecType == nil && details.claimedPECType == nil && details.warnings.isEmpty)
        #expect(details.body?.contains("body") == true)
        #expect(details.to == ["c@d.it"])
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let garbage = (0..<2000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? reader.read(garbage)
        }
    }

    @Test("a genuine receipt whose unsigned X-Ricevuta header was changed is not certified")
    func forgedHeader() throws {
        let raw = try SignatureFixtures.bundled("sandbox-accettazione.eml")
        let text = String(decoding: raw, as: UTF8.self)
        let forged = Array(
            text.replacingOccurrences(of: "X-Ricevuta: accettazione", with: "X-Ricevuta: avvenuta-consegna").utf8
        )
        #expect(forged != raw)
        let trust = try PECTrustStore(systemRoots: false, caFiles: [SignatureFixtures.bundledPath("sandbox-ca.pem")])
        let details = try MessageReader(trust: trust, options: .init(signature: true)).read(forged).details
        #expect(details.signature?.status == .valid, "the header is outside the signature")
        #expect(details.pecType == nil)
        #expect(details.claimedPECType == .avvenutaConsegna)
        #expect(details.warnings.contains { $0.contains("daticert.xml says accettazione") })
    }

    @Test("a daticert.xml attached to an unsigned message certifies nothing")
    func attachedDaticert() throws {
        // PECWireTests' synthetic daticert files (a test target's resources are its own).
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("PECWireTests/Daticert/Fixtures")
            .appendingPathComponent("synthetic_presa-in-carico.daticert.xml")
        let daticert = [UInt8](try Data(contentsOf: fixture))
        let message =
            "From: a@b.it\r\nTo: c@d.it\r\nSubject: inoltro\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nciao\r\n"
            + "--XX\r\nContent-Type: application/xml; name=\"daticert.xml\"\r\n"
            + "Content-Disposition: attachment; filename=\"daticert.xml\"\r\n\r\n"
            + String(decoding: daticert, as: UTF8.self) + "\r\n--XX--\r\n"
        let details = try MessageReader(trust: try PECTrustStore(systemRoots: false)).read(Array(message.utf8)).details
        #expect(details.pecType == nil && details.claimedPECType == nil && details.pecCertType == nil)
        #expect(details.attachments.map(\.filename) == ["daticert.xml"], "it is just a file here")
    }

    @Test("a signed receipt with a repeated boundary parameter is not certified")
    func repeatedBoundary() throws {
        let raw = try SignatureFixtures.bundled("sandbox-accettazione.eml")
        let text = String(decoding: raw, as: UTF8.self)
        // The real boundary first (what our parser uses), a second one after it.
        let header = try #require(text.range(of: "Content-Type: multipart/signed"))
        // (The fixture has CRLF line ends, which Swift sees as one Character.)
        let lineEnd = try #require(text[header.upperBound...].range(of: "\r\n"))
        let forged = Array(text.replacingCharacters(in: lineEnd, with: "; boundary=\"other\"\r\n").utf8)
        let trust = try PECTrustStore(systemRoots: false, caFiles: [SignatureFixtures.bundledPath("sandbox-ca.pem")])
        let details = try MessageReader(trust: trust).read(forged).details
        #expect(details.pecType == nil)
        #expect(details.warnings.contains { $0.contains("ambiguous") })
        let genuine = try MessageReader(trust: trust).read(raw).details
        #expect(genuine.pecType == .accettazione, "the untouched receipt stays certified")
    }

    /// The sandbox receipt with its outer multipart/signed header rewritten by `edit` (the signature
    /// covers only the first part's bytes, so it stays valid whatever the outer boundary is).
    static func receipt(boundary: String, header edit: (String) -> String = { $0 }) throws -> [UInt8] {
        let raw = try SignatureFixtures.bundled("sandbox-accettazione.eml")
        let original = "----011D4BF31DF942AB4AAC8A7F353E77E4"
        var text = String(decoding: raw, as: UTF8.self).replacingOccurrences(of: original, with: boundary)
        let start = try #require(text.range(of: "Content-Type: multipart/signed"))
        let end = try #require(text[start.upperBound...].range(of: "\r\n"))
        let line = String(text[start.lowerBound..<end.lowerBound])
        text.replaceSubrange(start.lowerBound..<end.lowerBound, with: edit(line))
        return Array(text.utf8)
    }

    static func sandboxTrust() throws -> PECTrustStore {
        try PECTrustStore(systemRoots: false, caFiles: [SignatureFixtures.bundledPath("sandbox-ca.pem")])
    }

    /// Both ways a message is read: whole in memory (OpenSSL splits the multipart/signed itself)
    /// and spooled in a file (our split, OpenSSL checks the detached content).
    static func readBothWays(_ raw: [UInt8]) throws -> [MessageDetails] {
        let reader = MessageReader(trust: try sandboxTrust())
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pec-boundary-\(UUID()).eml")
        try Data(raw).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return [try reader.read(raw).details, try reader.read(SpooledMessage(file: file)).details]
    }

    @Test("a genuine signed receipt whose boundary value contains \"boundary\" (.NET style) is certified")
    func dotNetBoundary() throws {
        let raw = try Self.receipt(boundary: "--boundary_0_5f0e4c2a-7d1b-4e8f-9a3c-6b2d1e0f4a97")
        #expect(String(decoding: raw, as: UTF8.self).contains(#"boundary="--boundary_0_5f0e4c2a"#))
        for details in try Self.readBothWays(raw) {
            #expect(details.pecType == .accettazione, "\(details.warnings)")
            #expect(!details.warnings.contains { $0.contains("ambiguous") })
        }
    }

    @Test("a parameter whose quoted value says boundary=… is not taken for a second boundary")
    func boundaryInsideAnotherValue() throws {
        let raw = try Self.receipt(boundary: "----011D4BF31DF942AB4AAC8A7F353E77E4") {
            $0 + #"; name="boundary=x"; x-note="a; boundary=y""#
        }
        for details in try Self.readBothWays(raw) {
            #expect(details.pecType == .accettazione, "\(details.warnings)")
        }
    }

    @Test(
        "a boundary given twice, in any form, is still refused",
        arguments: [
            #"; boundary="other""#,
            #"; BOUNDARY=other"#,
            #"; boundary*=utf-8''other"#,
            #"; boundary*0="oth"; boundary*1="er""#,
        ]
    )
    func repeatedBoundaryForms(extra: String) throws {
        let raw = try Self.receipt(boundary: "----011D4BF31DF942AB4AAC8A7F353E77E4") { $0 + extra }
        for details in try Self.readBothWays(raw) {
            #expect(details.pecType == nil)
            #expect(details.warnings.contains { $0.contains("ambiguous") })
        }
    }

    /// OpenSSL reads a header line by line and knows no backslash escapes: here it takes the
    /// boundary `evil` from a quoted value that our reader (unfolding first) sees as text.
    @Test("a boundary OpenSSL would read differently (a quote across a fold, an escaped quote) is refused")
    func openSSLReadsDifferently() throws {
        let folded = try Self.receipt(boundary: "----011D4BF31DF942AB4AAC8A7F353E77E4") {
            $0.replacingOccurrences(of: "; boundary=", with: "; x=\"\r\n boundary=evil\r\n \"; boundary=")
        }
        let escaped = try Self.receipt(boundary: "----011D4BF31DF942AB4AAC8A7F353E77E4") {
            $0.replacingOccurrences(of: "; boundary=", with: #"; x="a\"; boundary=evil; y=\""; boundary="#)
        }
        // (OpenSSL then finds no valid signature here either; MIMEBoundaryAmbiguityTests checks the
        // judgment itself, which also holds where an attacker arranges both readings to verify.)
        for raw in [folded, escaped] {
            for details in try Self.readBothWays(raw) {
                #expect(details.pecType == nil, "\(details.warnings)")
            }
        }
    }
}
