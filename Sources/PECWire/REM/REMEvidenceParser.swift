import Foundation

/// Reads an ERDS evidence (`tns:Evidence`, ETSI EN 319 522-3, rem.md §1.4) with ``XMLReader``
/// (namespaces resolved), after ``XMLSafetyGate`` (encodings checked, DTD declarations refused) and
/// with any DOCTYPE at all refused: an evidence has no DTD. No entity but the predefined ones exists.
///
/// EN 319 522 is the target; the older TS 102 640 evidence (`SubmissionAcceptanceRejection`, …, ns
/// `http://uri.etsi.org/02640/v2#`) is read as a fallback, its combined events split by `EventCode`.
/// Elements are matched by local name and position, so namespace prefixes do not matter; everything
/// inside the `ds:Signature` is left to the signature check.
package enum REMEvidenceParser {
    package static let namespace = "http://uri.etsi.org/19522/v1#"
    package static let legacyNamespace = "http://uri.etsi.org/02640/v2#"
    /// Real evidence is 10–15 KB (most of it the signature and its certificates).
    package static let maximumSize = 1 << 20

    /// TS 102 640 root elements → the EN 319 522 events for acceptance and for rejection.
    static let legacyEvents: [String: (accepted: REMEvent, rejected: REMEvent)] = [
        "SubmissionAcceptanceRejection": (.submissionAcceptance, .submissionRejection),
        "RelayREMMDAcceptanceRejection": (.relayAcceptance, .relayRejection),
        "RelayREMMDFailure": (.relayFailure, .relayFailure),
        "DeliveryNonDeliveryToRecipient": (.contentConsignment, .contentConsignmentFailure),
        "DownloadNonDownloadByRecipient": (.contentHandover, .contentHandoverFailure),
        "RetrievalNonRetrievalByRecipient": (.contentHandover, .contentHandoverFailure),
        "AcceptanceRejectionByRecipient": (.consignmentAcceptance, .consignmentRejection),
        "RelayToNonREMSystem": (.relayToNonERDS, .relayToNonERDSFailure),
        "ReceivedFromNonREMSystem": (.receivedFromNonERDS, .receivedFromNonERDS),
    ]

    package static func parse(_ bytes: [UInt8]) throws(REMEvidenceError) -> REMEvidence {
        guard bytes.count <= maximumSize else { throw .tooLarge(size: bytes.count, limit: maximumSize) }
        let input: [UInt8]
        do {
            input = try XMLSafetyGate.admit(bytes)
        } catch {
            throw .refused(Self.describe(error))
        }
        if Self.containsDoctype(input) { throw .refused("it declares a DTD (<!DOCTYPE), which evidence never has") }

        var reader = XMLReader(input)
        var collector = EvidenceCollector()
        do {
            while let event = try reader.next() {
                switch event {
                case .start(let name, let attributes): collector.start(name, attributes: attributes)
                case .end: collector.end()
                case .text(let text): collector.characters(text)
                }
            }
        } catch {
            throw .malformedXML(line: error.line, column: error.column, code: error.kind.rawValue)
        }
        return try collector.result()
    }

    package static func containsDoctype(_ bytes: [UInt8]) -> Bool {
        let needle = Array("<!DOCTYPE".utf8)
        guard bytes.count >= needle.count else { return false }
        for start in 0...(bytes.count - needle.count) where bytes[start] == 0x3C {
            var matched = true
            for offset in 1..<needle.count {
                // ASCII case-insensitive: XML requires upper case, but a lenient parser may not.
                if bytes[start + offset] | 0x20 != needle[offset] | 0x20 {
                    matched = false
                    break
                }
            }
            if matched { return true }
        }
        return false
    }

    /// The refusal as the end of a sentence about an evidence document ("the evidence is refused: …").
    package static func describe(_ refusal: XMLSafetyGate.Refusal) -> String {
        switch refusal {
        case .unsupportedEncoding(let encoding): "it is in \(encoding); only UTF-8, ISO-8859-1 and US-ASCII are read"
        case .undecodable(let encoding): "its bytes are not valid \(encoding)"
        case .declaration(let declaration): "it declares \(declaration), which evidence never needs"
        }
    }
}

/// What the reader's events say: a stack of local names, values read at the end of their element.
private struct EvidenceCollector {
    private var stack: [String] = []
    private var root: (name: String, namespace: String?)?
    private var version: String?
    private var buffer = ""
    /// Depth of the `Signature` element being skipped, if inside one.
    private var signatureDepth: Int?
    private var hasSignature = false
    private var values: [String: String] = [:]
    private var reasons: [REMEvidence.Reason] = []
    private var currentReason: REMEvidence.Reason?
    private var sender: REMEvidence.Party?
    private var recipients: [REMEvidence.Party] = []
    private var currentParty: REMEvidence.Party?
    private var pendingScheme: String?
    private var digestAlgorithm: String?
    private var digestValue: String?

    private static func trimmed(_ value: String?) -> String? {
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    private static let partyElements: Set<String> = ["SenderDetails", "RecipientDetails", "RecipientsDetails"]

    /// Attributes are matched by local name, whatever their prefix.
    private static func attribute(_ names: Set<String>, in attributes: [XMLReader.Attribute]) -> String? {
        attributes.first { names.contains($0.name.local) }?.value
    }

    mutating func start(_ element: XMLReader.Name, attributes: [XMLReader.Attribute]) {
        let name = element.local
        let namespaceURI = element.namespace
        stack.append(name)
        buffer = ""
        if signatureDepth != nil { return }
        if stack.count == 1 {
            root = (name, namespaceURI)
            version = Self.trimmed(attributes.first { $0.name.prefix == nil && $0.name.local == "version" }?.value)
            return
        }
        if name == "Signature", namespaceURI == "http://www.w3.org/2000/09/xmldsig#" || namespaceURI == nil {
            signatureDepth = stack.count
            hasSignature = true
            return
        }
        switch name {
        case "EventReason":
            currentReason = REMEvidence.Reason()
        case "SenderDetails", "RecipientDetails":
            currentParty = REMEvidence.Party()
        case "Identifier", "AttributedElectronicAddress":
            pendingScheme = Self.trimmed(Self.attribute(["IdentifierSchemeName", "scheme"], in: attributes))
        case "DigestMethod" where stack.contains("PartInfo") || stack.contains("SenderMessageDetails"):
            if digestAlgorithm == nil {
                digestAlgorithm = Self.trimmed(Self.attribute(["Algorithm"], in: attributes))
            }
        default:
            break
        }
    }

    /// Text and CDATA alike.
    mutating func characters(_ string: String) {
        if signatureDepth == nil { buffer += string }
    }

    mutating func end() {
        defer {
            _ = stack.popLast()
            buffer = ""
        }
        if let depth = signatureDepth {
            if depth == stack.count { signatureDepth = nil }
            return
        }
        guard stack.count > 1 else { return }
        let name = stack[stack.count - 1]
        let parent = stack[stack.count - 2]
        let value = Self.trimmed(buffer)
        switch name {
        case "Code" where currentReason != nil:
            if currentReason?.uri == nil { currentReason?.uri = value }
        case "Details" where currentReason != nil:
            if let value {
                if Self.isReasonCode(value) {
                    if currentReason?.code == nil { currentReason?.code = value }
                } else if currentReason?.text == nil {
                    currentReason?.text = value
                }
            }
        case "EventReason":
            if let reason = currentReason, reason.uri != nil || reason.code != nil || reason.text != nil {
                reasons.append(reason)
            }
            currentReason = nil
        case "Identifier",
            "AttributedElectronicAddress" where currentParty != nil:
            if currentParty?.identifier == nil, let value {
                currentParty?.identifier = value
                currentParty?.scheme = pendingScheme
            }
        case "AssuranceLevel" where currentParty != nil:
            if currentParty?.assuranceLevel == nil { currentParty?.assuranceLevel = value }
        case "SenderDetails":
            if sender == nil { sender = currentParty }
            currentParty = nil
        case "RecipientDetails":
            if let party = currentParty { recipients.append(party) }
            currentParty = nil
        case "DigestValue" where stack.contains("PartInfo") || stack.contains("SenderMessageDetails"):
            if digestValue == nil { digestValue = value }
        default:
            // Direct children of the root, and the few nested leaves read by name.
            let key = stack.count == 2 ? name : "\(parent)/\(name)"
            if values[key] == nil, let value { values[key] = value }
        }
    }

    /// The Italian profile's short codes: two capital letters and two digits (RA01, RD04, RF51).
    private static func isReasonCode(_ value: String) -> Bool {
        let scalars = Array(value.unicodeScalars)
        guard scalars.count == 4 else { return false }
        return scalars[0...1].allSatisfy { $0.value >= 0x41 && $0.value <= 0x5A }
            && scalars[2...3].allSatisfy { $0.value >= 0x30 && $0.value <= 0x39 }
    }

    func result() throws(REMEvidenceError) -> REMEvidence {
        guard let root else { throw .notEvidence(root: "") }
        let schema: REMEvidence.Schema
        let event: REMEvent
        let eventURI: String?
        if root.name == "Evidence", root.namespace == REMEvidenceParser.namespace {
            schema = .en319522
            guard let uri = values["ERDSEventId"] else { throw .missing("ERDSEventId") }
            eventURI = uri
            event = REMEvent(rawValue: uri)
        } else if let legacy = REMEvidenceParser.legacyEvents[root.name],
            root.namespace == REMEvidenceParser.legacyNamespace
        {
            schema = .ts102640
            guard let code = values["EventCode"] else { throw .missing("EventCode") }
            eventURI = code
            event = REMURI.lastSegment(code).lowercased() == "rejection" ? legacy.rejected : legacy.accepted
        } else {
            let namespace = root.namespace.flatMap { $0.isEmpty ? nil : $0 }
            throw .notEvidence(root: namespace.map { "\(root.name) xmlns=\"\($0)\"" } ?? root.name)
        }
        var evidence = REMEvidence(schema: schema, version: version, event: event)
        evidence.eventURI = eventURI
        evidence.evidenceID = values["EvidenceIdentifier"]
        evidence.reasons = reasons
        evidence.eventTime = values["EventTime"]
        evidence.eventDate = evidence.eventTime.flatMap(Self.date)
        evidence.sender = sender
        evidence.recipients = recipients
        evidence.submissionTime = values["SubmissionTime"]
        evidence.refersToRecipient = values["EvidenceRefersToRecipient"].flatMap { Int($0) }
        evidence.messageIdentifier =
            values["MessageIdentifier"] ?? values["SenderMessageDetails/MessageIdentifierByREMMD"]
        evidence.appLayerIdentifier =
            values["UserContentInfo/AppLayerIdentifier"] ?? values["SenderMessageDetails/UAMessageIdentifier"]
        evidence.digestAlgorithm = digestAlgorithm
        evidence.digestValue = digestValue
        evidence.subject = values["GeneralEvidenceInfo/Subject"] ?? values["SenderMessageDetails/MessageSubject"]
        evidence.hasSignature = hasSignature
        return evidence
    }

    /// `2022-08-03T14:22:14Z`, with or without fractional seconds or an offset.
    private static func date(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
