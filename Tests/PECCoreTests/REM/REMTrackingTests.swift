import Foundation
import PECTestSupport
import Testing

@testable import PECCore

/// REM receipts (the AgID samples) read into tracking events, and the REM digest checked against the
/// ledger's digest of the bytes sent.
@Suite struct REMTrackingTests {
    static let evidence = ReceiptEvidence(
        receiptMessageID: nil,
        folder: "INBOX",
        uid: 9,
        uidValidity: 1,
        sha256: String(repeating: "0", count: 64),
        size: 1,
        path: "/dev/null"
    )
    static let sentMessageID = "<30be01d30072$242ddc3f$f9b72bf0$@it>"

    func read(_ file: String) throws -> ReceiptEventReader.Reading? {
        let directory = try #require(REMFixtureCorpus.directory, "shared/fixtures/rem is missing")
        let raw = Array(try Data(contentsOf: directory.appendingPathComponent(file)))
        let trust = try PECTrustStore(systemRoots: false, pinnedPECCAs: false, caFiles: REMFixtureCorpus.caFiles)
        return try ReceiptEventReader(trust: trust).read(
            InMemoryMessage(raw),
            account: "sender",
            evidence: Self.evidence,
            now: Date(timeIntervalSince1970: 0)
        )
    }

    @Test func eachEventMapsOntoTheTrackingVocabulary() throws {
        let cases: [(String, ReceiptEventKind, [String?], String?)] = [
            ("Intra-REM-flow/REM_SubmissionAcceptance.RA01.eml", .acceptance, [nil], nil),
            ("Intra-REM-flow/REM_SubmissionRejection.RA03.eml", .nonAcceptance, [nil], "RA03"),
            ("Intra-REM-flow/REM_RelayAcceptance.RB01.eml", .relay, [nil], nil),
            (
                "Intra-REM-flow/REM_RelayFailure.RB09.eml", .deliveryError,
                ["recC@r2-rems-only-for-test.it", "recD@r2-rems-only-for-test.it"], "RB09"
            ),
            ("Intra-REM-flow/REM_ContentConsignment2.RD01.eml", .delivery, ["recD@r2-rems-only-for-test.it"], nil),
            (
                "Intra-REM-flow/REM_ContentConsignmentFailure1.RD04.eml", .deliveryError,
                ["recC@r2-rems-only-for-test.it"], "RD04"
            ),
            ("Outflow/REM_RelayToNonERDS.RF01.eml", .relay, [nil], nil),
        ]
        for (file, kind, recipients, code) in cases {
            let reading = try #require(try read(file), "\(file)")
            #expect(reading.reference == Self.sentMessageID, "\(file)")
            #expect(reading.events.map(\.kind) == Array(repeating: kind, count: recipients.count), "\(file)")
            #expect(reading.events.map(\.recipient) == recipients, "\(file)")
            #expect(reading.events.allSatisfy { $0.trusted && $0.errore == code && $0.remEvent != nil }, "\(file)")
            #expect(reading.identificativo?.contains("rem-service@s1-rems-only-for-test.it") == true, "\(file)")
        }
        let quota = try #require(try read("Intra-REM-flow/REM_ContentConsignmentFailure1.RD04.eml")?.events.first)
        #expect(quota.remEvent == .contentConsignmentFailure)
        #expect(quota.erroreEsteso?.contains("quota") == true || quota.erroreEsteso?.isEmpty == false)
        #expect(ISO8601DateFormatter().string(from: quota.at) == "2022-08-03T14:22:14Z")
        // A dispatch is not a receipt: it carries a message to its recipient.
        #expect(try read("Intra-REM-flow/REM_Dispatch.RA01.eml") == nil)
        #expect(try read("Inflow/REM_EXTERNAL.RF04.eml") == nil)
    }

    @Test func theREMDigestIsCheckedAgainstTheBytesSent() throws {
        let sandbox = try LedgerSandbox()
        let ledger = try sandbox.open()
        _ = try ledger.beginAttempt(
            NewSend(
                messageID: Self.sentMessageID,
                account: "sender",
                from: "sender@sender-own-domain-only-for-test.it",
                to: ["recC@r2-rems-only-for-test.it"],
                subject: "Oggetto",
                preparedAt: Date(timeIntervalSince1970: 0),
                size: 1
            )
        )
        let service = ReceiptSyncService(
            access: MailboxAccess(
                settings: ConnectionSettings(endpoint: ServerEndpoint(host: "127.0.0.1", port: 9)),
                username: "sender",
                password: "x",
                retry: RetryPolicy(maxRetries: 0),
                passwordIsSaved: false
            ),
            account: "sender",
            tracking: TrackingService(ledger: ledger, settings: TrackingSettings(acceptanceTimeout: 3600)),
            trust: try PECTrustStore(systemRoots: false, pinnedPECCAs: false)
        )
        let reading = try #require(try read("Intra-REM-flow/REM_ContentConsignment1.RD01.eml"))
        // Nothing recorded: nothing to check against.
        #expect(try service.attribute(reading).allSatisfy { $0.warnings == nil })
        // The digest of the original in the samples (original_message.to_attach_to_dispatch.digest.txt).
        let matching = SHA256Digest.hex(
            try #require(Data(base64Encoded: "ePggZQ9/Uwbe6ui/mqn+moZJcfkdFVIluG1B4a3ov9k="))
        )
        try ledger.setMessageSHA256(matching, forMessageID: Self.sentMessageID)
        #expect(try ledger.messageSHA256(forMessageID: Self.sentMessageID) == matching)
        #expect(try service.attribute(reading).allSatisfy { $0.warnings == nil })
        try ledger.setMessageSHA256(String(repeating: "ab", count: 32), forMessageID: Self.sentMessageID)
        let warned = try service.attribute(reading)
        #expect(!warned.isEmpty)
        #expect(
            warned.allSatisfy {
                $0.warnings?.contains { $0.contains("does not match the SHA-256 of the bytes sent") } == true
            }
        )
    }
}
