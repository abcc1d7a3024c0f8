import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The local record of every PEC this machine submitted, so that the same message is never sent twice by accident:
/// a PEC has the legal weight of a registered letter.
///
/// One SQLite file in WAL mode, shared by every `pec` and `pec-mcp` process of the user. Each operation is one
/// transaction; ``beginAttempt(_:)`` takes the write lock before it reads, so two processes cannot both start
/// sending the same Message-ID.
public final class SendLedger: Sendable {
    /// The database file.
    public let url: URL
    private let pool: DatabasePool
    /// Injected by tests that need attempts at known times.
    let now: @Sendable () -> Date

    /// How long a process waits for another one's write transaction before giving up.
    static let busyTimeout: TimeInterval = 5

    /// `$XDG_STATE_HOME/pec/ledger.sqlite` when `XDG_STATE_HOME` is set and absolute (the XDG spec ignores relative
    /// values), else `$HOME/.local/state/pec/ledger.sqlite`.
    public static func defaultLocation(environment: [String: String]) -> URL {
        let stateDirectory: URL
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            stateDirectory = URL(fileURLWithPath: xdg, isDirectory: true)
        } else {
            stateDirectory = homeDirectory(environment)
                .appendingPathComponent(".local", isDirectory: true)
                .appendingPathComponent("state", isDirectory: true)
        }
        return stateDirectory.appendingPathComponent("pec", isDirectory: true)
            .appendingPathComponent("ledger.sqlite", isDirectory: false)
    }

    /// Opens the ledger at `url`, creating it (directory 0700, file 0600) and bringing its schema up to date.
    /// A file that is not a ledger, is damaged, or was updated by a newer pec is refused with an `.io` error.
    public convenience init(at url: URL) throws(PECError) {
        try self.init(at: url, now: { Date() })
    }

    init(at url: URL, now: @escaping @Sendable () -> Date) throws(PECError) {
        self.url = url
        self.now = now
        try SecureFiles.ensureDirectory(url.deletingLastPathComponent())
        try Self.createPrivateFile(url)
        var configuration = Configuration()
        configuration.label = "pec.ledger"
        configuration.foreignKeysEnabled = true
        // Another pec process may hold the write lock for a moment: wait for it instead of failing at once.
        configuration.busyMode = .timeout(Self.busyTimeout)
        pool = try Self.openPool(path: url.path, configuration: configuration)
        try LedgerSchema.prepare(pool, path: url.path)
    }

    /// The schema steps applied to this ledger, and those this pec knows (equal once opened).
    public func schemaSteps() throws(PECError) -> (applied: Int, known: Int) {
        let migrator = LedgerSchema.makeMigrator()
        do {
            let applied = try pool.read { db in try migrator.appliedIdentifiers(db).count }
            return (applied, migrator.migrations.count)
        } catch {
            throw LedgerErrors.map(error, path: url.path, action: "read")
        }
    }

    /// How many times opening is tried when SQLite reports the file busy.
    static let maximumOpenAttempts = 5

    /// A DatabasePool always runs in WAL mode: readers never block the writer, nor the other way round.
    ///
    /// Opening is retried a few times on SQLITE_BUSY: when two processes switch a brand-new file to WAL at the same
    /// moment, one `PRAGMA journal_mode = WAL` fails at once without waiting for the busy timeout (a known SQLite
    /// behaviour). WAL mode is stored in the file, so this can only happen while the ledger is being created.
    private static func openPool(path: String, configuration: Configuration) throws(PECError) -> DatabasePool {
        var lastError: (any Error)?
        for attempt in 1...maximumOpenAttempts {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && attempt < maximumOpenAttempts {
                lastError = error
                // Random, so two processes that collided do not collide again.
                usleep(UInt32.random(in: 10_000...50_000))
            } catch {
                throw LedgerErrors.map(error, path: path, action: "open")
            }
        }
        throw LedgerErrors.map(
            lastError ?? PECError(.internal, "opening \(path) was never attempted"),
            path: path,
            action: "open"
        )
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
                    sql: """
                        UPDATE sends SET account = ?, from_address = ?, subject = ?, prepared_at = ?,
                            last_attempt_at = ?, attempts = attempts + 1, status = ?, smtp_reply = NULL, error = NULL,
                            size = ?, content_fingerprint = ?, ref = ?
                        WHERE message_id = ?
                        """,
                    arguments: [
                        send.account, send.from, send.subject, send.preparedAt, attemptAt,
                        LedgerSendStatus.sending.rawValue, send.size, send.contentFingerprint, send.ref, messageID,
                    ]
                )
                try db.execute(sql: "DELETE FROM send_recipients WHERE message_id = ?", arguments: [messageID])
                try db.execute(sql: "DELETE FROM send_attachments WHERE message_id = ?", arguments: [messageID])
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO sends (message_id, account, from_address, subject, prepared_at, first_attempt_at,
                            last_attempt_at, attempts, status, size, content_fingerprint, ref)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
                        """,
                    arguments: [
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
            try db.execute(
                sql: "UPDATE sends SET status = ?, smtp_reply = ?, error = ? WHERE message_id = ?",
                arguments: [status.rawValue, smtpReply, error, messageID]
            )
            guard db.changesCount > 0 else { throw self.notFound(messageID) }
            for recipient in recipients {
                try db.execute(
                    sql: """
                        UPDATE send_recipients SET accepted = ?, smtp_code = ?, smtp_text = ?
                        WHERE message_id = ? AND address = ?
                        """,
                    arguments: [recipient.accepted, recipient.code, recipient.text, messageID, recipient.address]
                )
            }
        }
    }

    /// Stores the PEC identifier learned from the message's acceptance receipt.
    public func setIdentificativo(_ identificativo: String, forMessageID messageID: String) throws(PECError) {
        let messageID = try MessageReference.normalizedMessageID(messageID)
        let identificativo = try Self.normalizedIdentificativo(identificativo)
        try write(action: "record the identificativo in") { db in
            try db.execute(
                sql: "UPDATE sends SET identificativo = ? WHERE message_id = ?",
                arguments: [identificativo, messageID]
            )
            guard db.changesCount > 0 else { throw self.notFound(messageID) }
        }
    }

    /// Stores the SHA-256 (hex) of the exact bytes submitted: the name of their copy in the evidence
    /// store (what a dossier shows was sent), and what a REM provider's `REM-DigestValue` is checked
    /// against when its receipts come back.
    public func setMessageSHA256(_ sha256: String, forMessageID messageID: String) throws(PECError) {
        let messageID = try MessageReference.normalizedMessageID(messageID)
        try write(action: "record the message digest in") { db in
            try db.execute(
                sql: "UPDATE sends SET message_sha256 = ? WHERE message_id = ?",
                arguments: [sha256.lowercased(), messageID]
            )
            guard db.changesCount > 0 else { throw self.notFound(messageID) }
        }
    }

    /// ``setMessageSHA256(_:forMessageID:)``'s value; nil when the send is unknown or predates it.
    public func messageSHA256(forMessageID messageID: String) throws(PECError) -> String? {
        let messageID = try MessageReference.normalizedMessageID(messageID)
        return try read { db in
            try String.fetchOne(
                db,
                sql: "SELECT message_sha256 FROM sends WHERE message_id = ?",
                arguments: [messageID]
            )
        }
    }

    /// Stores where the sender's INBOX stood just before the message was handed over.
    public func setInboxBookmark(_ bookmark: InboxBookmark, forMessageID messageID: String) throws(PECError) {
        let messageID = try MessageReference.normalizedMessageID(messageID)
        try write(action: "record the INBOX position in") { db in
            try db.execute(
                sql: "UPDATE sends SET inbox_uidvalidity = ?, inbox_uidnext = ? WHERE message_id = ?",
                arguments: [Int64(bookmark.uidValidity), Int64(bookmark.uidNext), messageID]
            )
            guard db.changesCount > 0 else { throw self.notFound(messageID) }
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
        _ db: Database,
        fingerprint: String,
        since: Date,
        excluding messageID: String?
    ) throws -> LedgerSend? {
        let submitted = LedgerSendStatus.allCases.filter(\.mayHaveBeenSubmitted).map { "'\($0.rawValue)'" }
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT * FROM sends
                WHERE content_fingerprint = ? AND last_attempt_at >= ? AND message_id IS NOT ?
                    AND status IN (\(submitted.joined(separator: ", ")))
                ORDER BY last_attempt_at DESC, rowid DESC LIMIT 1
                """,
            arguments: [fingerprint, since, messageID]
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
            var arguments: StatementArguments = []
            if let account { arguments += [account] }
            arguments += [limit]
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT * FROM sends \(filter) ORDER BY last_attempt_at DESC, rowid DESC LIMIT ?",
                arguments: arguments
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

    /// Runs `body` in an IMMEDIATE transaction: the write lock is taken before the first read, so what `body` reads
    /// cannot change before it writes (and SQLite's busy timeout applies; a deferred transaction upgraded to a
    /// write fails at once with SQLITE_BUSY when another process wrote meanwhile).
    func write<T>(action: String, _ body: (Database) throws -> T) throws(PECError) -> T {
        do {
            return try pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else {
                    throw PECError(.internal, "a ledger transaction committed without a result")
                }
                return result
            }
        } catch {
            throw LedgerErrors.map(error, path: url.path, action: action)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(PECError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw LedgerErrors.map(error, path: url.path, action: "read")
        }
    }

    // MARK: - Rows

    private static func insertRecipients(_ db: Database, messageID: String, to: [String], cc: [String]) throws {
        let recipients = to.map { ($0, LedgerRecipient.Role.to) } + cc.map { ($0, LedgerRecipient.Role.cc) }
        for (address, role) in recipients {
            // OR IGNORE: an address given twice (or in both To and Cc) is one recipient; the first role wins.
            try db.execute(
                sql: "INSERT OR IGNORE INTO send_recipients (message_id, address, role) VALUES (?, ?, ?)",
                arguments: [messageID, address, role.rawValue]
            )
        }
    }

    private static func insertAttachments(_ db: Database, messageID: String, _ attachments: [LedgerAttachment]) throws {
        for (position, attachment) in attachments.enumerated() {
            try db.execute(
                sql: """
                    INSERT INTO send_attachments (message_id, position, filename, content_type, size, sha256)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    messageID, position, attachment.filename, attachment.contentType, attachment.size,
                    attachment.sha256,
                ]
            )
        }
    }

    /// Cached statements: `sync` looks sends up for every receipt.
    static func fetchSend(_ db: Database, messageID: String) throws -> LedgerSend? {
        let statement = try db.cachedStatement(sql: "SELECT * FROM sends WHERE message_id = ?")
        let row = try Row.fetchOne(statement, arguments: [messageID])
        return try row.map { try decodeSend(db, $0) }
    }

    /// The latest send with that (normalized) identificativo.
    static func fetchSend(_ db: Database, identificativo: String) throws -> LedgerSend? {
        let statement = try db.cachedStatement(
            sql: "SELECT * FROM sends WHERE identificativo = ? ORDER BY last_attempt_at DESC, rowid DESC LIMIT 1"
        )
        let row = try Row.fetchOne(statement, arguments: [identificativo])
        return try row.map { try decodeSend(db, $0) }
    }

    /// A `sends` row with its recipients and attachments. Decoding throws rather than traps on unexpected content:
    /// the file may have been edited by hand.
    static func decodeSend(_ db: Database, _ row: Row) throws -> LedgerSend {
        let messageID = try row.decode(String.self, forColumn: "message_id")
        let recipientRows = try Row.fetchAll(
            db,
            // rowid: insertion order, i.e. To then Cc as given.
            sql: """
                SELECT address, role, accepted, smtp_code, smtp_text FROM send_recipients
                WHERE message_id = ? ORDER BY rowid
                """,
            arguments: [messageID]
        )
        let attachmentRows = try Row.fetchAll(
            db,
            sql: """
                SELECT filename, content_type, size, sha256 FROM send_attachments
                WHERE message_id = ? ORDER BY position
                """,
            arguments: [messageID]
        )
        var send = LedgerSend(
            messageID: messageID,
            account: try row.decode(String.self, forColumn: "account"),
            fromAddress: try row.decode(String.self, forColumn: "from_address"),
            subject: try row.decode(String.self, forColumn: "subject"),
            preparedAt: try row.decode(Date.self, forColumn: "prepared_at"),
            firstAttemptAt: try row.decode(Date.self, forColumn: "first_attempt_at"),
            lastAttemptAt: try row.decode(Date.self, forColumn: "last_attempt_at"),
            attempts: try row.decode(Int.self, forColumn: "attempts"),
            status: try decodeEnum(LedgerSendStatus.self, row, "status"),
            smtpReply: try row.decode(String?.self, forColumn: "smtp_reply"),
            error: try row.decode(String?.self, forColumn: "error"),
            identificativo: try row.decode(String?.self, forColumn: "identificativo"),
            size: try row.decode(Int.self, forColumn: "size"),
            inboxBookmark: try InboxBookmark(
                uidValidity: row.decode(Int64?.self, forColumn: "inbox_uidvalidity"),
                uidNext: row.decode(Int64?.self, forColumn: "inbox_uidnext")
            ),
            recipients: try recipientRows.map { recipient in
                LedgerRecipient(
                    address: try recipient.decode(String.self, forColumn: "address"),
                    role: try decodeEnum(LedgerRecipient.Role.self, recipient, "role"),
                    accepted: try recipient.decode(Bool?.self, forColumn: "accepted"),
                    smtpCode: try recipient.decode(Int?.self, forColumn: "smtp_code"),
                    smtpText: try recipient.decode(String?.self, forColumn: "smtp_text")
                )
            },
            attachments: try attachmentRows.map { attachment in
                LedgerAttachment(
                    filename: try attachment.decode(String.self, forColumn: "filename"),
                    contentType: try attachment.decode(String.self, forColumn: "content_type"),
                    size: try attachment.decode(Int.self, forColumn: "size"),
                    sha256: try attachment.decode(String.self, forColumn: "sha256")
                )
            }
        )
        send.ref = try row.decode(String?.self, forColumn: "ref")
        return send
    }

    static func decodeEnum<Value: RawRepresentable<String>>(
        _ type: Value.Type,
        _ row: Row,
        _ column: String
    ) throws -> Value {
        let text = try row.decode(String.self, forColumn: column)
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
            "\(messageID) is not in the send ledger \(url.path)",
            hint: "`pec` records only messages it sent itself"
        )
    }

    /// SQLite creates a missing database 0644. Creating the file first with 0600 keeps subjects and recipients
    /// private, and SQLite gives the -wal and -shm files the database file's mode.
    private static func createPrivateFile(_ url: URL) throws(PECError) {
        let path = url.path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            throw PECError(
                .io,
                "cannot open the send ledger \(path): \(SecureFiles.describe(code))",
                hint: "check the owner and permissions of \(path) and of its directory"
            )
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw PECError(.io, "\(path) is not a regular file", hint: "remove it, or point pec at another ledger")
        }
        if info.st_mode & 0o077 != 0 {
            // A ledger copied or created by hand: tighten it. Failing to (not our file) does not stop the send.
            _ = fchmod(fd, 0o600)
        }
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
