import Foundation

extension SendLedger {
    /// When each send from `address` (any account, any case) that may have reached the server was last
    /// attempted since `start`, newest first: what a provider's limit of sends per minute counts.
    /// A refused or failed attempt did not submit a message, so it does not count.
    public func submissionTimes(from address: String, since start: Date) throws(PECError) -> [Date] {
        let counted = LedgerSendStatus.allCases.filter(\.mayHaveBeenSubmitted).map(\.rawValue)
        return try read { db in
            try db.fetchAll(
                """
                SELECT last_attempt_at FROM sends
                WHERE lower(from_address) = lower(?) AND last_attempt_at > ?
                    AND status IN (\(counted.map { _ in "?" }.joined(separator: ",")))
                ORDER BY last_attempt_at DESC
                """,
                [address, start] + (counted as [any LedgerBindable])
            ).map { try $0.decode(Date.self, "last_attempt_at") }
        }
    }
}
