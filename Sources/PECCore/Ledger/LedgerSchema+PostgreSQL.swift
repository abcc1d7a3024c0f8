import Foundation

extension LedgerSchema {
    /// Refuses a database whose tables pec did not create, or one migrated by a newer pec; otherwise brings the
    /// schema up to date. Runs in a write transaction: under its lock, two workers starting at once migrate once.
    static func preparePostgres(_ db: any LedgerConnection, settings: PostgresLedgerSettings) throws {
        if let schema = settings.schema {
            // A validated SQL name (PostgresLedgerSettings): safe to splice.
            try db.execute("CREATE SCHEMA IF NOT EXISTS \(schema)", [])
        }
        let applied = try appliedPostgresSteps(db, settings: settings)
        if try !exists(db, table: "ledger_migrations") {
            try db.execute(
                "CREATE TABLE ledger_migrations (identifier TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                []
            )
        }
        for migration in migrations where !applied.contains(migration.identifier) {
            // One statement at a time: the extended protocol takes no more. No statement here holds a ';'.
            for statement in migration.postgres.split(separator: ";") {
                let statement = statement.trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty { try db.execute(statement, []) }
            }
            try db.execute("INSERT INTO ledger_migrations (identifier) VALUES (?)", [migration.identifier])
        }
    }

    /// The schema steps applied to the database (none for an empty one); refuses one whose tables pec did not
    /// create, or one migrated by a newer pec. Changes nothing: a read transaction may call it.
    static func appliedPostgresSteps(_ db: any LedgerConnection, settings: PostgresLedgerSettings) throws -> Set<String>
    {
        let name = settings.displayName
        guard try exists(db, table: "ledger_migrations") else {
            guard try !exists(db, table: "sends") else {
                throw PECError(
                    .io,
                    "\(name) is not a pec send ledger (it has a table sends that pec did not create)",
                    hint: "name another database in \(PostgresLedgerSettings.environmentKey), or a schema of pec's "
                        + "own with schema=NAME"
                )
            }
            return []
        }
        let applied = Set(
            try db.fetchAll("SELECT identifier FROM ledger_migrations", []).map {
                try $0.decode(String.self, "identifier")
            }
        )
        let unknown = applied.subtracting(migrations.map(\.identifier)).sorted()
        guard unknown.isEmpty else {
            throw PECError(
                .io,
                "the send ledger \(name) was updated by a newer version of pec (schema steps unknown to this one: "
                    + "\(unknown.joined(separator: ", ")))",
                hint: "update pec to the newest version; an older pec cannot use this ledger safely"
            )
        }
        return applied
    }

    private static func exists(_ db: any LedgerConnection, table: String) throws -> Bool {
        try db.fetchOne("SELECT to_regclass(?) IS NOT NULL AS present", [table])?.decode(Bool.self, "present") ?? false
    }

    /// The migrations in PostgreSQL's dialect, column for column the SQLite ones, with these differences:
    /// - dates are TIMESTAMPTZ (SQLite keeps GRDB's text), flags BOOLEAN, integers BIGINT;
    /// - `sends` and `send_recipients` have an explicit `rowid` (SQLite's implicit one), which orders sends
    ///   of the same second and recipients as given;
    /// - recipients are unique per message whatever their case by an index on `lower(address)` (SQLite's
    ///   `COLLATE NOCASE`); the queries compare `lower(address)` on both.
    enum Postgres {
        static let createSends = """
            CREATE TABLE sends (
                rowid BIGINT GENERATED ALWAYS AS IDENTITY,
                message_id TEXT NOT NULL PRIMARY KEY,
                account TEXT NOT NULL,
                from_address TEXT NOT NULL,
                subject TEXT NOT NULL,
                prepared_at TIMESTAMPTZ NOT NULL,
                first_attempt_at TIMESTAMPTZ NOT NULL,
                last_attempt_at TIMESTAMPTZ NOT NULL,
                attempts BIGINT NOT NULL CHECK (attempts >= 1),
                status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'uncertain', 'refused')),
                smtp_reply TEXT,
                error TEXT,
                identificativo TEXT,
                size BIGINT NOT NULL CHECK (size >= 0)
            );
            CREATE INDEX sends_identificativo ON sends (identificativo);
            CREATE INDEX sends_last_attempt_at ON sends (last_attempt_at);

            CREATE TABLE send_recipients (
                rowid BIGINT GENERATED ALWAYS AS IDENTITY,
                message_id TEXT NOT NULL REFERENCES sends (message_id) ON DELETE CASCADE,
                address TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('to', 'cc')),
                accepted BOOLEAN,
                smtp_code BIGINT,
                smtp_text TEXT
            );
            CREATE UNIQUE INDEX send_recipients_address ON send_recipients (message_id, lower(address));
            CREATE INDEX send_recipients_lower_address ON send_recipients (lower(address));

            CREATE TABLE send_attachments (
                message_id TEXT NOT NULL REFERENCES sends (message_id) ON DELETE CASCADE,
                position BIGINT NOT NULL,
                filename TEXT NOT NULL,
                content_type TEXT NOT NULL,
                size BIGINT NOT NULL CHECK (size >= 0),
                sha256 TEXT NOT NULL,
                PRIMARY KEY (message_id, position)
            );
            """

        static let addInboxBookmark = """
            ALTER TABLE sends ADD COLUMN inbox_uidvalidity BIGINT;
            ALTER TABLE sends ADD COLUMN inbox_uidnext BIGINT;
            """

        static let createTrackingEvents = """
            CREATE TABLE tracking_events (
                seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                unique_key TEXT NOT NULL UNIQUE,
                account TEXT NOT NULL,
                message_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                recipient TEXT,
                at TIMESTAMPTZ NOT NULL,
                recorded_at TIMESTAMPTZ NOT NULL,
                gestore TEXT,
                identificativo TEXT,
                errore TEXT,
                errore_esteso TEXT,
                trusted BOOLEAN NOT NULL,
                signature TEXT,
                deadline TEXT,
                external_recipients TEXT,
                receipt_message_id TEXT,
                folder TEXT,
                uid BIGINT,
                uidvalidity BIGINT,
                sha256 TEXT,
                size BIGINT,
                evidence_path TEXT,
                warnings TEXT
            );
            CREATE INDEX tracking_events_message ON tracking_events (message_id, seq);
            CREATE INDEX tracking_events_account ON tracking_events (account, seq);

            CREATE TABLE tracking_folders (
                account TEXT NOT NULL,
                folder TEXT NOT NULL,
                uidvalidity BIGINT NOT NULL,
                last_uid BIGINT NOT NULL,
                synced_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (account, folder)
            );

            CREATE TABLE tracking_cursors (
                account TEXT NOT NULL PRIMARY KEY,
                printed_seq BIGINT NOT NULL
            );
            """

        static let addContentFingerprint = """
            ALTER TABLE sends ADD COLUMN content_fingerprint TEXT;
            CREATE INDEX sends_content_fingerprint ON sends (content_fingerprint, last_attempt_at);
            """

        static let addREM = """
            ALTER TABLE sends ADD COLUMN message_sha256 TEXT;
            ALTER TABLE tracking_events ADD COLUMN rem_event TEXT;
            """

        static let addRef = """
            ALTER TABLE sends ADD COLUMN ref TEXT;
            CREATE INDEX sends_ref ON sends (ref);
            """

        static let createDelivery = """
            CREATE TABLE delivery_cursors (
                target TEXT PRIMARY KEY,
                delivered_seq BIGINT NOT NULL
            );
            CREATE TABLE parked_events (
                target TEXT NOT NULL,
                seq BIGINT NOT NULL,
                reason TEXT NOT NULL,
                parked_at TIMESTAMPTZ NOT NULL,
                requeued BOOLEAN NOT NULL DEFAULT FALSE,
                PRIMARY KEY (target, seq)
            );
            """

        static let createPool = """
            CREATE TABLE workers (
                worker_id TEXT PRIMARY KEY,
                host TEXT NOT NULL,
                pid BIGINT NOT NULL,
                started_at TIMESTAMPTZ NOT NULL,
                renewed_at TIMESTAMPTZ NOT NULL,
                lease_seconds BIGINT NOT NULL,
                max_accounts BIGINT
            );
            CREATE TABLE leases (
                name TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                taken_at TIMESTAMPTZ NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL
            );
            CREATE INDEX leases_owner ON leases (owner);
            CREATE TABLE shared_accounts (
                name TEXT NOT NULL PRIMARY KEY,
                address TEXT NOT NULL,
                entry TEXT NOT NULL,
                password_enc TEXT,
                updated_at TIMESTAMPTZ NOT NULL
            );
            CREATE UNIQUE INDEX shared_accounts_lower_name ON shared_accounts (lower(name));
            """
    }
}
