import Foundation
import GRDB

/// How far `pec sync` has read one folder: UIDs up to `lastUID` under `uidValidity`.
public struct SyncedFolder: Sendable, Equatable {
    public var uidValidity: UInt32
    public var lastUID: UInt32
}

extension SendLedger {
    // MARK: - Recording

    /// Stores `events` that are not stored yet (by ``TrackingEvent/uniqueKey``) and returns those it
    /// stored, numbered, in order. With `folder`, also moves that folder's sync position, in the same
    /// transaction: a position is never saved without the events read up to it.
    @discardableResult
    public func recordEvents(
        _ events: [TrackingEvent],
        syncedTo folder: (account: String, name: String, position: SyncedFolder)? = nil
    ) throws(PECError) -> [TrackingEvent] {
        let recordedAt = now()
        return try write(action: "record receipts in") { db in
            var stored: [TrackingEvent] = []
            for var event in events {
                event.messageID = try MessageReference.normalizedMessageID(event.messageID)
                event.recordedAt = recordedAt
                try Self.insertEvent(db, event)
                guard db.changesCount > 0 else {
                    // The same receipt, read before when nothing vouched for it (e.g. its CA was not
                    // given): a reading that vouches now makes it trusted. Never the reverse.
                    if event.trusted { try Self.upgradeTrust(db, event) }
                    continue
                }
                event.seq = db.lastInsertedRowID
                stored.append(event)
            }
            if let folder {
                try db.execute(
                    sql: """
                        INSERT INTO tracking_folders (account, folder, uidvalidity, last_uid, synced_at)
                        VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (account, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity,
                            last_uid = excluded.last_uid, synced_at = excluded.synced_at
                        """,
                    arguments: [
                        folder.account, folder.name, Int64(folder.position.uidValidity),
                        Int64(folder.position.lastUID), recordedAt,
                    ]
                )
            }
            return stored
        }
    }

    /// For a batch of receipts, in one read: the Message-ID each one's events belong to, as
    /// ``send(messageID:)`` then ``send(identificativo:)`` would settle it one receipt at a time —
    /// its `reference` when the ledger has a send of that Message-ID, else the Message-ID of the
    /// latest send with its `identificativo`, else nil (the ledger knows neither).
    func sentMessageIDs(for receipts: [(reference: String?, identificativo: String?)]) throws(PECError)
        -> [String?]
    {
        guard !receipts.isEmpty else { return [] }
        return try read { db in
            try receipts.map { receipt -> String? in
                if let reference = receipt.reference,
                    try Self.fetchSend(db, messageID: try MessageReference.normalizedMessageID(reference)) != nil
                {
                    return reference
                }
                if let identificativo = receipt.identificativo,
                    let send = try Self.fetchSend(db, identificativo: try Self.normalizedIdentificativo(identificativo))
                {
                    return send.messageID
                }
                return nil
            }
        }
    }

    /// What certified receipts among `events` settle about their sends (`sync`, `watch` and
    /// `trace` call this); an untrusted receipt teaches the ledger nothing.
    /// - An acceptance gives the send its identificativo (a send that has one keeps it), and makes
    ///   an `uncertain` send (or one whose process died while `sending`) `sent`: the provider took it.
    /// - A non-acceptance makes such a send `failed`: the provider refused it, nothing went out.
    ///
    /// The sends are read in one go first (a batch of receipts mostly names messages the ledger does
    /// not have, or each one once); a send this call changed is read again before its next event.
    public func learn(fromReceipts events: [TrackingEvent]) throws(PECError) {
        let settling = events.filter { $0.trusted && ($0.kind == .acceptance || $0.kind == .nonAcceptance) }
        guard !settling.isEmpty else { return }
        let known: [String: LedgerSend] = try read { db in
            var found: [String: LedgerSend] = [:]
            for messageID in Set(settling.map(\.messageID)) {
                let normalized = try MessageReference.normalizedMessageID(messageID)
                if let send = try Self.fetchSend(db, messageID: normalized) { found[messageID] = send }
            }
            return found
        }
        var changed: Set<String> = []
        for event in settling {
            let current =
                changed.contains(event.messageID) ? try send(messageID: event.messageID) : known[event.messageID]
            guard let send = current else { continue }
            changed.insert(event.messageID)
            if event.kind == .acceptance, let identificativo = event.identificativo, send.identificativo == nil {
                try setIdentificativo(identificativo, forMessageID: send.messageID)
            }
            guard send.status == .uncertain || send.status == .sending else { continue }
            let resolved: LedgerSendStatus = event.kind == .acceptance ? .sent : .failed
            let reason =
                event.kind == .acceptance
                ? nil
                : "non accettazione\(event.errore.map { ": \($0)" } ?? "")\(event.erroreEsteso.map { " (\($0))" } ?? "")"
            try write(action: "record the receipt's outcome in") { db in
                try db.execute(
                    sql: """
                        UPDATE sends SET status = ?, error = COALESCE(?, error)
                        WHERE message_id = ? AND status IN (?, ?)
                        """,
                    arguments: [
                        resolved.rawValue, reason, send.messageID, LedgerSendStatus.uncertain.rawValue,
                        LedgerSendStatus.sending.rawValue,
                    ]
                )
            }
        }
    }

    /// A receipt whose bytes are in the evidence store, as the ledger's events about it say.
    public struct StoredReceipt: Sendable, Equatable {
        public var sha256: String
        public var size: Int
        public var path: String
        /// Whether a gestore vouched for it when it was read.
        public var trusted: Bool
    }

    /// The receipts of `uids` in one folder (under `uidValidity`) already read into the evidence
    /// store, by UID: what `trace` need not download again.
    public func storedReceipts(account: String, folder: String, uidValidity: UInt32, uids: [UInt32])
        throws(PECError) -> [UInt32: StoredReceipt]
    {
        var stored: [UInt32: StoredReceipt] = [:]
        let distinct = Array(Set(uids)).sorted()
        // Chunks keep well below SQLite's limit on bound parameters.
        for start in stride(from: 0, to: distinct.count, by: 500) {
            let chunk = distinct[start..<min(start + 500, distinct.count)]
            var arguments: StatementArguments = [account, folder, Int64(uidValidity)]
            for uid in chunk { arguments += [Int64(uid)] }
            let rows = try read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT uid, sha256, size, evidence_path, max(trusted) AS trusted FROM tracking_events
                        WHERE account = ? AND folder = ? AND uidvalidity = ? AND sha256 IS NOT NULL
                            AND evidence_path IS NOT NULL AND size IS NOT NULL
                            AND uid IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", ")))
                        GROUP BY uid, sha256
                        """,
                    arguments: arguments
                )
            }
            for row in rows {
                guard let uid = UInt32(exactly: row["uid"] as Int64? ?? -1), let sha256 = row["sha256"] as String?,
                    let size = row["size"] as Int?, let path = row["evidence_path"] as String?
                else { continue }
                stored[uid] = StoredReceipt(sha256: sha256, size: size, path: path, trusted: row["trusted"] ?? false)
            }
        }
        return stored
    }

    /// Where `sync` stopped in a folder, or nil when it never read it.
    public func syncedFolder(account: String, folder: String) throws(PECError) -> SyncedFolder? {
        try read { db in
            let row = try Row.fetchOne(
                db,
                sql: "SELECT uidvalidity, last_uid FROM tracking_folders WHERE account = ? AND folder = ?",
                arguments: [account, folder]
            )
            guard let row,
                let validity = UInt32(exactly: try row.decode(Int64.self, forColumn: "uidvalidity")),
                let last = UInt32(exactly: try row.decode(Int64.self, forColumn: "last_uid"))
            else { return nil }
            return SyncedFolder(uidValidity: validity, lastUID: last)
        }
    }

    // MARK: - Reading

    /// Every event of one message, in the order they were stored.
    public func events(messageID: String) throws(PECError) -> [TrackingEvent] {
        let messageID = try MessageReference.normalizedMessageID(messageID)
        return try read { db in
            try Row.fetchAll(
                db,
                sql: Self.eventsSelect + " WHERE tracking_events.message_id = ? ORDER BY seq",
                arguments: [messageID]
            ).map(Self.decodeEvent)
        }
    }

    /// The events of `account` stored after `seq`, oldest first, at most `limit`.
    public func events(account: String, after seq: Int64, limit: Int) throws(PECError) -> [TrackingEvent] {
        try feed(after: seq, limit: limit, account: account)
    }

    /// The pull feed (`pec events`): events stored after `seq`, of every account or of `account` only,
    /// oldest first, at most `limit`.
    public func feed(after seq: Int64, limit: Int, account: String? = nil) throws(PECError) -> [TrackingEvent] {
        guard limit > 0 else { return [] }
        return try read { db in try Self.events(db, after: seq, limit: limit, account: account) }
    }

    /// The one query behind ``feed(after:limit:account:)``, the watch's printing and the outboxes.
    static func events(_ db: Database, after seq: Int64, limit: Int, account: String?) throws -> [TrackingEvent] {
        try Row.fetchAll(
            db,
            sql: Self.eventsSelect
                + " WHERE (? IS NULL OR tracking_events.account = ?) AND seq > ? ORDER BY seq LIMIT ?",
            arguments: [account, account, seq, limit]
        ).map(Self.decodeEvent)
    }

    /// The Message-ID the gestore's identificativo belongs to, from the events already stored.
    public func messageID(identificativo: String) throws(PECError) -> String? {
        try read { db in
            try String.fetchOne(
                db,
                sql: "SELECT message_id FROM tracking_events WHERE identificativo = ? ORDER BY seq LIMIT 1",
                arguments: [identificativo]
            )
        }
    }

    /// Sends of `account` whose last attempt was at `since` or later and that may have gone out:
    /// those whose deadlines can still pass.
    public func submittedSends(account: String, since: Date) throws(PECError) -> [LedgerSend] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM sends WHERE account = ? AND last_attempt_at >= ? AND status IN ('sent', 'uncertain')
                    ORDER BY last_attempt_at, rowid
                    """,
                arguments: [account, since]
            ).map { try Self.decodeSend(db, $0) }
        }
    }

    // MARK: - The watch cursor

    /// The last event `watch` printed for `account`; nil before its first run.
    public func printedSeq(account: String) throws(PECError) -> Int64? {
        try read { db in
            try Int64.fetchOne(
                db,
                sql: "SELECT printed_seq FROM tracking_cursors WHERE account = ?",
                arguments: [account]
            )
        }
    }

    /// Notes that `watch` printed every event of `account` up to `seq`. Never moves backwards.
    public func setPrintedSeq(_ seq: Int64, account: String) throws(PECError) {
        try write(action: "record the watch position in") { db in
            try db.execute(
                sql: """
                    INSERT INTO tracking_cursors (account, printed_seq) VALUES (?, ?)
                    ON CONFLICT (account) DO UPDATE SET printed_seq = max(printed_seq, excluded.printed_seq)
                    """,
                arguments: [account, seq]
            )
        }
    }

    /// The number of the newest event stored, 0 when none.
    public func lastEventSeq() throws(PECError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM tracking_events") ?? 0 }
    }

    // MARK: - Rows

    private static func insertEvent(_ db: Database, _ event: TrackingEvent) throws {
        // OR IGNORE on unique_key only: re-reading a receipt (a resync, another folder) adds nothing.
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO tracking_events (unique_key, account, message_id, kind, recipient, at, recorded_at,
                    gestore, identificativo, errore, errore_esteso, trusted, signature, deadline, external_recipients,
                    receipt_message_id, folder, uid, uidvalidity, sha256, size, evidence_path, warnings, rem_event)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (unique_key) DO NOTHING
                """
        )
        try statement.execute(
            arguments: [
                event.uniqueKey, event.account, event.messageID, event.kind.rawValue, event.recipient, event.at,
                event.recordedAt, event.gestore, event.identificativo, event.errore, event.erroreEsteso,
                event.trusted, try json(event.signature), event.deadline?.rawValue, try json(event.externalRecipients),
                event.evidence?.receiptMessageID, event.evidence?.folder, event.evidence.map { Int64($0.uid) },
                event.evidence.map { Int64($0.uidValidity) }, event.evidence?.sha256, event.evidence?.size,
                event.evidence?.path, try json(event.warnings), event.remEvent?.rawValue,
            ]
        )
    }

    private static func upgradeTrust(_ db: Database, _ event: TrackingEvent) throws {
        try db.execute(
            sql: """
                UPDATE tracking_events SET trusted = 1, signature = ?, warnings = ?
                WHERE unique_key = ? AND trusted = 0
                """,
            arguments: [try json(event.signature), try json(event.warnings), event.uniqueKey]
        )
    }

    /// Events with their send's `ref` (none for receipts of messages another client sent).
    static let eventsSelect =
        "SELECT tracking_events.*, sends.ref AS ref FROM tracking_events LEFT JOIN sends USING (message_id)"

    static func decodeEvent(_ row: Row) throws -> TrackingEvent {
        var evidence: ReceiptEvidence?
        if let sha256 = try row.decode(String?.self, forColumn: "sha256") {
            guard let uid = UInt32(exactly: try row.decode(Int64.self, forColumn: "uid")),
                let validity = UInt32(exactly: try row.decode(Int64.self, forColumn: "uidvalidity"))
            else { throw UnreadableLedgerValue(column: "uid") }
            evidence = ReceiptEvidence(
                receiptMessageID: try row.decode(String?.self, forColumn: "receipt_message_id"),
                folder: try row.decode(String.self, forColumn: "folder"),
                uid: uid,
                uidValidity: validity,
                sha256: sha256,
                size: try row.decode(Int?.self, forColumn: "size"),
                path: try row.decode(String?.self, forColumn: "evidence_path")
            )
        }
        let deadline = try row.decode(String?.self, forColumn: "deadline")
        var event = TrackingEvent(
            seq: try row.decode(Int64.self, forColumn: "seq"),
            kind: try decodeEnum(ReceiptEventKind.self, row, "kind"),
            messageID: try row.decode(String.self, forColumn: "message_id"),
            account: try row.decode(String.self, forColumn: "account"),
            recipient: try row.decode(String?.self, forColumn: "recipient"),
            at: try row.decode(Date.self, forColumn: "at"),
            recordedAt: try row.decode(Date.self, forColumn: "recorded_at"),
            gestore: try row.decode(String?.self, forColumn: "gestore"),
            identificativo: try row.decode(String?.self, forColumn: "identificativo"),
            errore: try row.decode(String?.self, forColumn: "errore"),
            erroreEsteso: try row.decode(String?.self, forColumn: "errore_esteso"),
            trusted: try row.decode(Bool.self, forColumn: "trusted"),
            signature: try fromJSON(SignatureCheck.self, row, "signature"),
            deadline: try deadline.map {
                guard let value = TrackingDeadline(rawValue: $0) else {
                    throw UnreadableLedgerValue(column: "deadline")
                }
                return value
            },
            externalRecipients: try fromJSON([String].self, row, "external_recipients"),
            remEvent: try row.decode(String?.self, forColumn: "rem_event").map(REMEvent.init(rawValue:)),
            evidence: evidence,
            warnings: try fromJSON([String].self, row, "warnings")
        )
        if row.hasColumn("ref") { event.ref = try row.decode(String?.self, forColumn: "ref") }
        if let key = try row.decode(String?.self, forColumn: "unique_key") {
            event.eventID = (try? SHA256Digest.hash(Array(key.utf8))).map {
                "evt_" + String(SHA256Digest.hex($0).prefix(32))
            }
        }
        return event
    }

    private static func json(_ value: (some Encodable)?) throws -> String? {
        guard let value else { return nil }
        return String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    private static func fromJSON<Value: Decodable>(_ type: Value.Type, _ row: Row, _ column: String) throws -> Value? {
        guard let text = try row.decode(String?.self, forColumn: column) else { return nil }
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw UnreadableLedgerValue(column: column)
        }
    }
}
