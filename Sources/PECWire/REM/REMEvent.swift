/// An ERDS event (ETSI EN 319 532-1 §6.2, EN 319 522-3): what a REM evidence records. The raw value is
/// the last segment of the event URI (`http://uri.etsi.org/19522/Event/ContentConsignment`), which is
/// also the JSON value. Events nobody documented are kept verbatim in ``other(_:)``.
public enum REMEvent: Hashable, Sendable {
    case submissionAcceptance
    case submissionRejection
    case relayAcceptance
    case relayRejection
    case relayFailure
    case notificationForAcceptance
    case notificationForAcceptanceFailure
    case consignmentAcceptance
    case consignmentRejection
    case acceptanceRejectionExpiry
    case contentConsignment
    case contentConsignmentFailure
    case consignmentNotification
    case consignmentNotificationFailure
    case contentHandover
    case contentHandoverFailure
    case relayToNonERDS
    case relayToNonERDSFailure
    case receivedFromNonERDS
    case other(String)

    static let known: [REMEvent] = [
        .submissionAcceptance, .submissionRejection, .relayAcceptance, .relayRejection, .relayFailure,
        .notificationForAcceptance, .notificationForAcceptanceFailure, .consignmentAcceptance,
        .consignmentRejection, .acceptanceRejectionExpiry, .contentConsignment, .contentConsignmentFailure,
        .consignmentNotification, .consignmentNotificationFailure, .contentHandover, .contentHandoverFailure,
        .relayToNonERDS, .relayToNonERDSFailure, .receivedFromNonERDS,
    ]

    public var rawValue: String {
        switch self {
        case .submissionAcceptance: "SubmissionAcceptance"
        case .submissionRejection: "SubmissionRejection"
        case .relayAcceptance: "RelayAcceptance"
        case .relayRejection: "RelayRejection"
        case .relayFailure: "RelayFailure"
        case .notificationForAcceptance: "NotificationForAcceptance"
        case .notificationForAcceptanceFailure: "NotificationForAcceptanceFailure"
        case .consignmentAcceptance: "ConsignmentAcceptance"
        case .consignmentRejection: "ConsignmentRejection"
        case .acceptanceRejectionExpiry: "AcceptanceRejectionExpiry"
        case .contentConsignment: "ContentConsignment"
        case .contentConsignmentFailure: "ContentConsignmentFailure"
        case .consignmentNotification: "ConsignmentNotification"
        case .consignmentNotificationFailure: "ConsignmentNotificationFailure"
        case .contentHandover: "ContentHandover"
        case .contentHandoverFailure: "ContentHandoverFailure"
        case .relayToNonERDS: "RelayToNonERDS"
        case .relayToNonERDSFailure: "RelayToNonERDSFailure"
        case .receivedFromNonERDS: "ReceivedFromNonERDS"
        case .other(let value): value
        }
    }

    /// From a bare name (`ContentConsignment`) or a URI ending in one, case-insensitively.
    public init(rawValue: String) {
        let name = REMURI.lastSegment(rawValue)
        self = Self.known.first { $0.rawValue.caseInsensitiveCompare(name) == .orderedSame } ?? .other(name)
    }

    /// The failure events: the message did not get where this evidence is about.
    public var isFailure: Bool {
        switch self {
        case .submissionRejection, .relayRejection, .relayFailure, .notificationForAcceptanceFailure,
            .consignmentRejection, .acceptanceRejectionExpiry, .contentConsignmentFailure,
            .consignmentNotificationFailure, .contentHandoverFailure, .relayToNonERDSFailure:
            true
        default: false
        }
    }
}

extension REMEvent: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The shape of a REM message (`REM-MessageType`, EN 319 532-3 §6): a dispatch carries the original
/// message, a receipt only evidence, a notification may carry neither.
public enum REMMessageType: String, Codable, Sendable, CaseIterable {
    case dispatch
    case receipt
    case notification
    /// REM payload: the original without evidence (EN 319 532-3 §4.3).
    case payload
}

/// The URIs of the REM vocabularies (EN 319 522-2, EN 319 532-3).
enum REMURI {
    /// `…/Event/ContentConsignment` → `ContentConsignment`; `…/ERDMessageType/dispatch` → `dispatch`.
    static func lastSegment(_ value: String) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        let cut = trimmed.split(whereSeparator: { $0 == "/" || $0 == "#" }).last.map(String.init) ?? trimmed
        return cut
    }
}
