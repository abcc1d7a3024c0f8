import Foundation

/// What `pec send` / `pec_send` asks for: the message, and whether it is a deliberate resend.
public struct SendRequest: Sendable {
    /// The message as the user wrote it; its `from` is the sending account's address.
    public var draft: OutgoingMessage
    /// Send again content the ledger says was already sent, as a new message with its own id.
    public var resend: Bool
    /// The application's own reference (an invoice number, a case id): kept with the send and carried
    /// by every event, status record and webhook body as `ref`. At most 200 characters, no control characters.
    public var ref: String?

    public init(draft: OutgoingMessage, resend: Bool = false, ref: String? = nil) {
        self.draft = draft
        self.resend = resend
        self.ref = ref
    }

    /// `ref` as it is stored, or why it is refused.
    static func checkedRef(_ ref: String?) throws(PECError) -> String? {
        guard let ref else { return nil }
        guard !ref.isEmpty, ref.count <= 200,
            !ref.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw PECError(
                .invalidInput,
                "the reference \"\(TextFormatter.oneLine(String(ref.prefix(60))))\" is refused: it must be 1 to 200 characters, "
                    + "without line breaks or other control characters"
            )
        }
        return ref
    }
}

/// A message ready to go: built once, before any attempt, and submitted byte for byte the same
/// on every retry.
public struct PreparedSend: Sendable {
    public let account: String
    public let message: OutgoingMessage
    public let composed: ComposedMessage
    /// With `--resend`: the earlier send of the same content.
    public let resendOf: LedgerSend?
    /// ``SendRequest/ref``, checked.
    public var ref: String? = nil

    /// The attachments as the ledger and the result record them.
    var attachments: [LedgerAttachment] {
        composed.attachments.map {
            LedgerAttachment(filename: $0.filename, contentType: $0.contentType, size: $0.size, sha256: $0.sha256)
        }
    }
}

/// How a send ended, per recipient: what `pec send` prints and `pec_send` returns.
public struct SendResult: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// The server accepted the message for every recipient.
        case sent
        /// `--dry-run`: checked and built, nothing contacted.
        case dryRun = "dry_run"
        /// The server refused one or more recipients: nothing was sent.
        case refused
        /// It was not sent (the failure came before the message was handed over).
        case failed
        /// The connection broke after the message was handed over: it may have been sent.
        case uncertain
    }

    public struct Recipient: Codable, Sendable, Equatable {
        public enum Status: String, Codable, Sendable {
            case accepted, refused
            /// Not asked (dry run, or the send stopped before this recipient).
            case pending
        }
        public var address: String
        public var role: LedgerRecipient.Role
        public var status: Status
        public var smtpCode: Int?
        public var smtpText: String?

        enum CodingKeys: String, CodingKey {
            case address, role, status
            case smtpCode = "smtp_code"
            case smtpText = "smtp_text"
        }
    }

    public var status: Status
    public var messageID: String
    public var from: String
    public var subject: String
    public var date: Date
    /// The whole message in bytes, as submitted.
    public var size: Int
    public var bodySize: Int
    public var recipients: [Recipient]
    public var attachments: [LedgerAttachment]
    /// The server's answer to the end of the message (it often carries the provider's queue id).
    public var smtpReply: String?
    /// With `--resend`: the Message-ID of the earlier send of the same content.
    public var resendOf: String?
    /// The application's own reference (`--ref`).
    public var ref: String? = nil
    /// Why it was not sent; nil when sent or dry run. Reported as the command's error, not in the record.
    public var error: PECError?

    enum CodingKeys: String, CodingKey {
        case status
        case messageID = "message_id"
        case from, subject, date, size
        case bodySize = "body_size"
        case recipients, attachments
        case smtpReply = "smtp_reply"
        case resendOf = "resend_of"
        case ref
    }
}
