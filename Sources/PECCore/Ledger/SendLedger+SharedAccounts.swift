import Foundation

/// One row of `shared_accounts` (ledger v8): an account stored for the whole team by
/// `pec auth login --shared`. ``SharedAccounts`` turns it into an ``Account`` and a password.
struct SharedAccountRow: Sendable, Equatable {
    var name: String
    var address: String
    /// The account as one element of credentials.json's "accounts", without a password.
    var entry: String
    /// The password as a Fernet token; the key stays in `PEC_SECRET_KEY_FILE`, never in the database.
    var passwordEnc: String?
    var updatedAt: Date
}

/// The SQL of the team's shared accounts. Names match ignoring case, as in credentials.json (the table
/// enforces it: NOCASE on SQLite, a unique `lower(name)` index on PostgreSQL).
extension SendLedger {
    /// Every shared account, by name.
    func sharedAccountRows() throws(PECError) -> [SharedAccountRow] {
        try read { db in
            try db.fetchAll(Self.sharedAccountSelect + " ORDER BY lower(name), name", []).map(Self.decodeSharedAccount)
        }
    }

    /// The shared account named `name` (in any case), or nil.
    func sharedAccountRow(named name: String) throws(PECError) -> SharedAccountRow? {
        try read { db in
            try db.fetchOne(Self.sharedAccountSelect + " WHERE lower(name) = lower(?)", [name]).map(
                Self.decodeSharedAccount
            )
        }
    }

    /// Saves `row`, replacing the shared account of the same name (in any case).
    func saveSharedAccount(_ row: SharedAccountRow) throws(PECError) {
        try write(action: "save the shared account in") { db in
            // Delete then insert, in one transaction: the PostgreSQL table's conflict is on lower(name),
            // which ON CONFLICT (name) would not catch for a name spelled in another case.
            try db.execute("DELETE FROM shared_accounts WHERE lower(name) = lower(?)", [row.name])
            try db.execute(
                """
                INSERT INTO shared_accounts (name, address, entry, password_enc, updated_at)
                VALUES (?, ?, ?, ?, ?)
                """,
                [row.name, row.address, row.entry, row.passwordEnc, row.updatedAt]
            )
        }
    }

    /// Removes the shared account named `name` (in any case); false when there was none.
    @discardableResult
    func removeSharedAccount(named name: String) throws(PECError) -> Bool {
        try write(action: "remove the shared account from") { db in
            try db.execute("DELETE FROM shared_accounts WHERE lower(name) = lower(?)", [name]) > 0
        }
    }

    private static let sharedAccountSelect =
        "SELECT name, address, entry, password_enc, updated_at FROM shared_accounts"

    private static func decodeSharedAccount(_ row: LedgerRow) throws -> SharedAccountRow {
        SharedAccountRow(
            name: try row.decode(String.self, "name"),
            address: try row.decode(String.self, "address"),
            entry: try row.decode(String.self, "entry"),
            passwordEnc: try row.decode(String?.self, "password_enc"),
            updatedAt: try row.decode(Date.self, "updated_at")
        )
    }
}
