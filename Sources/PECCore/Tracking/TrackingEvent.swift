import Foundation

/// One thing that happened to a sent message: a receipt found in the mailbox, or a deadline `pec`
/// saw pass. Stored once in the ledger (``SendLedger/recordEvents(_:)``), printed by `pec watch`
/// and listed by `pec status`.
public struct TrackingEvent: Codable, Sendable, Equatable {
    /// The ledger's order of events (1, 2, …); 0 until stored.
    public var seq: Int64
    public var kind: ReceiptEventKind
    /// The original message's Message-ID, with angle brackets.
    public var messageID: String
    /// The pec account whose mailbox held the receipt.
    public var account: String
    /// The recipient a delivery, failure, relay or delivery deadline is about.
    public var recipient: String?
    /// When it happened: the gestore's time (daticert), else the receipt's Date; for a timeout, the deadline.
    public var at: Date
    /// When pec stored it.
    public var recordedAt: Date
    public var gestore: String?
    public var identificativo: String?
    /// daticert `errore` when not `nessuno` (`no-dest`, `virus`, `altro` …).
    public var errore: String?
    public var erroreEsteso: String?
    /// Whether a PEC gestore vouches for it: signature valid, signer with the gestore policy and equal to
    /// the receipt's From, signed daticert of the same kind. Untrusted events never change a status.
    public var trusted: Bool
    public var signature: SignatureCheck?
    /// For ``ReceiptEventKind/timeout``: which deadline passed.
    public var deadline: TrackingDeadline?
    /// For an acceptance: the recipients that are ordinary mailboxes (daticert `tipo="esterno"`), which
    /// never send a delivery receipt, so no delivery deadline applies to them.
    public var externalRecipients: [String]?
    /// For an event read from REM evidence: the ERDS event (`ContentConsignmentFailure`); ``errore`` then
    /// holds the reason code (`RD04`) and ``erroreEsteso`` its text.
    public var remEvent: REMEvent?
    /// Where the receipt was found and where its bytes are kept; nil for computed events.
    public var evidence: ReceiptEvidence?
    public var warnings: [String]?
    /// The application's own reference of the send (`pec send --ref`), read from the ledger.
    public var ref: String? = nil
    /// A stable identifier of the event (`evt_` + 32 hex digits, from what makes it unique in the
    /// ledger): the same in every delivery of it, so a receiver can drop repeats. Nil until stored.
    public var eventID: String? = nil

    public init(
        seq: Int64 = 0,
        kind: ReceiptEventKind,
        messageID: String,
        account: String,
        recipient: String? = nil,
        at: Date,
        recordedAt: Date,
        gestore: String? = nil,
        identificativo: String? = nil,
        errore: String? = nil,
        erroreEsteso: String? = nil,
        trusted: Bool,
        signature: SignatureCheck? = nil,
        deadline: TrackingDeadline? = nil,
        externalRecipients: [String]? = nil,
        remEvent: REMEvent? = nil,
        evidence: ReceiptEvidence? = nil,
        warnings: [String]? = nil
    ) {
        self.seq = seq
        self.kind = kind
        self.messageID = messageID
        self.account = account
        self.recipient = recipient
        self.at = at
        self.recordedAt = recordedAt
        self.gestore = gestore
        self.identificativo = identificativo
        self.errore = errore
        self.erroreEsteso = erroreEsteso
        self.trusted = trusted
        self.signature = signature
        self.deadline = deadline
        self.externalRecipients = externalRecipients
        self.remEvent = remEvent
        self.evidence = evidence
        self.warnings = warnings
    }

    /// What makes an event the same event: one receipt (by its SHA-256) about one recipient, or one
    /// deadline of one message and recipient. The ledger keeps each key once.
    var uniqueKey: String {
        let who = recipient?.lowercased() ?? ""
        if let sha256 = evidence?.sha256 { return "receipt:\(sha256):\(who)" }
        if let evidence {
            return "receipt-uid:\(evidence.folder):\(evidence.uidValidity):\(evidence.uid):\(who)"
        }
        return "deadline:\(deadline?.rawValue ?? kind.rawValue):\(messageID):\(who)"
    }

    /// `2026-11-21T10:00:00Z pec_delivery <id> anna@pec.it`, flagged when no gestore vouches for it:
    /// how `pec watch` prints an event in text form (and `pec-mcp` its text copy).
    public var textLine: String {
        // Values from mail (the receipt's Message-ID, recipient, error) on one line, as everywhere.
        var parts = [ISO8601DateFormatter().string(from: at), kind.rawValue, TextFormatter.oneLine(messageID)]
        if let recipient { parts.append(TextFormatter.oneLine(recipient)) }
        if let deadline { parts.append("(\(deadline.rawValue))") }
        if let remEvent { parts.append("rem=\(TextFormatter.oneLine(remEvent.rawValue))") }
        if let errore { parts.append("\(remEvent == nil ? "errore" : "reason")=\(TextFormatter.oneLine(errore))") }
        if let ref { parts.append("ref=\(TextFormatter.oneLine(ref))") }
        if !trusted {
            parts.append(
                remEvent == nil
                    ? "UNTRUSTED: not signed by a PEC gestore" : "UNTRUSTED: not certified by a REM provider"
            )
        }
        return parts.joined(separator: " ") + "\n"
    }

    enum CodingKeys: String, CodingKey {
        case seq
        case kind = "event"
        case messageID = "message_id"
        case account, recipient, at
        case recordedAt = "recorded_at"
        case gestore, identificativo, errore
        case erroreEsteso = "errore_esteso"
        case trusted, signature, deadline
        case externalRecipients = "external_recipients"
        case remEvent = "rem_event"
        case evidence, warnings, ref
        case eventID = "event_id"
    }
}

/// The receipt behind an event: where it was in the mailbox and where its exact bytes are kept.
public struct ReceiptEvidence: Codable, Sendable, Equatable {
    /// The receipt's own Message-ID.
    public var receiptMessageID: String?
    public var folder: String
    public var uid: UInt32
    public var uidValidity: UInt32
    /// SHA-256 of the receipt's raw bytes, lower-case hex. This and ``size`` and ``path`` are nil
    /// for a receipt only glanced at (`trace --no-verify`): its bytes were not downloaded.
    public var sha256: String?
    public var size: Int?
    /// The raw receipt (RFC 5322, as the server served it), mode 0600, under the ledger's directory.
    public var path: String?

    public init(
        receiptMessageID: String?,
        folder: String,
        uid: UInt32,
        uidValidity: UInt32,
        sha256: String?,
        size: Int?,
        path: String?
    ) {
        self.receiptMessageID = receiptMessageID
        self.folder = folder
        self.uid = uid
        self.uidValidity = uidValidity
        self.sha256 = sha256
        self.size = size
        self.path = path
    }

    enum CodingKeys: String, CodingKey {
        case receiptMessageID = "receipt_message_id"
        case folder, uid
        case uidValidity = "uidvalidity"
        case sha256, size, path
    }
}
