import Foundation

/// Thrown by ``SendLedger/beginAttempt(_:)`` when the ledger shows that the same Message-ID, or the same
/// content under another Message-ID (composed in another minute), was already sent, or may have been:
/// a PEC has the legal weight of a registered letter, so it must not go out twice by accident.
public struct LedgerDuplicate: Error, Sendable, Equatable, CustomStringConvertible {
    /// The earlier attempt, as recorded.
    public var existing: LedgerSend
    /// The earlier send has another Message-ID but the same ``ComposedMessage/contentFingerprint``.
    public var sameContent: Bool

    public init(existing: LedgerSend, sameContent: Bool = false) {
        self.existing = existing
        self.sameContent = sameContent
    }

    public var description: String { pecError.description }

    /// The same refusal in the project's error type (kind `send_refused`: nothing was contacted).
    public var pecError: PECError {
        PECError(.sendRefused, message, remedies: [.trace(messageID: existing.messageID), .resend])
    }

    private var message: String {
        let id = existing.messageID
        let when = existing.lastAttemptAt.formatted(.iso8601)
        if sameContent {
            let earlier =
                existing.status == .sent ? "was sent" : "may already have been sent (\(existing.status.rawValue))"
            return "the same message (sender, recipients, subject, text and attachments) \(earlier) as \(id) on \(when)"
        }
        switch existing.status {
        case .sent:
            return "\(id) was already sent on \(when)"
        case .uncertain:
            return
                "\(id) may already have been sent: the attempt on \(when) ended without a clear answer from the server"
        case .sending:
            return
                "\(id) may already have been sent: the attempt started on \(when) never recorded its outcome "
                + "(the process was interrupted, or is still running)"
        case .failed, .refused:
            // Not thrown for these (they are retried), but the text must still be true.
            return "\(id) was already tried on \(when) (\(existing.status.rawValue))"
        }
    }
}
