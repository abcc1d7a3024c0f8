import Foundation

/// A message about to be submitted, as ``SendLedger/beginAttempt(_:)`` records it.
public struct NewSend: Sendable, Equatable {
    /// With or without angle brackets; the ledger stores it with them.
    public var messageID: String
    public var account: String
    public var from: String
    public var to: [String]
    public var cc: [String]
    public var subject: String
    /// The message's Date header.
    public var preparedAt: Date
    /// Size of the message in bytes as submitted.
    public var size: Int
    public var attachments: [LedgerAttachment]
    /// Refuse the attempt (``RecipientRateLimited``) when a recipient already got this many sends lately.
    public var rateLimit: RecipientRateLimit?
    /// ``ComposedMessage/contentFingerprint``, kept with the send.
    public var contentFingerprint: String?
    /// Refuse the attempt (``LedgerDuplicate``) when a send with the same ``contentFingerprint``
    /// may have been submitted within this many seconds; nil: no such check (a deliberate resend).
    public var duplicateWindow: TimeInterval?
    /// The application's own reference (`pec send --ref`), carried by every event of the send.
    public var ref: String?

    public init(
        messageID: String,
        account: String,
        from: String,
        to: [String],
        cc: [String] = [],
        subject: String,
        preparedAt: Date,
        size: Int,
        attachments: [LedgerAttachment] = [],
        rateLimit: RecipientRateLimit? = nil,
        contentFingerprint: String? = nil,
        duplicateWindow: TimeInterval? = nil,
        ref: String? = nil
    ) {
        self.messageID = messageID
        self.account = account
        self.from = from
        self.to = to
        self.cc = cc
        self.subject = subject
        self.preparedAt = preparedAt
        self.size = size
        self.attachments = attachments
        self.rateLimit = rateLimit
        self.contentFingerprint = contentFingerprint
        self.duplicateWindow = duplicateWindow
        self.ref = ref
    }
}

/// The server's answer to one recipient's `RCPT TO`, for ``SendLedger/recordOutcome(messageID:status:smtpReply:error:recipients:)``.
public struct RecipientOutcome: Sendable, Equatable {
    public var address: String
    public var accepted: Bool
    /// The SMTP reply code (e.g. 250, 550); nil when the server never answered for this recipient.
    public var code: Int?
    public var text: String?

    public init(address: String, accepted: Bool, code: Int? = nil, text: String? = nil) {
        self.address = address
        self.accepted = accepted
        self.code = code
        self.text = text
    }
}
