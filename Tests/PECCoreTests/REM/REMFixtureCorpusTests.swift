import Foundation
import PECTestSupport
import Testing

@testable import PECCore

/// Every message of the AgID Policy-IT REM sample set (shared/fixtures/rem/{Intra-REM-flow,Outflow,Inflow})
/// read as `pec verify` reads it, against the independent reading in its expected.ndjson.
@Suite struct REMFixtureCorpusTests {
    struct Expected: Decodable {
        struct Evidence: Decodable {
            var filename: String
            var event: String
            var code: String
            var xades: String
        }
        var file: String
        var rem: Bool
        var message_type: String?
        var event: String?
        var reason: String?
        var ua_message_id: String?
        var evidence_id: String?
        var signature: String
        var evidence: [Evidence]
    }

    static func expectations() throws -> [Expected] {
        let directory = try #require(REMFixtureCorpus.directory, "shared/fixtures/rem is missing")
        let text = try String(contentsOf: directory.appendingPathComponent("expected.ndjson"), encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Expected.self, from: Data($0.utf8)) }
    }

    static func trust() throws -> PECTrustStore {
        try PECTrustStore(systemRoots: false, pinnedPECCAs: false, caFiles: REMFixtureCorpus.caFiles)
    }

    static func read(_ file: String, trust: PECTrustStore) throws -> MessageDetails {
        let directory = try #require(REMFixtureCorpus.directory)
        let raw = Array(try Data(contentsOf: directory.appendingPathComponent(file)))
        return try MessageReader(trust: trust, options: .init(certification: true, signature: true)).read(raw).details
    }

    @Test func everySampleReadsAsExpected() throws {
        let expectations = try Self.expectations()
        #expect(expectations.count == 49)
        let trust = try Self.trust()
        for expected in expectations {
            let details = try Self.read(expected.file, trust: trust)
            let file = expected.file
            #expect(details.signature?.status.rawValue == expected.signature, "\(file)")
            guard expected.rem else {
                #expect(details.standard == .pec, "\(file)")
                #expect(details.rem == nil, "\(file)")
                continue
            }
            #expect(details.standard == .rem, "\(file)")
            let rem = try #require(details.rem, "\(file)")
            #expect(rem.messageType?.rawValue == expected.message_type, "\(file)")
            #expect(rem.event?.rawValue == expected.event, "\(file)")
            #expect(rem.reason == expected.reason, "\(file)")
            #expect(rem.uaMessageID == expected.ua_message_id, "\(file)")
            #expect(rem.evidenceID == expected.evidence_id, "\(file)")
            #expect(rem.evidence.map(\.filename) == expected.evidence.map(\.filename), "\(file)")
            #expect(rem.evidence.map { $0.event?.rawValue } == expected.evidence.map(\.event), "\(file)")
            #expect(rem.evidence.map(\.reasonCode) == expected.evidence.map(\.code), "\(file)")
            #expect(rem.evidence.map(\.signature.status.rawValue) == expected.evidence.map(\.xades), "\(file)")
            #expect(rem.reasonCode == expected.evidence.first?.code, "\(file)")
            // Both signatures hold and the headers agree with the evidence: a certified REM message.
            #expect(details.isCertified, "\(file): \(details.warnings)")
            // The Outflow receipts repeat the intra-flow digest in REM-DigestValue while their signed
            // evidence has the external message's: a real disagreement, reported and nothing else.
            let digestWarnings = details.warnings.filter { $0.hasPrefix("REM-DigestValue says") }
            #expect(details.warnings.count == digestWarnings.count, "\(file): \(details.warnings)")
            let raw = Array(try Data(contentsOf: try #require(REMFixtureCorpus.directory).appendingPathComponent(file)))
            let header = REMHeaders(headers: try MIMEMessage(parsing: raw).headers)?.digestValue
            #expect(digestWarnings.isEmpty == (header == rem.evidence.first?.digest), "\(file): \(details.warnings)")
            #expect(rem.digest == rem.evidence.first?.digest, "\(file)")
            let kind = try #require(details.pecType)
            #expect(kind.isREM)
            #expect(
                kind
                    == (expected.message_type == "dispatch"
                        ? .remDispatch : .remReceipt(REMEvent(rawValue: expected.event ?? "")))
            )
        }
    }

    @Test func aDispatchIsUnwrappedToTheOriginal() throws {
        let details = try Self.read("Intra-REM-flow/REM_Dispatch.RA01.eml", trust: try Self.trust())
        #expect(details.pecType == .remDispatch)
        #expect(details.from == "\"Sender name\" <sender@sender-own-domain-only-for-test.it>")
        #expect(details.subject == "Oggetto dell'original message - Subject of the original message")
        #expect(details.envelope?.from?.contains("rem-service@s1-rems-only-for-test.it") == true)
        #expect(details.envelope?.subject?.hasPrefix("REM Dispatch: ") == true)
        #expect(details.body?.isEmpty == false)
        // The evidence is the provider's, not one of the sender's attachments.
        #expect(!details.attachments.contains { $0.filename.hasSuffix(".xml") })
    }

    @Test func aReceiptNamesTheRecipientAndTheReason() throws {
        let details = try Self.read("Intra-REM-flow/REM_ContentConsignmentFailure2.RD04.eml", trust: try Self.trust())
        let rem = try #require(details.rem)
        #expect(rem.event == .contentConsignmentFailure)
        #expect(rem.reasonCode == "RD04")
        #expect(rem.reasonText?.isEmpty == false)
        #expect(rem.recipient == "recD@r2-rems-only-for-test.it")
        #expect(rem.digest == "ePggZQ9/Uwbe6ui/mqn+moZJcfkdFVIluG1B4a3ov9k=")
        #expect(rem.evidence.first?.time == "2022-08-03T14:22:14Z" || rem.evidence.first?.time != nil)
        #expect(details.attachments.isEmpty, "\(details.attachments)")
    }

    @Test func withoutTheTestCAItIsNotCertified() throws {
        let details = try Self.read(
            "Intra-REM-flow/REM_ContentConsignment1.RD01.eml",
            trust: try PECTrustStore(systemRoots: false, pinnedPECCAs: false, caFiles: [])
        )
        #expect(details.signature?.status == .untrusted)
        #expect(!details.isCertified)
        #expect(details.claimedPECType == .remReceipt(.contentConsignment))
        #expect(details.warnings.contains { $0.contains("not a certified message") })
    }

    /// Valid CMS over a tampered evidence cannot be made from the samples (the CMS covers the evidence);
    /// the rule is what this checks: an evidence whose XAdES does not hold leaves the message uncertified.
    @Test func anEvidenceThatDoesNotHoldLeavesTheMessageUncertified() throws {
        var reading = MessageReader.REMReading(
            details: REMDetails(),
            evidenceEntities: [],
            evidence: [],
            problem: "the XAdES signature of its evidence X.xml is invalid"
        )
        var signature = SignatureCheck(status: .valid, signerEmail: "rem-service@r2-rems-only-for-test.it")
        let headers = HeaderFields(parsing: Array("From: <rem-service@r2-rems-only-for-test.it>\r\n\r\n".utf8))
        #expect(
            MessageReader.remCertificationProblem(signature: signature, headers: headers, reading: reading)
                == "the XAdES signature of its evidence X.xml is invalid"
        )
        reading.problem = nil
        #expect(MessageReader.remCertificationProblem(signature: signature, headers: headers, reading: reading) == nil)
        signature.signerEmail = "someone@else.it"
        #expect(MessageReader.remCertificationProblem(signature: signature, headers: headers, reading: reading) != nil)
    }
}
