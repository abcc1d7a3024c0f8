import Foundation
import Testing

@testable import PECCore
@testable import PECTestSupport

@Suite("S/MIME signature verification")
struct SignatureVerifierTests {
    let verifier = SignatureVerifier()

    static let sandboxTrust: PECTrustStore = {
        try! PECTrustStore(caFiles: [SignatureFixtures.bundledPath("sandbox-ca.pem")])
    }()
    static let standardTrust = PECTrustStore.standard()

    // MARK: real corpus (../shared/fixtures/pec)

    @Test(
        "every real fixture gives the expected.ndjson signature result",
        .enabled(if: SignatureFixtures.corpusAvailable, "shared fixtures (shared/fixtures/pec) not found"),
        arguments: SignatureFixtures.corpusFiles
    )
    func corpusExpectation(file: String) throws {
        let expected = try #require(SignatureFixtures.corpusExpectations[file])
        let status = try #require(SignatureFixtures.expectedStatus(expected), "unknown expectation \(expected)")
        let check = verifier.verify(rawMessage: try SignatureFixtures.corpus(file), trust: Self.standardTrust)
        #expect(check.status.rawValue == status, "\(file): \(check.reason ?? "")")
        #expect((check.reason == nil) == (check.status == .valid))
    }

    @Test(
        "real signers: address, issuer, digest and signing time",
        .enabled(if: SignatureFixtures.corpusAvailable, "shared fixtures (shared/fixtures/pec) not found"),
        arguments: [
            (
                "OCA_l10n-italy_ACCETTAZIONE_IT03339130126_00009.eml", "posta-certificata@pec.aruba.it",
                "CN=AgID CA1", "2018-11-13T15:39:2"
            ),
            (
                "OCA_l10n-italy_POSTA_CERTIFICATA_Invio_File_7339338.eml", "posta-certificata@pcert.sogei.it",
                "CN=AgID CA1", "2018-12-08T11:26:"
            ),
            ("OCA_l10n-italy_message1.eml", "posta-certificata@pec.aruba.it", "CN=DigitPA CA1", "2014-11-07T15:52:"),
        ]
    )
    func corpusSigner(file: String, email: String, issuer: String, timePrefix: String) throws {
        let check = verifier.verify(rawMessage: try SignatureFixtures.corpus(file), trust: Self.standardTrust)
        #expect(check.status == .valid)
        #expect(check.signerEmail == email)
        #expect(check.signerIssuer?.hasPrefix(issuer + ",") == true)
        #expect(check.signerSubject?.contains("CN=Posta Certificata") == true)
        #expect(check.digestAlgorithm == "sha1")
        #expect(check.signingTime?.hasPrefix(timePrefix) == true, "\(check.signingTime ?? "nil")")
    }

    @Test(
        "a real fixture changed by one byte in the signed body is invalid",
        .enabled(if: SignatureFixtures.corpusAvailable, "shared fixtures (shared/fixtures/pec) not found"),
        arguments: SignatureFixtures.corpusValidFiles
    )
    func corpusTampered(file: String) throws {
        let original = try SignatureFixtures.corpus(file)
        let tampered = try #require(SignatureFixtures.tampered(original))
        #expect(tampered != original)
        let check = verifier.verify(rawMessage: tampered, trust: Self.standardTrust)
        #expect(check.status == .invalid)
        #expect(check.signerEmail != nil)
    }

    @Test(
        "real fixtures: pinned PEC CAs alone suffice, an empty store gives untrusted, today's date gives expired",
        .enabled(if: SignatureFixtures.corpusAvailable, "shared fixtures (shared/fixtures/pec) not found"),
        arguments: ["OCA_l10n-italy_ACCETTAZIONE_IT03339130126_00009.eml", "OCA_l10n-italy_message2_accettazione.eml"]
    )
    func corpusTrust(file: String) throws {
        let message = try SignatureFixtures.corpus(file)
        let pinnedOnly = try PECTrustStore(systemRoots: false)
        #expect(verifier.verify(rawMessage: message, trust: pinnedOnly).status == .valid)
        let empty = try PECTrustStore(systemRoots: false, pinnedPECCAs: false)
        let untrusted = verifier.verify(rawMessage: message, trust: empty)
        #expect(untrusted.status == .untrusted)
        let now = verifier.verify(rawMessage: message, trust: Self.standardTrust, at: Date())
        #expect(now.status == .untrusted)
        #expect(now.reason?.contains("expired") == true, "\(now.reason ?? "nil")")
    }

    // MARK: bundled sandbox receipts (always run)

    @Test("sandbox receipt: valid with the sandbox CA, with the signer's details")
    func sandboxValid() throws {
        let check = verifier.verify(
            rawMessage: try SignatureFixtures.bundled("sandbox-accettazione.eml"),
            trust: Self.sandboxTrust
        )
        #expect(check.status == .valid, "\(check.reason ?? "")")
        #expect(check.reason == nil)
        #expect(check.signerEmail == "posta-certificata@pec.sandbox")
        #expect(check.signerSubject == "CN=Posta Certificata PEC Sandbox,O=PEC Sandbox S.p.A.,C=IT")
        #expect(check.signerIssuer == "CN=PEC Sandbox CA1,O=PEC Sandbox S.p.A.,C=IT")
        #expect(check.digestAlgorithm == "sha256")
        #expect(check.signingTime == "2026-11-21T03:15:02Z")
    }

    @Test("sandbox receipt: untrusted without the sandbox CA")
    func sandboxUntrusted() throws {
        let check = verifier.verify(
            rawMessage: try SignatureFixtures.bundled("sandbox-accettazione.eml"),
            trust: Self.standardTrust
        )
        #expect(check.status == .untrusted)
        #expect(check.reason?.contains("unable to get local issuer certificate") == true, "\(check.reason ?? "")")
        #expect(check.signerEmail == "posta-certificata@pec.sandbox")
    }

    @Test("SHA-1 digest with application/pkcs7-signature verifies")
    func sha1() throws {
        let check = verifier.verify(
            rawMessage: try SignatureFixtures.bundled("sandbox-accettazione-sha1.eml"),
            trust: Self.sandboxTrust
        )
        #expect(check.status == .valid, "\(check.reason ?? "")")
        #expect(check.digestAlgorithm == "sha1")
    }

    @Test("a signed entity wrapped by a mailing list in multipart/mixed is found and verified")
    func listWrapped() throws {
        let message = try SignatureFixtures.bundled("sandbox-accettazione-list-wrapped.eml")
        #expect(verifier.verify(rawMessage: message, trust: Self.sandboxTrust).status == .valid)
        #expect(verifier.verify(rawMessage: message, trust: Self.standardTrust).status == .untrusted)
        let tampered = try #require(SignatureFixtures.tampered(message))
        #expect(verifier.verify(rawMessage: tampered, trust: Self.sandboxTrust).status == .invalid)
    }

    @Test(
        "one byte changed in the signed body: invalid, even when the signer is also untrusted",
        arguments: ["sandbox-accettazione.eml", "sandbox-accettazione-sha1.eml"]
    )
    func tampered(file: String) throws {
        let tampered = try #require(SignatureFixtures.tampered(try SignatureFixtures.bundled(file)))
        for trust in [Self.sandboxTrust, Self.standardTrust] {
            let check = verifier.verify(rawMessage: tampered, trust: trust)
            #expect(check.status == .invalid)
            #expect(check.reason?.contains("changed after signing") == true, "\(check.reason ?? "")")
        }
    }

    @Test("outer headers are not signed: changing one keeps the signature valid")
    func outerHeaderNotSigned() throws {
        var message = try SignatureFixtures.bundled("sandbox-accettazione.eml")
        let subject = Array("Subject: ACCETTAZIONE".utf8)
        let index = try #require(
            (0...(message.count - subject.count)).first { message[$0..<($0 + subject.count)].elementsEqual(subject) }
        )
        message[index + subject.count - 1] = UInt8(ascii: "X")
        #expect(verifier.verify(rawMessage: message, trust: Self.sandboxTrust).status == .valid)
    }

    @Test("LF line ends (a message saved by a Unix tool) still verify: OpenSSL canonicalises to CRLF")
    func lfLineEnds() throws {
        let message = try SignatureFixtures.bundled("sandbox-accettazione.eml")
        var lf: [UInt8] = []
        for (index, byte) in message.enumerated()
        where !(byte == UInt8(ascii: "\r") && index + 1 < message.count && message[index + 1] == UInt8(ascii: "\n")) {
            lf.append(byte)
        }
        #expect(lf.count < message.count)
        #expect(verifier.verify(rawMessage: lf, trust: Self.sandboxTrust).status == .valid)
    }

    @Test("the chain is checked at the signing time: before the certificate existed it is untrusted")
    func signingTimeDecides() throws {
        let message = try SignatureFixtures.bundled("sandbox-accettazione.eml")
        let past = Date(timeIntervalSince1970: 1_600_000_000)  // 2020, before the sandbox certificates
        let check = verifier.verify(rawMessage: message, trust: Self.sandboxTrust, at: past)
        #expect(check.status == .untrusted)
        #expect(check.reason?.contains("not yet valid") == true, "\(check.reason ?? "")")
    }

    // MARK: broken input

    @Test("a placeholder smime.p7s (danzipie go-pec, sha-256) is invalid with a reason")
    func stub() throws {
        let check = verifier.verify(
            rawMessage: try SignatureFixtures.bundled("danzipie_go-pec_email_2.eml"),
            trust: Self.standardTrust
        )
        #expect(check.status == .invalid)
        #expect(check.reason?.contains("cannot be read") == true, "\(check.reason ?? "")")
    }

    @Test("multipart/signed without its signature part is invalid")
    func missingSignaturePart() throws {
        let message = try SignatureFixtures.bundled("sandbox-accettazione.eml")
        let marker = Array("Content-Type: application/x-pkcs7-signature".utf8)
        let index = try #require(
            (0...(message.count - marker.count)).first { message[$0..<($0 + marker.count)].elementsEqual(marker) }
        )
        let truncated = Array(message[..<index])
        let check = verifier.verify(rawMessage: truncated, trust: Self.sandboxTrust)
        #expect(check.status == .invalid)
        #expect(check.reason != nil)
    }

    @Test("a signature with no signer is invalid")
    func noSigners() throws {
        let message = try SignatureFixtures.bundled("sandbox-accettazione.eml")
        let noSigners = try SignatureFixtures.bundled("no-signers.p7s.b64")
        #expect(replacingSignature(message, with: noSigners) != message)
        let check = verifier.verify(rawMessage: replacingSignature(message, with: noSigners), trust: Self.sandboxTrust)
        #expect(check.status == .invalid)
        #expect(check.reason == "the signature has no signer")
    }

    @Test("truncated base64 in smime.p7s is invalid")
    func truncatedBase64() throws {
        let message = try SignatureFixtures.bundled("sandbox-accettazione.eml")
        let found = signatureBase64(message)
        let signature = try #require(found)
        let check = verifier.verify(
            rawMessage: replacingSignature(message, with: Array(signature.prefix(signature.count / 2))),
            trust: Self.sandboxTrust
        )
        #expect(check.status == .invalid)
    }

    @Test("garbage never crashes: unsigned or invalid, always with a reason", arguments: 0..<6)
    func garbage(seed: Int) throws {
        var generator = SplitMix64(seed: UInt64(seed))
        let random = (0..<(seed * 997 + 1)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let inputs: [[UInt8]] = [
            [],
            random,
            Array("Content-Type: multipart/signed; boundary=\"b\"\r\n\r\n--b\r\n".utf8) + random,
            Array("Content-Type: multipart/signed; boundary=\"b\"\r\n\r\n--b\r\nx\r\n--b\r\n".utf8)
                + Array("Content-Type: application/pkcs7-signature\r\n\r\n".utf8) + random
                + Array("\r\n--b--\r\n".utf8),
            Array("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n".utf8) + random,
        ]
        for input in inputs {
            let check = verifier.verify(rawMessage: input, trust: Self.standardTrust)
            #expect(check.status == .unsigned || check.status == .invalid)
            #expect(check.reason != nil)
        }
    }

    @Test("a message without multipart/signed is unsigned")
    func unsigned() {
        let plain = Array("From: a@b.it\r\nContent-Type: text/plain\r\n\r\nciao\r\n".utf8)
        let check = verifier.verify(rawMessage: plain, trust: Self.standardTrust)
        #expect(check == SignatureCheck(status: .unsigned, reason: "the message has no multipart/signed part"))
    }

    // MARK: model and trust store

    @Test("SignatureCheck JSON uses snake_case keys and lower-case status")
    func json() throws {
        let check = verifier.verify(
            rawMessage: try SignatureFixtures.bundled("sandbox-accettazione.eml"),
            trust: Self.sandboxTrust
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(check), as: UTF8.self)
        #expect(text.contains(#""status":"valid""#))
        #expect(text.contains(#""signer_email":"posta-certificata@pec.sandbox""#))
        #expect(text.contains(#""signing_time":"2026-11-21T03:15:02Z""#))
        #expect(text.contains(#""digest_algorithm":"sha256""#))
        #expect(try JSONDecoder().decode(SignatureCheck.self, from: Data(text.utf8)) == check)
    }

    @Test("a CA file that cannot be read or holds no certificate is an error")
    func badCAFiles() {
        #expect(throws: PECError.self) { try PECTrustStore(caFiles: ["/nonexistent/ca.pem"]) }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("smime-empty-\(UUID()).pem")
        _ = FileManager.default.createFile(atPath: empty.path, contents: Data("not a certificate\n".utf8))
        defer { try? FileManager.default.removeItem(at: empty) }
        do {
            _ = try PECTrustStore(caFiles: [empty.path])
            Issue.record("expected an error")
        } catch let error as PECError {
            #expect(error.kind == .invalidInput)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("the pinned PEC certificates are CAs: AgID CA1 and DigitPA CA1")
    func pinned() {
        #expect(PinnedPECCertificates.all.count == 2)
        for pem in PinnedPECCertificates.all {
            #expect(PECTrustStore.authorityFlags(pem: pem) == [true])
        }
        let leaf = try? SignatureFixtures.bundled("sandbox-ca.pem")
        #expect(PECTrustStore.authorityFlags(pem: String(decoding: leaf ?? [], as: UTF8.self)) == [true])
    }

    // MARK: helpers

    private func signatureBase64(_ message: [UInt8]) -> [UInt8]? {
        let text = String(decoding: message, as: UTF8.self)
        guard let header = text.range(of: "filename=\"smime.p7s\""),
            let start = text.range(of: "\r\n\r\n", range: header.upperBound..<text.endIndex),
            let end = text.range(of: "\r\n--", range: start.upperBound..<text.endIndex)
        else { return nil }
        return Array(text[start.upperBound..<end.lowerBound].utf8)
    }

    private func replacingSignature(_ message: [UInt8], with base64: [UInt8]) -> [UInt8] {
        guard let old = signatureBase64(message), let range = rangeOf(old, in: message) else { return message }
        return Array(message[..<range.lowerBound]) + base64 + Array(message[range.upperBound...])
    }

    private func rangeOf(_ needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard !needle.isEmpty, needle.count <= haystack.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
            .map { $0..<($0 + needle.count) }
    }
}
