import Foundation

/// One message in the send ledger: what was sent, when it was tried, and how it ended.
public struct LedgerSend: Codable, Sendable, Equatable {
    /// The Message-ID, always with its angle brackets (`<…@…>`).
    public var messageID: String
    /// The pec account (login) the message was sent from.
    public var account: String
    public var fromAddress: String
    public var subject: String
    /// The message's Date header.
    public var preparedAt: Date
    public var firstAttemptAt: Date
    public var lastAttemptAt: Date
    /// How many times this Message-ID was handed to the SMTP code (only failed or refused attempts are retried).
    public var attempts: Int
    public var status: LedgerSendStatus
    /// The server's last reply (e.g. the answer to the end of DATA).
    public var smtpReply: String?
    /// What went wrong, in words, when the attempt did not end in `sent`.
    public var error: String?
    /// The PEC identifier the provider gave the message, learned later from its acceptance receipt.
    public var identificativo: String?
    /// Size of the message in bytes as submitted.
    public var size: Int
    /// Where the sender's INBOX stood just before the send (not part of the JSON record).
    public var inboxBookmark: InboxBookmark? = nil
    /// To then Cc, in the order they were given.
    public var recipients: [LedgerRecipient]
    public var attachments: [LedgerAttachment]
    /// The application's own reference (`pec send --ref`).
    public var ref: String? = nil

    public init(
        messageID: String,
        account: String,
        fromAddress: String,
        subject: String,
        preparedAt: Date,
        firstAttemptAt: Date,
        lastAttemptAt: Date,
        attempts: Int,
        status: LedgerSendStatus,
        smtpReply: String? = nil,
        error: String? = nil,
        identificativo: String? = nil,
        size: Int,
        inboxBookmark: InboxBookmark? = nil,
        recipients: [LedgerRecipient],
        attachments: [LedgerAttachment]
    ) {
        self.messageID = messageID
        self.account = account
        self.fromAddress = fromAddress
        self.subject = subject
        self.preparedAt = preparedAt
        self.firstAttemptAt = firstAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.attempts = attempts
        self.status = status
        self.smtpReply = smtpReply
        self.error = error
        self.identificativo = identificativo
        self.size = size
        self.inboxBookmark = inboxBookmark
        self.recipients = recipients
        self.attachments = attachments
    }

    private enum CodingKeys: String, CodingKey {
        case messageID = "message_id"
        case account
        case fromAddress = "from_address"
        case subject
        case preparedAt = "prepared_at"
        case firstAttemptAt = "first_attempt_at"
        case lastAttemptAt = "last_attempt_at"
        case attempts, status
        case smtpReply = "smtp_reply"
        case error, identificativo, size, recipients, attachments, ref
    }
}

/// The sender's INBOX just before a send: every receipt of that send has a UID of at least
/// `uidNext`, as long as the mailbox keeps this UIDVALIDITY (RFC 9051 §2.3.1.1).
public struct InboxBookmark: Sendable, Equatable, Codable {
    public var uidValidity: UInt32
    public var uidNext: UInt32

    public init(uidValidity: UInt32, uidNext: UInt32) {
        self.uidValidity = uidValidity
        self.uidNext = uidNext
    }

    /// From the ledger's columns: nil unless both are there and in range.
    init?(uidValidity: Int64?, uidNext: Int64?) {
        guard let uidValidity, let uidNext, let validity = UInt32(exactly: uidValidity),
            let next = UInt32(exactly: uidNext),
            validity > 0, next > 0
        else { return nil }
        self.init(uidValidity: validity, uidNext: next)
    }
}
