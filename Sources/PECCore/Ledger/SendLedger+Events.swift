import Foundation

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
                guard let seq = try Self.insertEvent(db, event) else {
                    // The same receipt, read before when nothing vouched for it (e.g. its CA was not
                    // given): a reading that vouches now makes it trusted. Never the reverse.
                    if event.trusted { try Self.upgradeTrust(db, event) }
                    continue
                }
                event.seq = seq
                stored.append(event)
            }
            // Delivered at commit: a pool's delivery worker hears of them at once.
            if !stored.isEmpty, let channel = store.eventsChannel {
                try db.execute("SELECT pg_notify(?, '')", [channel])
            }
            if let folder {
                try db.execute(
                    """
                    INSERT INTO tracking_folders (account, folder, uidvalidity, last_uid, synced_at)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (account, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity,
                        last_uid = excluded.last_uid, synced_at = excluded.synced_at
                    """,
                    [
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
                _ = try db.execute(
                    """
                    UPDATE sends SET status = ?, error = COALESCE(?, error)
                    WHERE message_id = ? AND status IN (?, ?)
                    """,
                    [
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
            var arguments: [any LedgerBindable] = [account, folder, Int64(uidValidity)]
            for uid in chunk { arguments += [Int64(uid)] }
            let found = try read { db in
                try db.fetchAll(
                    """
                    SELECT uid, sha256, max(size) AS size, max(evidence_path) AS evidence_path,
                        max(CASE WHEN trusted THEN 1 ELSE 0 END) AS trusted
                    FROM tracking_events
                    WHERE account = ? AND folder = ? AND uidvalidity = ? AND sha256 IS NOT NULL
                        AND evidence_path IS NOT NULL AND size IS NOT NULL
                        AND uid IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", ")))
                    GROUP BY uid, sha256
                    """,
                    arguments
                ).compactMap { row -> (UInt32, StoredReceipt)? in
                    guard let uid = UInt32(exactly: try row.decode(Int64.self, "uid")),
                        let sha256 = try? row.decode(String.self, "sha256"),
                        let size = try? row.decode(Int.self, "size"),
                        let path = try? row.decode(String.self, "evidence_path")
                    else { return nil }
                    let trusted = (try? row.decode(Bool.self, "trusted")) ?? false
                    return (uid, StoredReceipt(sha256: sha256, size: size, path: path, trusted: trusted))
                }
            }
            for (uid, receipt) in found { stored[uid] = receipt }
        }
        return stored
    }

    /// Where `sync` stopped in a folder, or nil when it never read it.
    public func syncedFolder(account: String, folder: String) throws(PECError) -> SyncedFolder? {
        try read { db in
            let row = try db.fetchOne(
                "SELECT uidvalidity, last_uid FROM tracking_folders WHERE account = ? AND folder = ?",
                [account, folder]
            )
            guard let row,
                let validity = UInt32(exactly: try row.decode(Int64.self, "uidvalidity")),
                let last = UInt32(exactly: try row.decode(Int64.self, "last_uid"))
            else { return nil }
            return SyncedFolder(uidValidity: validity, lastUID: last)
        }
    }

    // MARK: - Reading

    /// Every event of one message, in the order they were stored.
    public func events(messageID: String) throws(PECError) -> [TrackingEvent] {
        let messageID = try MessageReference.normalizedMessageID(messageID)
        return try read { db in
            try db.fetchAll(
                Self.eventsSelect + " WHERE tracking_events.message_id = ? ORDER BY seq",
                [messageID]
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
    static func events(_ db: any LedgerConnection, after seq: Int64, limit: Int, account: String?) throws
        -> [TrackingEvent]
    {
        try db.fetchAll(
            Self.eventsSelect
                + " WHERE (? IS NULL OR tracking_events.account = ?) AND seq > ? ORDER BY seq LIMIT ?",
            [account, account, seq, limit]
        ).map(Self.decodeEvent)
    }

    /// The Message-ID the gestore's identificativo belongs to, from the events already stored.
    public func messageID(identificativo: String) throws(PECError) -> String? {
        try read { db in
            try db.fetchValue(
                String.self,
                column: "message_id",
                "SELECT message_id FROM tracking_events WHERE identificativo = ? ORDER BY seq LIMIT 1",
                [identificativo]
            )
        }
    }

    /// Sends of `account` whose last attempt was at `since` or later and that may have gone out:
    /// those whose deadlines can still pass.
    public func submittedSends(account: String, since: Date) throws(PECError) -> [LedgerSend] {
        try read { db in
            try db.fetchAll(
                """
                SELECT * FROM sends WHERE account = ? AND last_attempt_at >= ? AND status IN ('sent', 'uncertain')
                ORDER BY last_attempt_at, rowid
                """,
                [account, since]
            ).map { try Self.decodeSend(db, $0) }
        }
    }

    // MARK: - The watch cursor

    /// The last event `watch` printed for `account`; nil before its first run.
    public func printedSeq(account: String) throws(PECError) -> Int64? {
        try read { db in
            try db.fetchValue(
                Int64.self,
                column: "printed_seq",
                "SELECT printed_seq FROM tracking_cursors WHERE account = ?",
                [account]
            )
        }
    }

    /// Every account's watch position (``printedSeq(account:)``), in one read.
    public func printedSeqs() throws(PECError) -> [String: Int64] {
        try read { db in
            var cursors: [String: Int64] = [:]
            for row in try db.fetchAll("SELECT account, printed_seq FROM tracking_cursors", []) {
                cursors[try row.decode(String.self, "account")] = try row.decode(Int64.self, "printed_seq")
            }
            return cursors
        }
    }

    /// Notes that `watch` printed every event of `account` up to `seq`. Never moves backwards.
    public func setPrintedSeq(_ seq: Int64, account: String) throws(PECError) {
        try write(action: "record the watch position in") { db in
            try db.execute(
                """
                INSERT INTO tracking_cursors (account, printed_seq) VALUES (?, ?)
                ON CONFLICT (account) DO UPDATE SET printed_seq = CASE
                    WHEN excluded.printed_seq > tracking_cursors.printed_seq THEN excluded.printed_seq
                    ELSE tracking_cursors.printed_seq END
                """,
                [account, seq]
            )
        }
    }

    /// The number of the newest event stored, 0 when none.
    public func lastEventSeq() throws(PECError) -> Int64 {
        try read { db in
            try db.fetchValue(Int64.self, column: "seq", "SELECT max(seq) AS seq FROM tracking_events", []) ?? 0
        }
    }

    // MARK: - Rows

    /// The new event's `seq`, or nil when it was stored before.
    private static func insertEvent(_ db: any LedgerConnection, _ event: TrackingEvent) throws -> Int64? {
        // DO NOTHING on unique_key only: re-reading a receipt (a resync, another folder) adds nothing.
        try db.insert(
            """
            INSERT INTO tracking_events (unique_key, account, message_id, kind, recipient, at, recorded_at,
                gestore, identificativo, errore, errore_esteso, trusted, signature, deadline, external_recipients,
                receipt_message_id, folder, uid, uidvalidity, sha256, size, evidence_path, warnings, rem_event)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (unique_key) DO NOTHING
            """,
            [
                event.uniqueKey, event.account, event.messageID, event.kind.rawValue, event.recipient, event.at,
                event.recordedAt, event.gestore, event.identificativo, event.errore, event.erroreEsteso,
                event.trusted, try json(event.signature), event.deadline?.rawValue, try json(event.externalRecipients),
                event.evidence?.receiptMessageID, event.evidence?.folder, event.evidence.map { Int64($0.uid) },
                event.evidence.map { Int64($0.uidValidity) }, event.evidence?.sha256, event.evidence?.size,
                event.evidence?.path, try json(event.warnings), event.remEvent?.rawValue,
            ],
            returning: "seq"
        )
    }

    private static func upgradeTrust(_ db: any LedgerConnection, _ event: TrackingEvent) throws {
        try db.execute(
            """
            UPDATE tracking_events SET trusted = ?, signature = ?, warnings = ?
            WHERE unique_key = ? AND trusted = ?
            """,
            [true, try json(event.signature), try json(event.warnings), event.uniqueKey, false]
        )
    }

    /// Events with their send's `ref` (none for receipts of messages another client sent).
    static let eventsSelect =
        "SELECT tracking_events.*, sends.ref AS ref FROM tracking_events LEFT JOIN sends USING (message_id)"

    static func decodeEvent(_ row: LedgerRow) throws -> TrackingEvent {
        var evidence: ReceiptEvidence?
        if let sha256 = try row.decode(String?.self, "sha256") {
            guard let uid = UInt32(exactly: try row.decode(Int64.self, "uid")),
                let validity = UInt32(exactly: try row.decode(Int64.self, "uidvalidity"))
            else { throw UnreadableLedgerValue(column: "uid") }
            evidence = ReceiptEvidence(
                receiptMessageID: try row.decode(String?.self, "receipt_message_id"),
                folder: try row.decode(String.self, "folder"),
                uid: uid,
                uidValidity: validity,
                sha256: sha256,
                size: try row.decode(Int?.self, "size"),
                path: try row.decode(String?.self, "evidence_path")
            )
        }
        let deadline = try row.decode(String?.self, "deadline")
        var event = TrackingEvent(
            seq: try row.decode(Int64.self, "seq"),
            kind: try decodeEnum(ReceiptEventKind.self, row, "kind"),
            messageID: try row.decode(String.self, "message_id"),
            account: try row.decode(String.self, "account"),
            recipient: try row.decode(String?.self, "recipient"),
            at: try row.decode(Date.self, "at"),
            recordedAt: try row.decode(Date.self, "recorded_at"),
            gestore: try row.decode(String?.self, "gestore"),
            identificativo: try row.decode(String?.self, "identificativo"),
            errore: try row.decode(String?.self, "errore"),
            erroreEsteso: try row.decode(String?.self, "errore_esteso"),
            trusted: try row.decode(Bool.self, "trusted"),
            signature: try fromJSON(SignatureCheck.self, row, "signature"),
            deadline: try deadline.map {
                guard let value = TrackingDeadline(rawValue: $0) else {
                    throw UnreadableLedgerValue(column: "deadline")
                }
                return value
            },
            externalRecipients: try fromJSON([String].self, row, "external_recipients"),
            remEvent: try row.decode(String?.self, "rem_event").map(REMEvent.init(rawValue:)),
            evidence: evidence,
            warnings: try fromJSON([String].self, row, "warnings")
        )
        if row.hasColumn("ref") { event.ref = try row.decode(String?.self, "ref") }
        if let key = try row.decode(String?.self, "unique_key") {
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

    private static func fromJSON<Value: Decodable>(_ type: Value.Type, _ row: LedgerRow, _ column: String) throws
        -> Value?
    {
        guard let text = try row.decode(String?.self, column) else { return nil }
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw UnreadableLedgerValue(column: column)
        }
    }
}
