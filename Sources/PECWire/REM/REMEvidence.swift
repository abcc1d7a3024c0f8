import Foundation

/// One ERDS evidence document (`tns:Evidence`, ETSI EN 319 522-3; or the older TS 102 640 REM evidence),
/// as read by ``REMEvidenceParser``. Its signature is checked elsewhere (PECCore, XAdES).
public struct REMEvidence: Sendable, Equatable {
    /// Which schema the document follows.
    public enum Schema: String, Sendable, Equatable, Codable {
        /// ETSI EN 319 522-3, namespace `http://uri.etsi.org/19522/v1#`.
        case en319522 = "EN 319 522"
        /// ETSI TS 102 640, namespace `http://uri.etsi.org/02640/v2#` (e-CODEX, PEPPOL).
        case ts102640 = "TS 102 640"
    }

    public struct Reason: Sendable, Equatable {
        /// `http://uri.etsi.org/19522/EventReason/MessageNotConsignedForQuota`.
        public var uri: String?
        /// The short code of the Italian profile: `RD04`.
        public var code: String?
        /// `ERD message not consigned for: …`.
        public var text: String?

        /// The URI's last segment: `MessageNotConsignedForQuota`.
        public var name: String? { uri.map(REMURI.lastSegment) }
    }

    /// A sender or recipient: its address (`Identifier IdentifierSchemeName="mailto"`) and eIDAS data.
    public struct Party: Sendable, Equatable {
        public var identifier: String?
        public var scheme: String?
        /// `http://eidas.europa.eu/LoA/substantial`.
        public var assuranceLevel: String?
    }

    public var schema: Schema
    public var version: String?
    public var evidenceID: String?
    public var event: REMEvent
    /// The event URI as written (`ERDSEventId`).
    public var eventURI: String?
    public var reasons: [Reason] = []
    /// `EventTime` as written (UTC), and parsed.
    public var eventTime: String?
    public var eventDate: Date?
    public var sender: Party?
    public var recipients: [Party] = []
    public var submissionTime: String?
    /// `EvidenceRefersToRecipient`: the 1-based index into ``recipients`` of the one this evidence is about.
    public var refersToRecipient: Int?
    /// `MessageIdentifier`: the REMS's identifier of the message (PEC's *identificativo*).
    public var messageIdentifier: String?
    /// `UserContentInfo/AppLayerIdentifier`: the sender UA's Message-ID (the key to a sent message).
    public var appLayerIdentifier: String?
    public var digestAlgorithm: String?
    public var digestValue: String?
    /// The original subject, from the Italian profile's `ext:GeneralEvidenceInfo/ext:Subject`.
    public var subject: String?
    /// Whether the document holds an XML-DSig `Signature` element (checked in PECCore).
    public var hasSignature = false

    /// The recipient ``refersToRecipient`` designates, when the index is in range.
    public var recipient: Party? {
        guard let index = refersToRecipient, index >= 1, index <= recipients.count else { return nil }
        return recipients[index - 1]
    }

    /// The first reason: the one profiles fill.
    public var reason: Reason? { reasons.first }
}
