import Foundation

/// At most `maxSends` messages to one recipient within `window`: `pec-mcp`'s brake on an agent
/// that sends in a loop. Counted in the ledger, so a restarted server remembers what it sent.
public struct RecipientRateLimit: Sendable, Equatable {
    public var maxSends: Int
    public var window: TimeInterval

    public init(maxSends: Int, window: TimeInterval) {
        self.maxSends = maxSends
        self.window = window
    }

    /// The rule of `pec_send`: 3 sends per recipient per 5 minutes.
    public static let mcpDefault = RecipientRateLimit(maxSends: 3, window: 300)

    public var description: String {
        let minutes = window / 60
        let span =
            minutes == minutes.rounded() ? "\(Int(minutes)) minute\(minutes == 1 ? "" : "s")" : "\(Int(window)) seconds"
        return "\(maxSends) message\(maxSends == 1 ? "" : "s") per recipient per \(span)"
    }
}

/// A send refused because a recipient already received ``RecipientRateLimit/maxSends`` messages
/// within the window (every send that may have gone out counts: sent, uncertain, in progress).
public struct RecipientRateLimited: Error, Sendable, Equatable {
    public var recipient: String
    public var limit: RecipientRateLimit
    /// When one more send to the recipient will be allowed.
    public var allowedAfter: Date

    public var pecError: PECError {
        PECError(
            .rateLimited,
            "refused: \(recipient) already received \(limit.maxSends) PEC messages in the last "
                + "\(Int(limit.window)) seconds (the limit is \(limit.description))",
            hint: "the next send to \(recipient) is possible after \(allowedAfter.formatted(.iso8601)); "
                + "ask the user whether these messages really should all go out",
            retryable: true
        )
    }
}

extension SendLedger {
    /// The first of `recipients` that has reached `limit` at time `at`, or nil.
    static func rateLimited(
        _ db: any LedgerConnection,
        recipients: [String],
        limit: RecipientRateLimit,
        at: Date
    ) throws -> RecipientRateLimited? {
        let windowStart = at.addingTimeInterval(-limit.window)
        let counted = LedgerSendStatus.allCases.filter(\.mayHaveBeenSubmitted).map(\.rawValue)
        for recipient in recipients {
            let attempts = try db.fetchAll(
                """
                SELECT s.last_attempt_at FROM sends s JOIN send_recipients r ON r.message_id = s.message_id
                WHERE lower(r.address) = lower(?) AND s.last_attempt_at > ? AND s.status IN (\(counted.map { _ in "?" }.joined(separator: ",")))
                ORDER BY s.last_attempt_at DESC
                """,
                [recipient, windowStart] + (counted as [any LedgerBindable])
            ).map { try $0.decode(Date.self, "last_attempt_at") }
            if attempts.count >= limit.maxSends {
                return RecipientRateLimited(
                    recipient: recipient,
                    limit: limit,
                    allowedAfter: attempts[limit.maxSends - 1].addingTimeInterval(limit.window)
                )
            }
        }
        return nil
    }
}
