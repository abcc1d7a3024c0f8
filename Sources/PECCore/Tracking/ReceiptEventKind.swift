/// What happened to a sent message, as recorded in the ledger: one case per PEC receipt kind the
/// sender's mailbox can receive (pec-standard.md §3), plus the deadlines `pec` computes itself. REM
/// evidence (rem.md §1.4) maps onto the same cases, so PEC and REM sends are tracked alike; the
/// event keeps its REM name in ``TrackingEvent/remEvent``.
/// The raw values are stable: they are stored in the ledger and printed by `status` and `watch`.
public enum ReceiptEventKind: String, Codable, Sendable, CaseIterable {
    /// Ricevuta di accettazione: the sender's gestore took the message.
    case acceptance = "pec_acceptance"
    /// Avviso di non accettazione (formal checks or virus): the message never left.
    case nonAcceptance = "pec_non_acceptance"
    /// Ricevuta di presa in carico: the recipient's gestore took the message over.
    case relay = "pec_relay"
    /// Ricevuta di avvenuta consegna, one per recipient.
    case delivery = "pec_delivery"
    /// Avviso di mancata consegna, one per recipient (errore, errore-esteso).
    case deliveryError = "pec_delivery_error"
    /// Preavviso di mancata consegna: the 12-hour warning of the gestore.
    case deliveryWarning = "pec_delivery_warning"
    /// Avviso di rilevazione virus.
    case virus = "pec_virus"
    /// Computed by `pec`: a deadline passed with no receipt (see ``TrackingDeadline``).
    case timeout = "pec_timeout"
    /// REM ContentHandover: the recipient's user agent retrieved the message (PEC has no such receipt).
    case handover = "rem_handover"

    /// The event kind a PEC receipt records; nil for envelopes and kinds that are not receipts.
    public init?(_ kind: PECMessageKind) {
        switch kind {
        case .accettazione: self = .acceptance
        case .nonAccettazione: self = .nonAcceptance
        case .presaInCarico: self = .relay
        case .avvenutaConsegna: self = .delivery
        case .erroreConsegna: self = .deliveryError
        case .preavvisoErroreConsegna: self = .deliveryWarning
        case .rilevazioneVirus: self = .virus
        case .remReceipt(let event):
            guard let kind = ReceiptEventKind(event) else { return nil }
            self = kind
        case .postaCertificata, .anomalia, .remDispatch, .other: return nil
        }
    }

    /// The event kind a REM evidence records for the sender: acceptance and rejection by the sender's
    /// REMS, relay (also to ordinary mail), consignment or its failure, handover. Nil for events about
    /// the recipient's side only (ReceivedFromNonERDS, the consignment-acceptance protocol).
    public init?(_ event: REMEvent) {
        switch event {
        case .submissionAcceptance: self = .acceptance
        case .submissionRejection: self = .nonAcceptance
        case .relayAcceptance, .relayToNonERDS: self = .relay
        case .relayRejection, .relayFailure, .relayToNonERDSFailure, .contentConsignmentFailure,
            .consignmentRejection, .acceptanceRejectionExpiry:
            self = .deliveryError
        case .contentConsignment: self = .delivery
        case .contentHandover: self = .handover
        case .notificationForAcceptance, .notificationForAcceptanceFailure, .consignmentAcceptance,
            .consignmentNotification, .consignmentNotificationFailure, .contentHandoverFailure,
            .receivedFromNonERDS, .other:
            return nil
        }
    }
}

/// The deadlines a sent message is held to. `acceptance` is pec's own (`PEC_ACCEPTANCE_TIMEOUT`);
/// the delivery ones are the 12 h warning and 24 h failure windows of pec-standard.md §8, counted
/// from the acceptance, for recipients that are PEC mailboxes.
public enum TrackingDeadline: String, Codable, Sendable, CaseIterable {
    case acceptance
    case deliveryWarning = "delivery_warning"
    case deliveryFailure = "delivery_failure"
}

/// Where a message, or one of its recipients, stands. Derived from the events each time it is
/// asked for (``TrackingStatusDerivation``), never stored.
public enum TrackingStatus: String, Codable, Sendable, CaseIterable {
    /// Sent; no trusted acceptance yet.
    case pending
    case accepted
    /// The recipient's gestore took it over (presa in carico).
    case relayed
    case delivered
    /// Not accepted, not deliverable, or a virus was found.
    case failed
    /// A deadline passed with no receipt: no acceptance within `PEC_ACCEPTANCE_TIMEOUT`, or no
    /// delivery within 24 h of the acceptance.
    case timedOut = "timed_out"

    /// No receipt can change it any more.
    public var isFinal: Bool { self == .delivered || self == .failed }
}
