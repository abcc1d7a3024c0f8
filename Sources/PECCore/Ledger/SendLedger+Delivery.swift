import Foundation

/// A receipt event a delivery target refused for good (`pec events --parked`).
public struct ParkedEvent: Encodable, Sendable, Equatable {
    public var event: TrackingEvent
    /// The target: `webhook:https://…`.
    public var target: String
    public var reason: String
    public var parkedAt: Date
    /// Queued again by `pec events --retry`: the next watch with that target delivers it.
    public var requeued: Bool

    enum CodingKeys: String, CodingKey {
        case target
        case reason = "parked_reason"
        case parkedAt = "parked_at"
        case requeued
    }

    /// The event's own fields, then the parking's: one flat record per line.
    public func encode(to encoder: any Encoder) throws {
        try event.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(target, forKey: .target)
        try container.encode(reason, forKey: .reason)
        try container.encode(parkedAt, forKey: .parkedAt)
        try container.encode(requeued, forKey: .requeued)
    }
}

/// The durable outbox (ledger v7): each delivery target's cursor moves only after the target
/// acknowledged, so an event is delivered at least once, whatever stops pec and for however long.
extension SendLedger {
    /// The last event `target` acknowledged; nil before its first use.
    public func deliveredSeq(target: String) throws(PECError) -> Int64? {
        try read { db in
            try db.fetchValue(
                Int64.self,
                column: "delivered_seq",
                "SELECT delivered_seq FROM delivery_cursors WHERE target = ?",
                [target]
            )
        }
    }

    /// Notes that `target` acknowledged every event up to `seq`. Never moves backwards.
    public func setDeliveredSeq(_ seq: Int64, target: String) throws(PECError) {
        try write(action: "record the delivery position in") { db in
            try db.execute(
                """
                INSERT INTO delivery_cursors (target, delivered_seq) VALUES (?, ?)
                ON CONFLICT (target) DO UPDATE SET delivered_seq = CASE
                    WHEN excluded.delivered_seq > delivery_cursors.delivered_seq THEN excluded.delivered_seq
                    ELSE delivery_cursors.delivered_seq END
                """,
                [target, seq]
            )
        }
    }

    /// The events `target` is to deliver next: those queued again first, then those after its cursor
    /// (of `account` only), in `seq` order, at most `limit`.
    public func outbox(target: String, account: String, limit: Int) throws(PECError) -> [TrackingEvent] {
        let cursor = try deliveredSeq(target: target) ?? 0
        return try read { db in
            let requeued = try db.fetchAll(
                Self.eventsSelect + """
                     JOIN parked_events p ON p.seq = tracking_events.seq AND p.target = ? AND p.requeued = ?
                     ORDER BY tracking_events.seq LIMIT ?
                    """,
                [target, true, limit]
            ).map(Self.decodeEvent)
            if !requeued.isEmpty { return requeued }
            return try Self.events(db, after: cursor, limit: limit, account: account)
        }
    }

    /// `target` refused `seqs` for good (`reason`); a re-queued event refused again stays parked.
    public func park(_ seqs: [Int64], target: String, reason: String, at date: Date = Date()) throws(PECError) {
        try write(action: "park the events in") { db in
            for seq in seqs {
                try db.execute(
                    """
                    INSERT INTO parked_events (target, seq, reason, parked_at, requeued) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (target, seq) DO UPDATE SET reason = excluded.reason,
                        parked_at = excluded.parked_at, requeued = excluded.requeued
                    """,
                    [target, seq, reason, date, false]
                )
            }
        }
    }

    /// Re-queued events `target` has now acknowledged: no longer parked.
    public func unpark(_ seqs: [Int64], target: String) throws(PECError) {
        try write(action: "update the parked events in") { db in
            for seq in seqs {
                try db.execute(
                    "DELETE FROM parked_events WHERE target = ? AND seq = ?",
                    [target, seq]
                )
            }
        }
    }

    /// Every parked event (of `target` only, when given), oldest first.
    public func parkedEvents(target: String? = nil) throws(PECError) -> [ParkedEvent] {
        try read { db in
            let rows = try db.fetchAll(
                """
                SELECT tracking_events.*, sends.ref AS ref, p.target AS target, p.reason AS reason,
                    p.parked_at AS parked_at, p.requeued AS requeued
                FROM tracking_events LEFT JOIN sends USING (message_id)
                JOIN parked_events p ON p.seq = tracking_events.seq
                WHERE (? IS NULL OR p.target = ?) ORDER BY p.parked_at, tracking_events.seq
                """,
                [target, target]
            )
            return try rows.map { row in
                ParkedEvent(
                    event: try Self.decodeEvent(row),
                    target: try row.decode(String.self, "target"),
                    reason: try row.decode(String.self, "reason"),
                    parkedAt: try row.decode(Date.self, "parked_at"),
                    requeued: try row.decode(Bool.self, "requeued")
                )
            }
        }
    }

    /// Queues every parked event (of `target` only, when given) again; how many.
    @discardableResult
    public func requeueParked(target: String? = nil) throws(PECError) -> Int {
        try write(action: "re-queue the parked events in") { db in
            try db.execute(
                "UPDATE parked_events SET requeued = ? WHERE requeued = ? AND (? IS NULL OR target = ?)",
                [true, false, target, target]
            )
        }
    }
}
