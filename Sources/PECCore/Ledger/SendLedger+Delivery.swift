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
    /// Every delivery cursor: the last event each target (each `<target> #<account>`) acknowledged.
    public func deliveredSeqs() throws(PECError) -> [String: Int64] {
        try read { db in
            var cursors: [String: Int64] = [:]
            for row in try db.fetchAll("SELECT target, delivered_seq FROM delivery_cursors", []) {
                cursors[try row.decode(String.self, "target")] = try row.decode(Int64.self, "delivered_seq")
            }
            return cursors
        }
    }

    /// Notes, in one transaction, that each target acknowledged every event up to its seq. Never moves backwards.
    public func setDeliveredSeqs(_ cursors: [String: Int64]) throws(PECError) {
        guard !cursors.isEmpty else { return }
        try write(action: "record the delivery position in") { db in
            for (target, seq) in cursors.sorted(by: { $0.key < $1.key }) {
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
    }

    /// Events queued again by `pec events --retry`, each with the target it is queued for, in `seq` order, at most
    /// `limit`: they go before new events.
    public func requeuedEvents(limit: Int) throws(PECError) -> [(target: String, event: TrackingEvent)] {
        try read { db in
            try db.fetchAll(
                """
                SELECT tracking_events.*, sends.ref AS ref, p.target AS parked_target
                FROM tracking_events LEFT JOIN sends USING (message_id)
                JOIN parked_events p ON p.seq = tracking_events.seq AND p.requeued = ?
                ORDER BY tracking_events.seq LIMIT ?
                """,
                [true, limit]
            ).map { (try $0.decode(String.self, "parked_target"), try Self.decodeEvent($0)) }
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
