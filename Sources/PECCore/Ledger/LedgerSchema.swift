import Foundation
import GRDB

/// The ledger's database schema: its migrations, and the checks that a file really is a ledger this pec can use.
enum LedgerSchema {
    /// `PRAGMA application_id` of a ledger ("PECL"): tells a pec ledger from any other SQLite file.
    static let applicationID: Int32 = 0x5045_434C

    /// One schema change, in each store's dialect (``postgres`` in LedgerSchema+PostgreSQL.swift): both stores
    /// run the same steps under the same identifiers, so a ledger's version means the same on both.
    struct Migration: Sendable {
        var identifier: String
        var sqlite: @Sendable (Database) throws -> Void
        var postgres: String
    }

    /// Every schema change, in order. Adding one is one line here plus its functions; a registered migration
    /// must never be edited once released (existing ledgers have already run it).
    static let migrations: [Migration] = [
        Migration(identifier: "v1-sends", sqlite: createSends, postgres: Postgres.createSends),
        Migration(identifier: "v2-inbox-bookmark", sqlite: addInboxBookmark, postgres: Postgres.addInboxBookmark),
        Migration(
            identifier: "v3-tracking-events",
            sqlite: createTrackingEvents,
            postgres: Postgres.createTrackingEvents
        ),
        Migration(
            identifier: "v4-content-fingerprint",
            sqlite: addContentFingerprint,
            postgres: Postgres.addContentFingerprint
        ),
        Migration(identifier: "v5-rem", sqlite: addREM, postgres: Postgres.addREM),
        Migration(identifier: "v6-ref", sqlite: addRef, postgres: Postgres.addRef),
        Migration(identifier: "v7-delivery", sqlite: createDelivery, postgres: Postgres.createDelivery),
        Migration(identifier: "v8-pool", sqlite: createPool, postgres: Postgres.createPool),
    ]

    static func makeMigrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.identifier, migrate: migration.sqlite)
        }
        return migrator
    }

    /// v1: one row per Message-ID, with its recipients and attachments.
    private static func createSends(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE sends (
                    message_id TEXT NOT NULL PRIMARY KEY,
                    account TEXT NOT NULL,
                    from_address TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    prepared_at TEXT NOT NULL,
                    first_attempt_at TEXT NOT NULL,
                    last_attempt_at TEXT NOT NULL,
                    attempts INTEGER NOT NULL CHECK (attempts >= 1),
                    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'uncertain', 'refused')),
                    smtp_reply TEXT,
                    error TEXT,
                    identificativo TEXT,
                    size INTEGER NOT NULL CHECK (size >= 0)
                );
                CREATE INDEX sends_identificativo ON sends (identificativo);
                CREATE INDEX sends_last_attempt_at ON sends (last_attempt_at);

                -- NOCASE: the server gets one RCPT TO per mailbox, whatever its case.
                CREATE TABLE send_recipients (
                    message_id TEXT NOT NULL REFERENCES sends (message_id) ON DELETE CASCADE,
                    address TEXT NOT NULL COLLATE NOCASE,
                    role TEXT NOT NULL CHECK (role IN ('to', 'cc')),
                    accepted INTEGER CHECK (accepted IN (0, 1)),
                    smtp_code INTEGER,
                    smtp_text TEXT,
                    PRIMARY KEY (message_id, address)
                );

                CREATE TABLE send_attachments (
                    message_id TEXT NOT NULL REFERENCES sends (message_id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    filename TEXT NOT NULL,
                    content_type TEXT NOT NULL,
                    size INTEGER NOT NULL CHECK (size >= 0),
                    sha256 TEXT NOT NULL,
                    PRIMARY KEY (message_id, position)
                );
                """
        )
        // Inside the migration's transaction, so a file is marked as a ledger exactly when it has the tables.
        try db.execute(sql: "PRAGMA application_id = \(applicationID)")
    }

    /// v2: where the sender's INBOX stood just before a send (UIDVALIDITY, UIDNEXT), so `trace` can
    /// search only the mail that arrived after it.
    private static func addInboxBookmark(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE sends ADD COLUMN inbox_uidvalidity INTEGER;
                ALTER TABLE sends ADD COLUMN inbox_uidnext INTEGER;
                """
        )
    }

    /// v4: each send's content fingerprint, so the same letter composed in another minute (another
    /// Message-ID) is recognised as a duplicate. Sends recorded before have none, and match nothing.
    private static func addContentFingerprint(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE sends ADD COLUMN content_fingerprint TEXT;
                CREATE INDEX sends_content_fingerprint ON sends (content_fingerprint, last_attempt_at);
                """
        )
    }

    /// v5: REM (rem.md §1.6). Per send, the SHA-256 of the exact bytes submitted, which a REM provider's
    /// `REM-DigestValue` is checked against; per event, the REM event name it was read from.
    /// v7: the durable outbox of `watch --webhook`: per delivery target, the last event it acknowledged,
    /// and the events it refused for good (parked) or that were queued again (`pec events --retry`).
    private static func createDelivery(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS delivery_cursors (
                    target TEXT PRIMARY KEY,
                    delivered_seq INTEGER NOT NULL
                );
                CREATE TABLE IF NOT EXISTS parked_events (
                    target TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    parked_at REAL NOT NULL,
                    requeued INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (target, seq)
                );
                """
        )
    }

    /// v8: what a pool of watch workers shares. `workers`: each worker's row, renewed while it runs (`pec workers`).
    /// `leases`: who holds an account's watch or a delivery target's outbox (`account:NAME`, `delivery:TARGET`),
    /// until when. `shared_accounts`: accounts stored for the whole team (`pec auth login --shared`), each an entry
    /// of credentials.json as JSON and its password as a Fernet token whose key never enters the database.
    private static func createPool(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS workers (
                    worker_id TEXT PRIMARY KEY,
                    host TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    started_at TEXT NOT NULL,
                    renewed_at TEXT NOT NULL,
                    lease_seconds INTEGER NOT NULL,
                    max_accounts INTEGER
                );
                CREATE TABLE IF NOT EXISTS leases (
                    name TEXT PRIMARY KEY,
                    owner TEXT NOT NULL,
                    taken_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL
                );
                CREATE INDEX IF NOT EXISTS leases_owner ON leases (owner);
                CREATE TABLE IF NOT EXISTS shared_accounts (
                    name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
                    address TEXT NOT NULL,
                    entry TEXT NOT NULL,
                    password_enc TEXT,
                    updated_at TEXT NOT NULL
                );
                """
        )
    }

    /// v6: the application's own reference of a send (`pec send --ref`), carried by its events.
    private static func addRef(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE sends ADD COLUMN ref TEXT;
                CREATE INDEX IF NOT EXISTS sends_ref ON sends(ref);
                """
        )
    }

    private static func addREM(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE sends ADD COLUMN message_sha256 TEXT;
                ALTER TABLE tracking_events ADD COLUMN rem_event TEXT;
                """
        )
    }

    /// v3: receipt tracking. Events (receipts found and deadlines passed), each stored once (`unique_key`);
    /// per (account, folder) how far `sync` has read; per account how far `watch` has printed.
    /// Not bound to `sends` by a foreign key: receipts of messages sent by other clients are kept too.
    /// IF NOT EXISTS: two processes creating a ledger at once may both run it (see ``prepare(_:path:)``).
    private static func createTrackingEvents(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS tracking_events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    unique_key TEXT NOT NULL UNIQUE,
                    account TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    recipient TEXT,
                    at TEXT NOT NULL,
                    recorded_at TEXT NOT NULL,
                    gestore TEXT,
                    identificativo TEXT,
                    errore TEXT,
                    errore_esteso TEXT,
                    trusted INTEGER NOT NULL CHECK (trusted IN (0, 1)),
                    signature TEXT,
                    deadline TEXT,
                    external_recipients TEXT,
                    receipt_message_id TEXT,
                    folder TEXT,
                    uid INTEGER,
                    uidvalidity INTEGER,
                    sha256 TEXT,
                    size INTEGER,
                    evidence_path TEXT,
                    warnings TEXT
                );
                CREATE INDEX IF NOT EXISTS tracking_events_message ON tracking_events (message_id, seq);
                CREATE INDEX IF NOT EXISTS tracking_events_account ON tracking_events (account, seq);

                CREATE TABLE IF NOT EXISTS tracking_folders (
                    account TEXT NOT NULL,
                    folder TEXT NOT NULL,
                    uidvalidity INTEGER NOT NULL,
                    last_uid INTEGER NOT NULL,
                    synced_at TEXT NOT NULL,
                    PRIMARY KEY (account, folder)
                );

                CREATE TABLE IF NOT EXISTS tracking_cursors (
                    account TEXT NOT NULL PRIMARY KEY,
                    printed_seq INTEGER NOT NULL
                );
                """
        )
    }

    /// Refuses a file that is some other SQLite database, or a ledger migrated by a newer pec; otherwise
    /// brings the schema up to date.
    static func prepare(_ pool: DatabasePool, path: String) throws(PECError) {
        let migrator = makeMigrator()
        try checkIdentity(pool, path: path)
        do {
            try migrator.migrate(pool)
        } catch {
            // Two processes opening a brand-new ledger at once can both decide to run a migration; the second
            // then fails on the tables the first created. That is fine as long as the schema is now complete.
            // The first may still be running later steps: try again, the migrator skips the applied ones.
            for _ in 0..<10 {
                let completed = try? pool.read { db in try migrator.hasCompletedMigrations(db) }
                if completed == true { return }
                usleep(UInt32.random(in: 10_000...50_000))
                if (try? migrator.migrate(pool)) != nil { return }
            }
            throw LedgerErrors.map(error, path: path, action: "update the schema of")
        }
    }

    /// Refuses a file that is some other SQLite database, or a ledger migrated by a newer pec; changes nothing.
    static func checkIdentity(_ database: any DatabaseReader, path: String) throws(PECError) {
        let migrator = makeMigrator()
        do {
            try database.read { db in try checkIdentity(db, migrator: migrator, path: path) }
        } catch {
            throw LedgerErrors.map(error, path: path, action: "open")
        }
    }

    private static func checkIdentity(_ db: Database, migrator: DatabaseMigrator, path: String) throws(PECError) {
        let quoted = SecureFiles.shellQuoted(path)
        let applicationID: Int32
        let otherTables: [String]
        let unknownMigrations: [String]
        do {
            applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            // grdb_migrations is left out: GRDB creates it before the first migration's transaction.
            otherTables = try String.fetchAll(
                db,
                sql: """
                    SELECT name FROM sqlite_master
                    WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'grdb_migrations'
                    """
            )
            unknownMigrations = try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).sorted()
        } catch {
            throw LedgerErrors.map(error, path: path, action: "open")
        }
        let isLedger = applicationID == Self.applicationID
        let isNewFile = applicationID == 0 && otherTables.isEmpty
        guard isLedger || isNewFile else {
            throw PECError(
                .io,
                "\(path) is not a pec send ledger (it is another kind of SQLite database)",
                hint: "move it away (mv \(quoted) \(quoted).bad) and pec starts a new, empty ledger; "
                    + "or point pec at the right file"
            )
        }
        guard unknownMigrations.isEmpty else {
            throw PECError(
                .io,
                "the send ledger \(path) was updated by a newer version of pec (schema steps unknown to this one: "
                    + "\(unknownMigrations.joined(separator: ", ")))",
                hint: "update pec to the newest version; an older pec cannot use this ledger safely"
            )
        }
    }
}
