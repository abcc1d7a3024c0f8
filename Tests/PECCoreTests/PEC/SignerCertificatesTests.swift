import Foundation
import Testing

@testable import PECCore

@Suite("Signer certificates parsed apart from the CMS structure, once each")
struct SignerCertificatesTests {
    typealias Split = SignerCertificates

    /// A SignedData ContentInfo with the given certificates (opaque SEQUENCEs here).
    static func contentInfo(certificates: [[UInt8]], extraCertificateChoice: [UInt8]? = nil) -> [UInt8] {
        let oid: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]
        var bag = certificates.flatMap { $0 }
        if let extraCertificateChoice { bag += extraCertificateChoice }
        let fields =
            Split.encode(0x02, [1]) + Split.encode(0x31, []) + Split.encode(0x30, Array(repeating: 0x05, count: 200))
            + (certificates.isEmpty ? [] : Split.encode(0xA0, bag)) + Split.encode(0x31, [0x30, 0x00])
        return Split.encode(0x30, oid + Split.encode(0xA0, Split.encode(0x30, fields)))
    }

    @Test func splitsTheCertificatesOut() throws {
        let one = Split.encode(0x30, Array(repeating: 0x11, count: 300))
        let two = Split.encode(0x30, [0x22, 0x22])
        let parts = try #require(Split.split(Self.contentInfo(certificates: [one, two])))
        #expect(parts.certificates.map(Array.init) == [one, two])
        #expect(parts.stripped == Self.contentInfo(certificates: []))
    }

    @Test("anything else is parsed whole, as it is")
    func leavesOtherShapesAlone() {
        let one = Split.encode(0x30, [0x11])
        #expect(Split.split(Self.contentInfo(certificates: [])) == nil)
        #expect(Split.split(Self.contentInfo(certificates: [one], extraCertificateChoice: [0xA1, 0x00])) == nil)
        var trailing = Self.contentInfo(certificates: [one])
        trailing.append(0)
        #expect(Split.split(trailing) == nil)
        var indefinite = Self.contentInfo(certificates: [one])
        indefinite[1] = 0x80
        #expect(Split.split(indefinite) == nil)
        #expect(Split.split([]) == nil)
        #expect(Split.split([0x30]) == nil)
    }

    @Test("not a certificate: no X509, nothing cached")
    func garbageIsRefused() {
        #expect(Split.certificate(der: [0x30, 0x03, 0x02, 0x01, 0x01][...]) == nil)
    }

    /// The spooled reader checks signatures with the certificates parsed apart; the in-memory one
    /// through SMIME_read_CMS with OpenSSL's own. Both must say the same of every real receipt, and
    /// of each one tampered with.
    @Test(.enabled(if: SignatureFixtures.corpusAvailable, "shared fixtures (shared/fixtures/pec) not found"))
    func sameCheckAsOpenSSLsOwnParsing() throws {
        let reader = MessageReader(trust: PECTrustStore.standard(), options: .init(signature: true))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("signer-certs-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var checked = 0
        for name in SignatureFixtures.corpusFiles {
            let raw = try SignatureFixtures.corpus(name)
            for (label, bytes) in [("", raw), (" tampered", SignatureFixtures.tampered(raw))] {
                guard let bytes else { continue }
                let file = directory.appendingPathComponent("\(checked).eml")
                try Data(bytes).write(to: file)
                let inMemory = try reader.read(InMemoryMessage(bytes)).details.signature
                let spooled = try reader.read(SpooledMessage(file: file)).details.signature
                #expect(spooled?.status == inMemory?.status, "\(name)\(label)")
                #expect(spooled?.signerSubject == inMemory?.signerSubject, "\(name)\(label)")
                #expect(spooled?.chain == inMemory?.chain, "\(name)\(label)")
                checked += 1
            }
        }
        #expect(checked > 0)
    }
}
