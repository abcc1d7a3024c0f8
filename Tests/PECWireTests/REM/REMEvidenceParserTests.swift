import Foundation
import PECTestSupport
import Testing

@testable import PECWire

/// The evidence parser on the AgID Policy-IT samples (shared/fixtures/rem/standalone-evidence), read in
/// place, and on hostile variants of them.
@Suite struct REMEvidenceParserTests {
    static func sample(_ name: String) throws -> [UInt8] {
        let directory = try #require(REMFixtureCorpus.directory, "shared/fixtures/rem is missing")
        return Array(try Data(contentsOf: directory.appendingPathComponent("standalone-evidence/\(name)")))
    }

    @Test func readsEveryStandaloneSample() throws {
        let files = REMFixtureCorpus.standaloneEvidence
        #expect(files.count >= 40, "expected the 42 AgID samples, found \(files.count)")
        for file in files {
            let evidence = try REMEvidenceParser.parse(Array(try Data(contentsOf: file)))
            // The file name is `<Event>[Ext|1|2|t…].<code>[.in-dispatch].xml`: the event and the reason code.
            let parts = file.lastPathComponent.split(separator: ".")
            let code = String(parts[1])
            #expect(evidence.reason?.code == code, "\(file.lastPathComponent)")
            #expect(file.lastPathComponent.hasPrefix(evidence.event.rawValue), "\(file.lastPathComponent)")
            #expect(evidence.schema == .en319522)
            #expect(evidence.hasSignature)
            #expect(evidence.eventDate != nil, "\(file.lastPathComponent): EventTime \(evidence.eventTime ?? "none")")
            #expect(evidence.appLayerIdentifier?.hasPrefix("<") == true)
            #expect(evidence.digestValue?.isEmpty == false)
            #expect(evidence.evidenceID?.contains("rem-service@") == true)
        }
    }

    @Test func readsEveryFieldOfAConsignmentFailure() throws {
        let evidence = try REMEvidenceParser.parse(try Self.sample("ContentConsignmentFailure2.RD21.xml"))
        #expect(evidence.event == .contentConsignmentFailure)
        #expect(evidence.eventURI == "http://uri.etsi.org/19522/Event/ContentConsignmentFailure")
        #expect(evidence.version == "EN319522v1.1.1")
        #expect(evidence.evidenceID == "76A0CF65.00566CE0.242DDC3F.03B4A2C2.rem-service@r2-rems-only-for-test.it")
        let reason = try #require(evidence.reason)
        #expect(reason.name == "MessageNotConsignedForUnregisteredRecipient")
        #expect(reason.code == "RD21")
        #expect(reason.text?.hasPrefix("ERD message not consigned for") == true)
        #expect(evidence.eventTime == "2022-08-03T14:22:14Z")
        #expect(evidence.sender?.identifier == "sender@sender-own-domain-only-for-test.it")
        #expect(evidence.sender?.scheme == "mailto")
        #expect(evidence.sender?.assuranceLevel == "http://eidas.europa.eu/LoA/substantial")
        #expect(
            evidence.recipients.map(\.identifier) == ["recC@r2-rems-only-for-test.it", "recD@r2-rems-only-for-test.it"]
        )
        #expect(evidence.refersToRecipient == 2)
        #expect(evidence.recipient?.identifier == "recD@r2-rems-only-for-test.it")
        #expect(evidence.submissionTime == "2022-08-03T14:22:11Z")
        #expect(
            evidence.messageIdentifier == "26A0CF65.00566CE0.242DDC3F.85251369.rem-service@s1-rems-only-for-test.it"
        )
        #expect(evidence.appLayerIdentifier == "<30be01d30072$242ddc3f$f9b72bf0$@it>")
        #expect(evidence.digestAlgorithm == "http://www.w3.org/2001/04/xmlenc#sha256")
        #expect(evidence.digestValue == "ePggZQ9/Uwbe6ui/mqn+moZJcfkdFVIluG1B4a3ov9k=")
        #expect(evidence.subject == "Oggetto dell'original message - Subject of the original message")
    }

    @Test func refusesADoctypeAndEntities() throws {
        let original = String(decoding: try Self.sample("RelayAcceptance.RB01.xml"), as: UTF8.self)
        let withEntity = original.replacingOccurrences(
            of: "?><tns:Evidence",
            with: "?><!DOCTYPE tns:Evidence [<!ENTITY x \"y\">]><tns:Evidence"
        )
        #expect(withEntity != original)
        #expect(throws: REMEvidenceError.self) { try REMEvidenceParser.parse(Array(withEntity.utf8)) }
        let withDoctype = original.replacingOccurrences(
            of: "?><tns:Evidence",
            with: "?><!DOCTYPE tns:Evidence SYSTEM \"http://127.0.0.1:9/evidence.dtd\"><tns:Evidence"
        )
        #expect(throws: REMEvidenceError.self) { try REMEvidenceParser.parse(Array(withDoctype.utf8)) }
    }

    @Test func refusesWhatIsNotEvidence() {
        #expect(throws: REMEvidenceError.notEvidence(root: "postacert")) {
            try REMEvidenceParser.parse(Array("<postacert tipo=\"x\"/>".utf8))
        }
        // The right name in no namespace is not the ETSI element.
        #expect(throws: REMEvidenceError.self) {
            try REMEvidenceParser.parse(Array("<Evidence><ERDSEventId>x</ERDSEventId></Evidence>".utf8))
        }
        #expect(throws: REMEvidenceError.missing("ERDSEventId")) {
            try REMEvidenceParser.parse(Array("<e:Evidence xmlns:e=\"http://uri.etsi.org/19522/v1#\"/>".utf8))
        }
        #expect(throws: REMEvidenceError.self) { try REMEvidenceParser.parse(Array("<tns:Evidence".utf8)) }
        #expect(throws: REMEvidenceError.self) {
            try REMEvidenceParser.parse([UInt8](repeating: 0x20, count: REMEvidenceParser.maximumSize + 1))
        }
    }

    @Test func readsTheOlderTS102640Names() throws {
        let legacy = """
            <?xml version="1.0" encoding="UTF-8"?>
            <rem:DeliveryNonDeliveryToRecipient xmlns:rem="http://uri.etsi.org/02640/v2#" version="2">
              <rem:EventCode>http://uri.etsi.org/REM/Event#Rejection</rem:EventCode>
              <rem:EventReasons><rem:EventReason><rem:Code>http://uri.etsi.org/REM/EventReason#MailboxFull</rem:Code>\
            <rem:Details>mailbox full</rem:Details></rem:EventReason></rem:EventReasons>
              <rem:EvidenceIdentifier>E-1</rem:EvidenceIdentifier>
              <rem:EventTime>2024-01-02T03:04:05Z</rem:EventTime>
              <rem:SenderMessageDetails><rem:MessageSubject>Fattura</rem:MessageSubject>\
            <rem:UAMessageIdentifier>&lt;a@b&gt;</rem:UAMessageIdentifier></rem:SenderMessageDetails>
            </rem:DeliveryNonDeliveryToRecipient>
            """
        let evidence = try REMEvidenceParser.parse(Array(legacy.utf8))
        #expect(evidence.schema == .ts102640)
        #expect(evidence.event == .contentConsignmentFailure)
        #expect(evidence.reason?.text == "mailbox full")
        #expect(evidence.appLayerIdentifier == "<a@b>")
        #expect(evidence.subject == "Fattura")
        #expect(evidence.hasSignature == false)
    }

    @Test func readsREMHeadersButNotALoneUAMessageIdentifier() {
        let receipt = HeaderFields(
            parsing: Array(
                """
                REM-MessageType: http://uri.etsi.org/19522/v1#/ERDMessageType/receipt\r
                REM-EventIdentifier: http://uri.etsi.org/19522/Event/ContentConsignmentFailure\r
                REM-ReasonIdentifier: http://uri.etsi.org/19522/EventReason/MessageNotConsignedForQuota\r
                REM-UAMessageIdentifier: <a@b>\r
                Subject: not REM at all\r
                \r

                """.utf8
            )
        )
        let headers = REMHeaders(headers: receipt)
        #expect(headers?.messageType == .receipt)
        #expect(headers?.event == .contentConsignmentFailure)
        #expect(headers?.reason == "MessageNotConsignedForQuota")
        #expect(headers?.uaMessageID == "<a@b>")
        let original = HeaderFields(
            parsing: Array("REM-UAMessageIdentifier: <a@b>\r\nSubject: REM Dispatch: x\r\n\r\n".utf8)
        )
        #expect(REMHeaders(headers: original) == nil)
    }
}
