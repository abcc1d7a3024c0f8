import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The local record of every PEC this machine submitted, so that the same message is never sent twice by accident:
/// a PEC has the legal weight of a registered letter.
///
/// By default one SQLite file in WAL mode, shared by every `pec` and `pec-mcp` process of the user; with
/// `PEC_LEDGER_URL`, a PostgreSQL database shared by a team's workers (``LedgerDatabase`` is the interface both
/// stores implement). Each operation is one transaction; ``beginAttempt(_:)`` takes the write lock before it reads,
/// so two processes cannot both start sending the same Message-ID.
public final class SendLedger: Sendable {
    /// The database file; for a PostgreSQL ledger, where the file would be: the evidence store sits beside it.
    public let url: URL
    let store: any LedgerDatabase
    /// Injected by tests that need attempts at known times.
    let now: @Sendable () -> Date

    /// `$XDG_STATE_HOME/pec/ledger.sqlite` when `XDG_STATE_HOME` is set and absolute (the XDG spec ignores relative
    /// values), else `$HOME/.local/state/pec/ledger.sqlite`.
    public static func defaultLocation(environment: [String: String]) -> URL {
        stateDirectory(environment: environment).appendingPathComponent("ledger.sqlite", isDirectory: false)
    }

    /// pec's own state directory, `$XDG_STATE_HOME/pec` (else `$HOME/.local/state/pec`): the ledger's file,
    /// and beside it the login history and the folder names kept for completion.
    static func stateDirectory(environment: [String: String]) -> URL {
        let base: URL
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            base = URL(fileURLWithPath: xdg, isDirectory: true)
        } else {
            base = homeDirectory(environment)
                .appendingPathComponent(".local", isDirectory: true)
                .appendingPathComponent("state", isDirectory: true)
        }
        return base.appendingPathComponent("pec", isDirectory: true)
    }

    /// Opens the ledger at `url`, creating it (directory 0700, file 0600) and bringing its schema up to date.
    /// A file that is not a ledger, is damaged, or was updated by a newer pec is refused with an `.io` error.
    public convenience init(at url: URL) throws(PECError) {
        try self.init(at: url, now: { Date() })
    }

    convenience init(at url: URL, now: @escaping @Sendable () -> Date) throws(PECError) {
        self.init(store: try SQLiteLedgerDatabase(at: url), url: url, now: now)
    }

    /// The schema steps applied to this ledger, and those this pec knows (equal once opened).
    public func schemaSteps() throws(PECError) -> (applied: Int, known: Int) {
        do {
            return (try store.appliedSteps().count, LedgerSchema.migrations.count)
        } catch {
            throw store.ledgerError(error, action: "read")
        }
    }

    /// The ledger `environment` selects (``LedgerLocation``): the PostgreSQL database of `PEC_LEDGER_URL` when it
    /// names one (postgres-nio is touched only then), the file it names, else the file at
    /// ``defaultLocation(environment:)``.
    static func open(environment: [String: String]) throws(PECError) -> SendLedger {
        try open(try LedgerLocation(environment: environment), environment: environment)
    }

    static func open(_ location: LedgerLocation, environment: [String: String]) throws(PECError) -> SendLedger {
        switch location.store {
        case .file(let url):
            return try SendLedger(at: url)
        case .postgres(let settings):
            return SendLedger(
                store: try PostgresLedgerDatabase(settings: settings),
                url: defaultLocation(environment: environment)
            )
        }
    }

    /// The ledger in `store`; `url` is where a file ledger would be (see ``url``).
    init(store: any LedgerDatabase, url: URL, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.url = url
        self.now = now
    }

    // MARK: - Sending

    /// Records that `send` is about to be submitted, or throws ``LedgerDuplicate`` when the ledger shows that this
    /// Message-ID was already sent or may have been (status `sent`, `uncertain`, or `sending` left by a process
    /// that died mid-send). A `failed` or `refused` row is reused: one more attempt, recipients and attachments
    /// replaced. Sending a message again on purpose (`--resend`) means giving it a new Message-ID.
    ///
    /// - Throws: ``LedgerDuplicate``, or ``PECError``.
    @discardableResult
    public func beginAttempt(_ send: NewSend) throws -> LedgerSend {
        let messageID = try MessageReference.normalizedMessageID(send.messageID)
        try Self.validate(send)
        let attemptAt = now()
        let outcome = try write(action: "record the send in") { db -> AttemptStart in
            let existing = try Self.fetchSend(db, messageID: messageID)
            if let existing, existing.status.mayHaveBeenSubmitted { return .duplicate(existing) }
            // Same transaction as the insert: of two processes sending one letter, one wins.
            if let fingerprint = send.contentFingerprint, let window = send.duplicateWindow, window > 0,
                let earlier = try Self.fetchSameContent(
                    db,
                    fingerprint: fingerprint,
                    since: attemptAt.addingTimeInterval(-window),
                    excluding: messageID
                )
            {
                return .sameContent(earlier)
            }
            // In the same transaction as the insert: two processes cannot both take the last slot.
            if let limit = send.rateLimit,
                let busy = try Self.rateLimited(db, recipients: send.to + send.cc, limit: limit, at: attemptAt)
            {
                return .rateLimited(busy)
            }
            if existing != nil {
                try db.execute(
                    """
                    UPDATE sends SET account = ?, from_address = ?, subject = ?, prepared_at = ?,
                        last_attempt_at = ?, attempts = attempts + 1, status = ?, smtp_reply = NULL, error = NULL,
                        size = ?, content_fingerprint = ?, ref = ?
                    WHERE message_id = ?
                    """,
                    [
                        send.account, send.from, send.subject, send.preparedAt, attemptAt,
                        LedgerSendStatus.sending.rawValue, send.size, send.contentFingerprint, send.ref, messageID,
                    ]
                )
                try db.execute(
                    "DELETE FROM send_recipients WHERE message_id = ?",
                    [messageID]
                )
                try db.execute(
                    "DELETE FROM send_attachments WHERE message_id = ?",
                    [messageID]
                )
            } else {
                try db.execute(
                    """
                    INSERT INTO sends (message_id, account, from_address, subject, prepared_at, first_attempt_at,
                        last_attempt_at, attempts, status, size, content_fingerprint, ref)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
                    """,
                    [
                        messageID, send.account, send.from, send.subject, send.preparedAt, attemptAt, attemptAt,
                        LedgerSendStatus.sending.rawValue, send.size, send.contentFingerprint, send.ref,
                    ]
                )
            }
            try Self.insertRecipients(db, messageID: messageID, to: send.to, cc: send.cc)
            try Self.insertAttachments(db, messageID: messageID, send.attachments)
            guard let stored = try Self.fetchSend(db, messageID: messageID) else {
                throw PECError(.internal, "the send of \(messageID) vanished from the ledger while being recorded")
            }
            return .began(stored)
        }
        switch outcome {
        case .began(let stored): return stored
        case .duplicate(let existing): throw LedgerDuplicate(existing: existing)
        case .sameContent(let earlier): throw LedgerDuplicate(existing: earlier, sameContent: true)
        case .rateLimited(let refusal): throw refusal
        }
    }

    /// Records how an attempt ended, and each recipient's answer. Addresses not recorded by ``beginAttempt(_:)``
    /// are ignored: they cannot change whether the message went out.
    public func recordOutcome(
        messageID: String,
        status: LedgerSendStatus,
        smtpReply: String?,
        error: String?,
        recipients: [RecipientOutcome]
    ) throws(PECError) {
        let messageID = try MessageReference.normalizedMessageID(messageID)
        try write(action: "record the outcome in") { db in
            guard
                try db.execute(
                    "UPDATE sends SET status = ?, smtp_reply = ?, error = ? WHERE message_id = ?",
                    [status.rawValue, smtpReply, error, messageID]
                ) > 0
            else { throw self.notFound(messageID) }
            for recipient in recipients {
                try db.execute(
                    """
                    UPDATE send_recipients SET accepted = ?, smtp_code = ?, smtp_text = ?
                    WHERE message_id = ? AND lower(address) = lower(?)
                    """,
                    [recipient.accepted, recipient.code, recipient.text, messageID, recipient.address]
                )
            }
        }
    }

    /// Stores the PEC identifier learned from the message's acceptance receipt.
    public func setIdentificativo(_ identificativo: String, forMessageID messageID: String) throws(PECError) {
        let messageID = try MessageReference.normalizedMessageID(messageID)
        let identificativo = try Self.normalizedIdentificativo(identificativo)
        try write(action: "record the identificativo in") { db in
            guard
                try db.execute(
                    "UPDATE sends SET identificativo = ? WHERE message_id = ?",
                    [identificativo, messageID]
                ) > 0
            else { throw self.notFound(messageID) }
        }
    }

    /// Stores the SHA-256 (hex) of the exact bytes submitted: the name of their copy in the evidence
    /// store (what a dossier shows was sent), and what a REM provider's `REM-DigestValue` is checked
    /// against when its receipts come back.
    public func setMessageSHA256(_ sha256: String, forMessageID messageID: String) throws(PECError) {
        let messageID = try MessageReference.normalizedMessageID(messageID)
        try write(action: "record the message digest in") { db in
            guard
                try db.execute(
                    "UPDATE sends SET message_sha256 = ? WHERE message_id = ?",
                    [sha256.lowercased(), messageID]
                ) > 0
            else { throw self.notFound(messageID) }
        }
    }

    /// ``setMessageSHA256(_:forMessageID:)``'s value; nil when the send is unknown or predates it.
    public func messageSHA256(forMessageID messageID: String) throws(PECError) -> String? {
        let messageID = try MessageReference.normalizedMessageID(messageID)
        return try read { db in
            try db.fetchValue(
                String.self,
                column: "message_sha256",
                "SELECT message_sha256 FROM sends WHERE message_id = ?",
                [messageID]
            )
        }
    }

    /// Stores where the sender's INBOX stood just before the message was handed over.
    public func setInboxBookmark(_ bookmark: InboxBookmark, forMessageID messageID: String) throws(PECError) {
        let messageID = try MessageReference.normalizedMessageID(messageID)
        try write(action: "record the INBOX position in") { db in
            guard
                try db.execute(
                    "UPDATE sends SET inbox_uidvalidity = ?, inbox_uidnext = ? WHERE message_id = ?",
                    [Int64(bookmark.uidValidity), Int64(bookmark.uidNext), messageID]
                ) > 0
            else { throw self.notFound(messageID) }
        }
    }

    // MARK: - Looking up

    /// The send with this Message-ID (angle brackets optional), or nil.
    public func send(messageID: String) throws(PECError) -> LedgerSend? {
        let messageID = try MessageReference.normalizedMessageID(messageID)
        return try read { db in try Self.fetchSend(db, messageID: messageID) }
    }

    /// The send the provider identified as `identificativo` in its receipts, or nil.
    public func send(identificativo: String) throws(PECError) -> LedgerSend? {
        let identificativo = try Self.normalizedIdentificativo(identificativo)
        return try read { db in try Self.fetchSend(db, identificativo: identificativo) }
    }

    /// The latest send of the same content (``ComposedMessage/contentFingerprint``) that may have
    /// been submitted within `window` seconds, or nil (for preparing; the real check is part of
    /// ``beginAttempt(_:)``).
    public func sendWithSameContent(fingerprint: String, within window: TimeInterval) throws(PECError) -> LedgerSend? {
        let since = now().addingTimeInterval(-window)
        return try read { db in try Self.fetchSameContent(db, fingerprint: fingerprint, since: since, excluding: nil) }
    }

    private static func fetchSameContent(
        _ db: any LedgerConnection,
        fingerprint: String,
        since: Date,
        excluding messageID: String?
    ) throws -> LedgerSend? {
        let submitted = LedgerSendStatus.allCases.filter(\.mayHaveBeenSubmitted).map { "'\($0.rawValue)'" }
        let row = try db.fetchOne(
            """
            SELECT * FROM sends
            WHERE content_fingerprint = ? AND last_attempt_at >= ? AND (? IS NULL OR message_id <> ?)
                AND status IN (\(submitted.joined(separator: ", ")))
            ORDER BY last_attempt_at DESC, rowid DESC LIMIT 1
            """,
            [fingerprint, since, messageID, messageID]
        )
        return try row.map { try decodeSend(db, $0) }
    }

    /// Whether a send to `recipients` now would be refused by `limit` (for a dry run; the real
    /// check is part of ``beginAttempt(_:)``).
    public func rateLimitRefusal(recipients: [String], limit: RecipientRateLimit) throws(PECError)
        -> RecipientRateLimited?
    {
        let at = now()
        return try read { db in try Self.rateLimited(db, recipients: recipients, limit: limit, at: at) }
    }

    /// The `limit` sends attempted last, newest first; only those of `account` when given.
    public func recentSends(account: String?, limit: Int) throws(PECError) -> [LedgerSend] {
        // SQLite reads a negative LIMIT as "no limit".
        guard limit > 0 else { return [] }
        return try read { db in
            let filter = account == nil ? "" : "WHERE account = ?"
            var arguments: [any LedgerBindable] = []
            if let account { arguments += [account] }
            arguments += [limit]
            let rows = try db.fetchAll(
                "SELECT * FROM sends \(filter) ORDER BY last_attempt_at DESC, rowid DESC LIMIT ?",
                arguments
            )
            return try rows.map { try Self.decodeSend(db, $0) }
        }
    }

    // MARK: - Transactions

    private enum AttemptStart {
        case began(LedgerSend)
        case duplicate(LedgerSend)
        case sameContent(LedgerSend)
        case rateLimited(RecipientRateLimited)
    }

    /// Runs `body` in a write transaction: the write lock is taken before the first read, so what `body` reads
    /// cannot change before it writes (``LedgerDatabase/write(_:)``).
    func write<T>(action: String, _ body: (any LedgerConnection) throws -> T) throws(PECError) -> T {
        do {
            return try store.write(body)
        } catch {
            throw store.ledgerError(error, action: action)
        }
    }

    func read<T>(_ body: (any LedgerConnection) throws -> T) throws(PECError) -> T {
        do {
            return try store.read(body)
        } catch {
            throw store.ledgerError(error, action: "read")
        }
    }

    // MARK: - Rows

    private static func insertRecipients(_ db: any LedgerConnection, messageID: String, to: [String], cc: [String])
        throws
    {
        let recipients = to.map { ($0, LedgerRecipient.Role.to) } + cc.map { ($0, LedgerRecipient.Role.cc) }
        for (address, role) in recipients {
            // DO NOTHING: an address given twice (or in both To and Cc) is one recipient; the first role wins.
            try db.execute(
                "INSERT INTO send_recipients (message_id, address, role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [messageID, address, role.rawValue]
            )
        }
    }

    private static func insertAttachments(
        _ db: any LedgerConnection,
        messageID: String,
        _ attachments: [LedgerAttachment]
    ) throws {
        for (position, attachment) in attachments.enumerated() {
            try db.execute(
                """
                INSERT INTO send_attachments (message_id, position, filename, content_type, size, sha256)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                [
                    messageID, position, attachment.filename, attachment.contentType, attachment.size,
                    attachment.sha256,
                ]
            )
        }
    }

    static func fetchSend(_ db: any LedgerConnection, messageID: String) throws -> LedgerSend? {
        let row = try db.fetchOne("SELECT * FROM sends WHERE message_id = ?", [messageID])
        return try row.map { try decodeSend(db, $0) }
    }

    /// The latest send with that (normalized) identificativo.
    static func fetchSend(_ db: any LedgerConnection, identificativo: String) throws -> LedgerSend? {
        let row = try db.fetchOne(
            "SELECT * FROM sends WHERE identificativo = ? ORDER BY last_attempt_at DESC, rowid DESC LIMIT 1",
            [identificativo]
        )
        return try row.map { try decodeSend(db, $0) }
    }

    /// A `sends` row with its recipients and attachments. Decoding throws rather than traps on unexpected content:
    /// the file may have been edited by hand.
    static func decodeSend(_ db: any LedgerConnection, _ row: LedgerRow) throws -> LedgerSend {
        let messageID = try row.decode(String.self, "message_id")
        let recipientRows = try db.fetchAll(
            // rowid: insertion order, i.e. To then Cc as given.
            """
            SELECT address, role, accepted, smtp_code, smtp_text FROM send_recipients
            WHERE message_id = ? ORDER BY rowid
            """,
            [messageID]
        )
        let attachmentRows = try db.fetchAll(
            """
            SELECT filename, content_type, size, sha256 FROM send_attachments
            WHERE message_id = ? ORDER BY position
            """,
            [messageID]
        )
        var send = LedgerSend(
            messageID: messageID,
            account: try row.decode(String.self, "account"),
            fromAddress: try row.decode(String.self, "from_address"),
            subject: try row.decode(String.self, "subject"),
            preparedAt: try row.decode(Date.self, "prepared_at"),
            firstAttemptAt: try row.decode(Date.self, "first_attempt_at"),
            lastAttemptAt: try row.decode(Date.self, "last_attempt_at"),
            attempts: try row.decode(Int.self, "attempts"),
            status: try decodeEnum(LedgerSendStatus.self, row, "status"),
            smtpReply: try row.decode(String?.self, "smtp_reply"),
            error: try row.decode(String?.self, "error"),
            identificativo: try row.decode(String?.self, "identificativo"),
            size: try row.decode(Int.self, "size"),
            inboxBookmark: try InboxBookmark(
                uidValidity: row.decode(Int64?.self, "inbox_uidvalidity"),
                uidNext: row.decode(Int64?.self, "inbox_uidnext")
            ),
            recipients: try recipientRows.map { recipient in
                LedgerRecipient(
                    address: try recipient.decode(String.self, "address"),
                    role: try decodeEnum(LedgerRecipient.Role.self, recipient, "role"),
                    accepted: try recipient.decode(Bool?.self, "accepted"),
                    smtpCode: try recipient.decode(Int?.self, "smtp_code"),
                    smtpText: try recipient.decode(String?.self, "smtp_text")
                )
            },
            attachments: try attachmentRows.map { attachment in
                LedgerAttachment(
                    filename: try attachment.decode(String.self, "filename"),
                    contentType: try attachment.decode(String.self, "content_type"),
                    size: try attachment.decode(Int.self, "size"),
                    sha256: try attachment.decode(String.self, "sha256")
                )
            }
        )
        send.ref = try row.decode(String?.self, "ref")
        return send
    }

    static func decodeEnum<Value: RawRepresentable<String>>(
        _ type: Value.Type,
        _ row: LedgerRow,
        _ column: String
    ) throws -> Value {
        let text = try row.decode(String.self, column)
        guard let value = Value(rawValue: text) else {
            throw UnreadableLedgerValue(column: column)
        }
        return value
    }

    // MARK: - Checks

    private static func validate(_ send: NewSend) throws(PECError) {
        guard !(send.to.isEmpty && send.cc.isEmpty) else {
            throw PECError(.invalidInput, "a message needs at least one recipient")
        }
        if let empty = (send.to + send.cc).first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw PECError(.invalidInput, "\(empty.debugDescription) is not a recipient address")
        }
        guard send.size >= 0, send.attachments.allSatisfy({ $0.size >= 0 }) else {
            throw PECError(.internal, "a send was recorded with a negative size")
        }
    }

    static func normalizedIdentificativo(_ raw: String) throws(PECError) -> String {
        let identificativo = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !identificativo.isEmpty else {
            throw PECError(.invalidInput, "the PEC identificativo is empty")
        }
        return identificativo
    }

    private func notFound(_ messageID: String) -> PECError {
        PECError(
            .notFound,
            "\(messageID) is not in the send ledger \(store.displayName)",
            hint: "`pec` records only messages it sent itself"
        )
    }

    /// `$HOME`, else the password database's home, else `/` (as ``AccountStore`` does).
    private static func homeDirectory(_ environment: [String: String]) -> URL {
        if let value = environment["HOME"], !value.isEmpty {
            return URL(fileURLWithPath: value, isDirectory: true)
        }
        if let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir {
            return URL(fileURLWithPath: String(cString: directory), isDirectory: true)
        }
        return URL(fileURLWithPath: "/", isDirectory: true)
    }
}
