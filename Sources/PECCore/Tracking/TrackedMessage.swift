import Foundation

/// Where one sent message stands (`pec status`): its status, each recipient's, and its events.
public struct TrackedMessage: Codable, Sendable, Equatable {
    public var messageID: String
    public var account: String?
    public var subject: String?
    /// When it was handed to the provider (the ledger's last attempt); nil for a message pec did not send.
    public var sentAt: Date?
    /// The ledger's record of the submission (`sent`, `uncertain` …); nil for a message pec did not send.
    public var sendStatus: LedgerSendStatus?
    public var identificativo: String?
    public var status: TrackingStatus
    /// The deadlines that passed with no receipt (``TrackingDeadline``); empty when none.
    public var overdue: [TrackingDeadline]
    /// When the acceptance timeout falls, while the message waits for its acceptance.
    public var acceptanceDeadline: Date?
    public var recipients: [TrackedRecipient]
    /// Every event, trusted or not, in the order stored (one message's view only).
    public var events: [TrackingEvent]?
    /// Events recorded but not counted: unsigned, or not signed by a PEC gestore.
    public var untrustedEvents: Int
    /// `pec trace` only: whether the receipts found were verified (downloaded into the evidence
    /// store, gestore signature checked). False after `--no-verify`: then no event is trusted and
    /// no status is more than `pending` or `timed_out`.
    public var verified: Bool?
    /// `pec trace` only: the folders searched.
    public var folders: [String]?
    /// `pec trace` only: receipts downloaded by this trace; those already in the evidence store are
    /// read from disk, so a second trace of the same message downloads nothing.
    public var downloaded: Int?
    /// The application's own reference of the send (`pec send --ref`).
    public var ref: String? = nil

    /// The columns of the recent sends in text form (`pec status`, and `pec-mcp`'s text copy).
    public static let textColumns = ["message_id", "status", "sent_at", "subject", "overdue"]

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id"
        case account, subject
        case sentAt = "sent_at"
        case sendStatus = "send_status"
        case identificativo, status, overdue
        case acceptanceDeadline = "acceptance_deadline"
        case recipients, events
        case untrustedEvents = "untrusted_events"
        case verified, folders, downloaded, ref
    }
}

/// One recipient of a tracked message.
public struct TrackedRecipient: Codable, Sendable, Equatable {
    public var address: String
    public var status: TrackingStatus
    /// When it reached that status (the receipt's time, or the deadline).
    public var at: Date?
    public var errore: String?
    public var erroreEsteso: String?
    /// The delivery deadline that passed, if any: `delivery_warning` (12 h) or `delivery_failure` (24 h).
    public var overdue: TrackingDeadline?
    /// An ordinary mailbox (daticert `tipo="esterno"`): it never sends a delivery receipt.
    public var external: Bool

    enum CodingKeys: String, CodingKey {
        case address, status, at, errore
        case erroreEsteso = "errore_esteso"
        case overdue, external
    }
}

/// A deadline that has passed for a message (and recipient) with no receipt to show for it.
public struct PassedDeadline: Sendable, Equatable {
    public var messageID: String
    public var recipient: String?
    public var deadline: TrackingDeadline
    public var at: Date
}
