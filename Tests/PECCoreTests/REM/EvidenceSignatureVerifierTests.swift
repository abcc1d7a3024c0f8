import Foundation
import PECTestSupport
import Testing

@testable import PECCore

/// The XAdES check of ETSI evidence (libxmlsec1) on the 42 signed evidence documents of the AgID
/// Policy-IT sample set, and on what a forger or a broken gestore would produce from them.
@Suite struct EvidenceSignatureVerifierTests {
    static func trust() throws -> PECTrustStore {
        try PECTrustStore(systemRoots: false, pinnedPECCAs: false, caFiles: REMFixtureCorpus.caFiles)
    }

    static func evidence() throws -> [(name: String, bytes: [UInt8])] {
        let files = REMFixtureCorpus.standaloneEvidence
        try #require(files.count == 42, "shared/fixtures/rem/standalone-evidence should hold 42 documents")
        return try files.map { ($0.lastPathComponent, Array(try Data(contentsOf: $0))) }
    }

    /// `bytes` with the first `old` replaced by `new` (which must be there).
    static func replacing(_ old: String, with new: String, in bytes: [UInt8]) throws -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        let range = try #require(text.range(of: old), "\(old) not found")
        return Array(text.replacingCharacters(in: range, with: new).utf8)
    }

    @Test func everySampleIsValidAgainstTheTestPKI() throws {
        let trust = try Self.trust()
        for (name, bytes) in try Self.evidence() {
            let check = EvidenceSignatureVerifier().verify(evidenceXML: bytes, trust: trust)
            #expect(check.status == .valid, "\(name): \(check.reason ?? "")")
            #expect(check.signerSubject?.contains("REM") == true, "\(name): \(check.signerSubject ?? "no subject")")
            #expect(check.signingTime?.hasPrefix("2022-") == true, "\(name)")
            #expect(check.digestAlgorithm == "sha256", "\(name)")
            #expect(check.reason == nil, "\(name)")
        }
    }

    @Test func aChangedEventTimeIsInvalid() throws {
        let trust = try Self.trust()
        for (name, bytes) in try Self.evidence() {
            let text = String(decoding: bytes, as: UTF8.self)
            let time = try #require(text.range(of: "<EventTime>"), "\(name)")
            var tampered = Array(bytes)
            // The year's first digit after the tag: 2022 → 3022.
            let offset = text.utf8.distance(from: text.startIndex, to: time.upperBound)
            tampered[offset] = UInt8(ascii: "3")
            let check = EvidenceSignatureVerifier().verify(evidenceXML: tampered, trust: trust)
            #expect(check.status == .invalid, "\(name): \(check.status)")
            #expect(check.reason?.contains("does not match") == true, "\(name): \(check.reason ?? "")")
        }
    }

    @Test func aChangedSigningTimeIsInvalid() throws {
        let (name, bytes) = try #require(try Self.evidence().first)
        let text = String(decoding: bytes, as: UTF8.self)
        let time = try #require(text.range(of: "<xades:SigningTime>2022"), "\(name)")
        let tampered = Array(text.replacingCharacters(in: time, with: "<xades:SigningTime>2021").utf8)
        let check = EvidenceSignatureVerifier().verify(evidenceXML: tampered, trust: try Self.trust())
        #expect(check.status == .invalid)
    }

    @Test func withoutTheTestCAItIsUntrusted() throws {
        let (_, bytes) = try #require(try Self.evidence().first)
        let bare = try PECTrustStore(systemRoots: false, pinnedPECCAs: false)
        let check = EvidenceSignatureVerifier().verify(evidenceXML: bytes, trust: bare)
        #expect(check.status == .untrusted)
        #expect(check.reason?.contains("trust store") == true, "\(check.reason ?? "")")
        #expect(check.signerSubject != nil)
    }

    @Test func theSigningTimeDecidesTheChainCheck() throws {
        let (_, bytes) = try #require(try Self.evidence().first)
        let trust = try Self.trust()
        let verifier = EvidenceSignatureVerifier()
        let later = Date(timeIntervalSince1970: 4_102_444_800)  // 2100-01-01: every test certificate has expired
        #expect(verifier.verify(evidenceXML: bytes, trust: trust, at: later).status == .untrusted)
        #expect(verifier.verify(evidenceXML: bytes, trust: trust, at: nil).status == .valid)
    }

    @Test func withoutSignatureItIsUnsigned() throws {
        let (_, bytes) = try #require(try Self.evidence().first)
        let text = String(decoding: bytes, as: UTF8.self)
        let start = try #require(text.range(of: "<ds:Signature ")).lowerBound
        let end = try #require(text.range(of: "</ds:Signature>")).upperBound
        var unsigned = text
        unsigned.removeSubrange(start..<end)
        let check = EvidenceSignatureVerifier().verify(evidenceXML: Array(unsigned.utf8), trust: try Self.trust())
        #expect(check.status == .unsigned)
    }

    @Test func aDTDOrAnEntityIsRefusedBeforeLibxml2SeesIt() throws {
        let (_, bytes) = try #require(try Self.evidence().first)
        let trust = try Self.trust()
        let declaration = "standalone=\"no\"?>"
        let doctype = try Self.replacing(declaration, with: declaration + "<!DOCTYPE tns:Evidence>", in: bytes)
        let entity = try Self.replacing(
            declaration,
            with: declaration + "<!DOCTYPE tns:Evidence [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
            in: bytes
        )
        for document in [doctype, entity] {
            let check = EvidenceSignatureVerifier().verify(evidenceXML: document, trust: trust)
            #expect(check.status == .invalid)
            #expect(check.reason?.contains("refused") == true, "\(check.reason ?? "")")
        }
    }

    @Test func garbageIsInvalidNotACrash() throws {
        let trust = try Self.trust()
        let (_, bytes) = try #require(try Self.evidence().first)
        // Flips only in the evidence's elements (after the root's start tag, before ds:Signature): every byte
        // there is signed, where the unsigned timestamp and unused namespace declarations are not.
        let text = String(decoding: bytes, as: UTF8.self)
        let body = text.utf8.distance(
            from: text.startIndex,
            to: try #require(text.range(of: "<tns:Evidence")).upperBound
        )
        let start = try #require(bytes[body...].firstIndex(of: UInt8(ascii: ">"))) + 1
        let end = text.utf8.distance(
            from: text.startIndex,
            to: try #require(text.range(of: "<ds:Signature")).lowerBound
        )
        var generator = SplitMix64(seed: 15)
        let inputs: [[UInt8]] =
            [[], Array("not xml".utf8), Array("<a>".utf8), Array(bytes.prefix(bytes.count / 2))]
            + (0..<50).map { _ in
                var copy = bytes
                for _ in 0..<4 {
                    let index = start + Int(generator.next() % UInt64(end - start))
                    copy[index] ^= UInt8(generator.next() % 255) + 1
                }
                return copy
            }
        for input in inputs {
            let check = EvidenceSignatureVerifier().verify(evidenceXML: input, trust: trust)
            #expect(check.status != .valid)
        }
    }
}
