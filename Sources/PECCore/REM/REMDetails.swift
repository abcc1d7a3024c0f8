/// What `get`, `verify`, `pec_get` and `pec_verify` report about a REM message (ETSI EN 319 532,
/// rem.md): the `REM-*` fields beside what its signed evidence says, and each evidence's own check.
public struct REMDetails: Codable, Sendable, Equatable {
    public var messageType: REMMessageType?
    /// The event: the signed evidence's when there is one, else `REM-EventIdentifier`'s.
    public var event: REMEvent?
    /// The reason's name (`MessageNotConsignedForQuota`), signed when there is evidence.
    public var reason: String?
    /// The Italian profile's short code: `RD04`.
    public var reasonCode: String?
    /// The reason in words: `ERD message not consigned for: …`.
    public var reasonText: String?
    /// The sender UA's Message-ID this message is about: the evidence's `AppLayerIdentifier` (signed),
    /// else `REM-UAMessageIdentifier`.
    public var uaMessageID: String?
    /// `REM-Evidence-ID`, else the evidence's `EvidenceIdentifier`.
    public var evidenceID: String?
    /// The REMS's identifier of the message (`MessageIdentifier`, PEC's identificativo).
    public var remsMessageID: String?
    /// The digest of the original (base64): the signed evidence's `PartInfo` digest, else `REM-DigestValue`.
    public var digest: String?
    public var digestAlgorithm: String?
    /// The recipient the (first) evidence is about (`EvidenceRefersToRecipient`).
    public var recipient: String?
    public var evidence: [REMEvidenceDetails] = []

    enum CodingKeys: String, CodingKey {
        case messageType = "message_type"
        case event, reason
        case reasonCode = "reason_code"
        case reasonText = "reason_text"
        case uaMessageID = "ua_message_id"
        case evidenceID = "evidence_id"
        case remsMessageID = "rems_message_id"
        case digest
        case digestAlgorithm = "digest_algorithm"
        case recipient, evidence
    }
}

/// One evidence document of a REM message (or a standalone file), with its XAdES check.
public struct REMEvidenceDetails: Codable, Sendable, Equatable {
    /// The part's file name (`ContentConsignmentFailure.xml`), or the file read.
    public var filename: String?
    public var event: REMEvent?
    public var reason: String?
    public var reasonCode: String?
    public var reasonText: String?
    /// `EventTime` (UTC).
    public var time: String?
    public var evidenceID: String?
    public var uaMessageID: String?
    public var remsMessageID: String?
    public var digest: String?
    public var sender: String?
    /// Every `RecipientDetails` identifier, in order.
    public var recipients: [String] = []
    /// The one `EvidenceRefersToRecipient` designates.
    public var recipient: String?
    public var submissionTime: String?
    public var assuranceLevel: String?
    public var subject: String?
    /// The evidence's own XAdES signature check.
    public var signature: SignatureCheck
    /// Why the document could not be read, when it could not (then only `filename` and `signature` are set).
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case filename, event, reason
        case reasonCode = "reason_code"
        case reasonText = "reason_text"
        case time
        case evidenceID = "evidence_id"
        case uaMessageID = "ua_message_id"
        case remsMessageID = "rems_message_id"
        case digest, sender, recipients, recipient
        case submissionTime = "submission_time"
        case assuranceLevel = "assurance_level"
        case subject, signature, error
    }

    /// Reads and checks one evidence document: the parse and the XAdES check are independent, so a
    /// document that cannot be read still reports its signature.
    public static func read(
        _ bytes: [UInt8],
        filename: String?,
        trust: PECTrustStore
    ) -> (details: REMEvidenceDetails, evidence: REMEvidence?) {
        let signature = EvidenceSignatureVerifier().verify(evidenceXML: bytes, trust: trust)
        var details = REMEvidenceDetails(filename: filename, signature: signature)
        let evidence: REMEvidence
        do {
            evidence = try REMEvidenceParser.parse(bytes)
        } catch {
            details.error = error.description
            return (details, nil)
        }
        details.event = evidence.event
        details.reason = evidence.reason?.name
        details.reasonCode = evidence.reason?.code
        details.reasonText = evidence.reason?.text
        details.time = evidence.eventTime
        details.evidenceID = evidence.evidenceID
        details.uaMessageID = evidence.appLayerIdentifier
        details.remsMessageID = evidence.messageIdentifier
        details.digest = evidence.digestValue
        details.sender = evidence.sender?.identifier
        details.recipients = evidence.recipients.compactMap(\.identifier)
        details.recipient = evidence.recipient?.identifier
        details.submissionTime = evidence.submissionTime
        details.assuranceLevel = evidence.sender?.assuranceLevel
        details.subject = evidence.subject
        return (details, evidence)
    }
}
